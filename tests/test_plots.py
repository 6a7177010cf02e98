"""`report` on a saved small sweep: figures and a summary with one row per run."""

import subprocess
import sys

import ml_collections
import numpy as np
import pytest
from conftest import tiny_config

from vaecollapse import analytic, plots, report, results, sweep


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("sweep")
    c = tiny_config(beta=(0.1, 30.0), free_bits=(0.0, 0.5), seed=(0, 1))
    sweep.run_sweep(c, workdir, progress=False)
    return workdir


def test_report_files(small_sweep):
    paths = report.report(small_sweep)
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
        "prior_samples.png",
        "boundary.csv",
        "summary.md",
    }
    for p in paths:
        assert p.stat().st_size > (100 if p.suffix == ".csv" else 1000)
    text = (small_sweep / "summary.md").read_text()
    per_run, rest = text.split("## Phase boundary")
    found, per_point = rest.split("## Mean ± std over 2")
    # the boundary along β (the first numeric axis), one row per free-bits value
    rows = [r for r in found.splitlines() if r.startswith(("| 0 |", "| 0.5 |"))]
    assert len(rows) == 2 and all(r.count("|") == 9 for r in rows)
    assert (small_sweep / "boundary.csv").read_text().startswith("free_bits,estimate,low,high")
    rows = [r for r in per_run.splitlines() if r.startswith("| ") and not r.startswith("| beta")]
    assert len(rows) == 8  # 2 β × 2 λ × 2 seeds
    assert any("full" in r for r in rows) or any("partial" in r for r in rows)
    points = [r for r in per_point.splitlines() if r.startswith("| 0.1") or r.startswith("| 30")]
    assert len(points) == 4  # 2 β × 2 λ, seeds aggregated
    ds = results.load(small_sweep)
    kl = ds.kl.sel(beta=30.0, free_bits=0.0).values
    expected = f"| 30 | 0 | {kl.mean():.3g} ± {kl.std():.2g} |"
    assert any(r.startswith(expected) for r in points), (expected, points)


def test_report_cli(small_sweep):
    out = subprocess.run(
        [sys.executable, "-m", "vaecollapse", "report", str(small_sweep)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "phase_diagram.png" in out.stdout


def test_linear_report_compares_with_the_closed_form(tmp_path):
    """For linear-Gaussian data the report adds learned-vs-optimal KL per dim, and the
    summary's largest gap is the NumPy maximum over runs and (sorted) dims."""
    c = tiny_config(beta=(0.5, 4.0), seed=(0, 1))
    c.data = ml_collections.ConfigDict(
        dict(name="linear_gaussian", eigenvalues=(8.0, 2.0, 0.5), num_examples=800, seed=0)
    )
    c.model.update(name="linear", likelihood="gaussian", sigma2=1.0)
    sweep.run_sweep(c, tmp_path, progress=False)
    names = {p.name for p in report.report(tmp_path)}
    assert "analytic_kl.png" in names
    ds = results.load(tmp_path)
    optimal = np.stack(
        [
            np.sort(analytic.linear_vae_kl_per_dim(np.array([8.0, 2.0, 0.5]), 1.0, b))[::-1]
            for b in (0.5, 4.0)
        ]
    )
    np.testing.assert_allclose(plots.analytic_kl(ds).values, optimal, rtol=1e-6)
    learned = -np.sort(-ds.kl_per_dim.values, axis=-1)  # [beta, seed, latent]
    gap = np.abs(learned - optimal[:, None, :]).max()
    assert f"**{gap:.4f} nats**" in (tmp_path / "summary.md").read_text()
