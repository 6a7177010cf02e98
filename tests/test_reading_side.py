"""The reading side needs no JAX (issue 26): reading ``results.nc``, the boundaries, the
figures, the report and refine's proposals import NumPy, xarray, pandas and matplotlib
only, so ``vaecollapse boundary DIR`` and ``vaecollapse report DIR`` start in a fraction of
the time the training engine takes to import. Each check runs in a fresh interpreter:
this one has JAX loaded already."""

import json
import subprocess
import sys

import pytest

# the training engine and the loaders' heavy dependencies, by top-level package
ENGINE = ("jax", "jaxlib", "flax", "optax", "orbax", "chex", "sklearn", "tensorflow_datasets")
READING_SIDE = (
    "vaecollapse.results",
    "vaecollapse.boundary",
    "vaecollapse.crossing",
    "vaecollapse.median",
    "vaecollapse.sensitivity",
    "vaecollapse.plots",
    "vaecollapse.report",
    "vaecollapse.refine",
)


def loaded_after(code: str) -> dict[str, list[str]]:
    """Run ``code`` in a fresh interpreter; return the engine packages and the vaecollapse
    modules it left in ``sys.modules``."""
    probe = (
        "import json, sys\n"
        f"{code}\n"
        "tops = {name.split('.')[0] for name in sys.modules}\n"
        "print('\\nLOADED ' + json.dumps({\n"
        f"    'engine': sorted(tops & set({ENGINE!r})),\n"
        "    'vaecollapse': sorted(m for m in sys.modules if m.split('.')[0] == 'vaecollapse'),\n"
        "}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.rsplit("\nLOADED ", 1)[1])


def test_reading_modules_import_no_engine():
    found = loaded_after("\n".join(f"import {module}" for module in READING_SIDE))
    assert found["engine"] == []


def test_config_schema_imports_no_implementation_module():
    """Like Flax's ``configs/default.py``: the schema and the names it checks against."""
    found = loaded_after("import vaecollapse.config")
    assert found["engine"] == []
    assert found["vaecollapse"] == [
        "vaecollapse",
        "vaecollapse.choices",
        "vaecollapse.config",
        "vaecollapse.families",
        "vaecollapse.family",
        "vaecollapse.registry",
    ]


@pytest.mark.parametrize("command", ["boundary", "report"])
def test_commands_on_a_workdir_load_no_engine(small_sweep, command):
    argv = ["vaecollapse", command, str(small_sweep)]
    code = f"from vaecollapse import cli\ncli.run_main({argv!r})"
    found = loaded_after(code)
    assert found["engine"] == []
