"""The results format: layout of results.nc, reading it back, versions that never fail."""

import json
from importlib import metadata

import numpy as np
import pytest
import xarray as xr
from conftest import tiny_config

from vaecollapse import results, sweep


def test_results_file_layout(tmp_path):
    c = tiny_config(beta=(0.5, 2.0), seed=(0, 1))
    sweep.run_sweep(c, tmp_path, progress=False)
    ds = results.load(tmp_path)
    assert dict(ds.sizes) == {
        "beta": 2,
        "seed": 2,
        "step": 4,
        "latent": 3,
        "example": 8,
        "frame": 8,
        "pixel": 64,
        "mu_bin": 40,
        "sigma_bin": 40,
    }
    for name in (
        "kl",
        "kl_per_dim",
        "recon",
        "elbo",
        "active_units",
        "mutual_info",
        "nll_iw",
        "collapse_state",
        "collapse_onset_step",
        "diverged",
        "kl_trace",
        "loss_trace",
        "mean_abs_mu",
        "mean_sigma",
    ):
        assert name in ds, name
    assert ds.kl_per_dim.dims == ("beta", "seed", "latent")
    assert ds.kl_trace.dims == ("beta", "seed", "step")
    np.testing.assert_array_equal(ds.step.values, [10, 20, 30, 40])
    assert json.loads(ds.attrs["config"])["sweep"]["beta"] == [0.5, 2.0]
    assert "jax" in json.loads(ds.attrs["versions"]) and ds.attrs["device_kind"] == "cpu"
    assert ds.attrs["wall_time_s"] > 0


def test_load_refuses_a_newer_format(tmp_path):
    ds = xr.Dataset({"kl": ("beta", np.zeros(2))}, attrs={"data_shape": [4], "config": "{}"})
    ds.attrs["format_version"] = results.FORMAT_VERSION
    results.write(ds, tmp_path)
    assert results.load(tmp_path).attrs["data_shape"] == [4]
    ds.attrs["format_version"] = results.FORMAT_VERSION + 1
    results.write(ds, tmp_path)
    with pytest.raises(ValueError, match=rf"format_version={results.FORMAT_VERSION + 1}"):
        results.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="no results at"):
        results.load(tmp_path / "empty")


def test_versions_never_raise(monkeypatch):
    """Run from a source tree (no installed metadata), the versions read ``unknown`` or
    the git commit instead of failing after training."""
    assert results.versions()["jax"] == metadata.version("jax")

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    found = results.versions()
    assert found["jax"] == "unknown"
    assert found["vaecollapse"] == "unknown" or found["vaecollapse"].startswith("git ")
    json.dumps(found)
