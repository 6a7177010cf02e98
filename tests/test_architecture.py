"""Imports run one way: the engine at the top level of ``vaecollapse/`` knows no family's
implementation, each family imports the engine and no other family, and every lazy
``"module:attribute"`` path the registries and families name resolves. Read from the
source (the import statements, wherever they sit in a module), not from what one run
happens to load; `tests/test_reading_side.py` holds the other direction (the reading
side loads no JAX)."""

import ast
import dataclasses
from pathlib import Path

import pytest

import vaecollapse
from vaecollapse import choices, families, registry
from vaecollapse.families.vae import choices as vae_choices

PACKAGE = Path(vaecollapse.__file__).parent
FAMILIES = ("vae", "ssl", "gan")
# old paths kept for one release (each is the moved module itself, with a warning)
MOVED = {"monitor.py", "diagnostics.py", "embeddings.py", "samples.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code; ``from P import N`` counts
    as importing ``P.N`` when that is a module of the package."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            for alias in node.names:
                candidate = PACKAGE.parent / Path(*f"{node.module}.{alias.name}".split("."))
                if candidate.with_suffix(".py").is_file() or candidate.is_dir():
                    found.add(f"{node.module}.{alias.name}")
    return {name for name in found if name.split(".")[0] == "vaecollapse"}


def engine_modules() -> list[Path]:
    return sorted(
        p
        for p in PACKAGE.rglob("*.py")
        if "families" not in p.relative_to(PACKAGE).parts[:1] and p.name not in MOVED
    )


def family_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "families" else None


@pytest.mark.parametrize("path", engine_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_engine_imports_no_family(path):
    reached = sorted(m for m in imported(path) if family_of(m))
    assert not reached, f"{module_name(path)} imports a family's implementation: {reached}"


@pytest.mark.parametrize("family", FAMILIES)
def test_a_family_imports_the_engine_and_no_other_family(family):
    for path in sorted((PACKAGE / "families" / family).rglob("*.py")):
        others = sorted(m for m in imported(path) if family_of(m) not in (None, family))
        assert not others, f"{module_name(path)} imports another family: {others}"


def test_the_moved_paths_are_the_moved_modules():
    import importlib
    import warnings

    for old, new in (
        ("monitor", "families.vae.monitor"),
        ("diagnostics", "families.vae.diagnostics"),
        ("embeddings", "families.ssl.monitor"),
        ("samples", "families.gan.monitor"),
    ):
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            module = importlib.import_module(f"vaecollapse.{old}")
        assert module is importlib.import_module(f"vaecollapse.{new}")


def lazy_paths() -> list[str]:
    """Every ``"module:attribute"`` the registries, the families and the public API name."""
    paths = [f"{module}:{attribute}" for module, attribute in vaecollapse._API.values()]
    for table in (choices.DATA, choices.OPTIMIZERS, choices.LR_SCHEDULES):
        paths += [entry.target for entry in table.values()]
    for table in (vae_choices.MODELS, vae_choices.SCHEDULES):
        paths += [entry.target for entry in table.values()]
    for name in families.names():
        family = families.get(name)
        for spec in dataclasses.fields(family):
            value = getattr(family, spec.name)
            values = value.values() if isinstance(value, dict) else [value]
            for v in values:
                parts = [v.draw, v.applies] if isinstance(v, families.Figure) else [v]
                paths += [p for p in parts if isinstance(p, str) and ":" in p]
    return paths


def test_every_lazy_path_resolves():
    paths = lazy_paths()
    assert len(paths) > 40  # the registries, three families' figures and trainers, the API
    for path in paths:
        assert registry.resolve(path) is not None, path


def test_every_family_names_an_importable_config_module():
    import importlib

    for name in FAMILIES:
        module = importlib.import_module(families.get(name).config)
        assert hasattr(module, "HPARAMS") and callable(module.defaults), name
