"""Preflight: what the end of a run needs is checked before any compile."""

import importlib
import shutil
import types

import pytest
from conftest import tiny_config

from vaecollapse import preflight, sweep


@pytest.fixture
def no_compile(monkeypatch):
    """Fail the test if a sweep gets as far as building its compiled functions."""

    def refuse(*args, **kwargs):
        raise AssertionError("compiled before the preflight failed")

    monkeypatch.setattr(sweep, "ChunkRunner", refuse)


def test_full_disk_is_named_before_compile(tmp_path, monkeypatch, no_compile):
    usage = types.SimpleNamespace(total=10**9, used=10**9, free=10**5)
    monkeypatch.setattr(preflight.shutil, "disk_usage", lambda path: usage)
    with pytest.raises(ValueError, match=r"has 0 MiB free; this sweep writes up to ~.* MiB"):
        sweep.run_sweep(tiny_config(beta=(0.5, 2.0)), tmp_path, progress=False)


@pytest.mark.parametrize(
    "module, what", [("netCDF4", "results.nc"), ("matplotlib.pyplot", "the figures")]
)
def test_missing_writer_is_named_before_compile(tmp_path, monkeypatch, no_compile, module, what):
    def import_module(name):
        if name == module:
            raise ImportError(f"No module named {name!r}")
        return importlib.import_module(name)

    monkeypatch.setattr(preflight, "importlib", types.SimpleNamespace(import_module=import_module))
    with pytest.raises(ValueError, match=rf"{module} does not import .* so {what} could not be"):
        sweep.run_sweep(tiny_config(beta=(0.5, 2.0)), tmp_path, progress=False)


# 20 s: trains and writes a whole sweep to compare with the estimate (make test-all)
@pytest.mark.slow
def test_the_estimate_covers_what_a_run_writes(tmp_path):
    """Everything a small sweep leaves in its workdir fits in the estimate it checks."""
    c = tiny_config(beta=(0.5, 1.0, 2.0), seed=(0, 1))
    sweep.run_sweep(c, tmp_path, progress=False)
    written = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    from vaecollapse import data
    from vaecollapse.families.vae import trainer

    run = trainer.result_bytes(c, data.load(c.data))
    assert written <= preflight.disk_needed(0, 6, 6, run)
    assert shutil.disk_usage(tmp_path).free > written
