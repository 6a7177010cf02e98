"""`report` on a saved small sweep: figures and a summary with one row per run."""

import subprocess
import sys

import pytest
from conftest import tiny_config

from vaecollapse import plots, sweep


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sweep")
    c = tiny_config(beta=(0.1, 30.0), free_bits=(0.0, 0.5), seed=(0, 1))
    sweep.run_sweep(c, workdir, progress=False)
    return workdir


def test_report_files(small_sweep):
    paths = plots.report(small_sweep)
    names = {p.name for p in paths}
    assert names == {
        "phase_diagram.png",
        "kl_curves.png",
        "kl_per_dim.png",
        "rate_distortion.png",
        "au_mi_curves.png",
        "encoder_histograms.png",
        "reconstructions.png",
        "interpolations.png",
        "summary.md",
    }
    for p in paths:
        assert p.stat().st_size > 1000
    rows = [
        line
        for line in (small_sweep / "summary.md").read_text().splitlines()
        if line.startswith("| ") and not line.startswith("| beta")
    ]
    assert len(rows) == 8  # 2 β × 2 λ × 2 seeds
    assert any("full" in r for r in rows) or any("partial" in r for r in rows)


def test_report_cli_and_newer_format(small_sweep, tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "vaecollapse", "report", str(small_sweep)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "phase_diagram.png" in out.stdout
    import xarray as xr

    results = xr.load_dataset(small_sweep / "results.nc")
    results.attrs["format_version"] = 99
    (tmp_path / "new").mkdir()
    results.to_netcdf(tmp_path / "new" / "results.nc")
    with pytest.raises(ValueError, match="format_version=99"):
        plots.report(tmp_path / "new")
