"""`report` on a saved small sweep: figures and a summary with one row per run."""

import json
import subprocess
import sys

import matplotlib.pyplot as plt
import ml_collections
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from conftest import tiny_config

from vaecollapse import layout, plots, report, results, sweep
from vaecollapse.families.vae import analytic
from vaecollapse.families.vae import plots as vae_plots


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
        "runs.csv",
        "summary.md",
    }
    for p in paths:
        assert p.stat().st_size > (100 if p.suffix == ".csv" else 1000)
    text = (small_sweep / "summary.md").read_text()
    per_run, rest = text.split("## Phase boundary")
    found, per_point = rest.split("## Mean ± std over 2")
    found, sensitivity = found.split("## Sensitivity to the threshold")
    # the boundary along β (the first numeric axis), one row per free-bits value
    rows = [r for r in found.splitlines() if r.startswith(("| 0 |", "| 0.5 |"))]
    assert len(rows) == 2 and all(r.count("|") == 11 for r in rows)
    assert "seed_range" in rows[0]  # 2 seeds: the seeds' range, not a 90 % interval
    assert "| depends |" in sensitivity
    assert (small_sweep / "boundary.csv").read_text().startswith("free_bits,estimate,low,high")
    rows = [r for r in per_run.splitlines() if r.startswith("| ") and not r.startswith("| beta")]
    assert len(rows) == 8  # 2 β × 2 λ × 2 seeds
    assert any("full" in r for r in rows) or any("partial" in r for r in rows)
    points = [r for r in per_point.splitlines() if r.startswith("| 0.1") or r.startswith("| 30")]
    assert len(points) == 4  # 2 β × 2 λ, seeds aggregated
    ds = results.load(small_sweep)
    kl = ds.kl.sel(beta=30.0, free_bits=0.0).values
    share = 100 * kl / (kl + ds.recon.sel(beta=30.0, free_bits=0.0).values)
    share_sd, kl_sd = share.std(ddof=1), kl.std(ddof=1)  # sample std over seeds
    expected = f"| 30 | 0 | {share.mean():.3g} ± {share_sd:.2g} | {kl.mean():.3g} ± {kl_sd:.2g} |"
    assert any(r.startswith(expected) for r in points), (expected, points)


def test_runs_csv_holds_every_run_as_in_results(small_sweep):
    report.report(small_sweep, figures=["kl_curves"])
    ds = results.load(small_sweep)
    runs = pd.read_csv(small_sweep / "runs.csv")
    assert list(runs.columns[:3]) == ["beta", "free_bits", "seed"] and len(runs) == 8
    for _, row in runs.iterrows():
        run = ds.sel(beta=row.beta, free_bits=row.free_bits, seed=row.seed)
        np.testing.assert_allclose(row.kl, run.kl, rtol=1e-5)
        np.testing.assert_allclose(row.mutual_info, run.mutual_info, rtol=1e-5)
        assert row.collapse_state == ["healthy", "partial", "full"][int(run.collapse_state)]


def test_summary_stays_a_page_at_any_grid_size(small_sweep, tmp_path):
    """160 runs (the small sweep repeated along a 20-value axis): no per-run table, the
    seed table capped at `MAX_SEED_ROWS` nearest the transition first, runs.csv whole;
    only the named figure is drawn."""
    ds = results.load(small_sweep)
    grid = [v for v in ds.data_vars if "beta" in ds[v].dims]
    big = xr.concat([ds[grid]] * 20, dim=xr.DataArray(np.arange(20.0) + 1, dims="width"))
    for name in ds.data_vars:
        if name not in grid:
            big[name] = ds[name]
    big.attrs = ds.attrs
    results.write(big.transpose("beta", "free_bits", "width", "seed", ...), tmp_path)
    paths = report.report(tmp_path, figures=["rate_distortion"])
    assert {p.name for p in paths} == {
        "rate_distortion.png",
        "runs.csv",
        "boundary.csv",
        "summary.md",
    }
    text = (tmp_path / "summary.md").read_text()
    assert len(text.splitlines()) < 200 and "160 runs" in text
    seed_rows = text.split("## Mean ± std over 2 seeds")[1].splitlines()
    rows = [r for r in seed_rows if r.startswith("| ") and not r.startswith("| beta")]
    assert len(rows) == report.MAX_SEED_ROWS
    mi = big.mutual_info.mean("seed")  # the first row: mean I(x; z) nearest ε = 0.05 in log
    nearest = mi.where(np.abs(np.log(mi / 0.05)) == np.abs(np.log(mi / 0.05)).min(), drop=True)
    assert rows[0].startswith(f"| {nearest.beta.values[0]:g} | {nearest.free_bits.values[0]:g} |")
    assert len(pd.read_csv(tmp_path / "runs.csv")) == 160
    with pytest.raises(ValueError, match=r"figures='kl_curve' is invalid: unknown"):
        report.report(tmp_path, figures=["kl_curve"])


def test_report_cli(small_sweep):
    out = subprocess.run(
        [sys.executable, "-m", "vaecollapse", "report", str(small_sweep)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "phase_diagram.png" in out.stdout


def test_a_figure_that_fails_costs_only_itself(small_sweep, tmp_path, monkeypatch, capsys):
    """One figure raising: one line names it, every other file is written, and `report`
    and `run`'s report exit non-zero with the command that redraws it."""
    from vaecollapse import cli, families, signals

    def broken(results, path):
        raise ValueError("'xerr' must not contain negative values\nsecond line")

    monkeypatch.setitem(families.get("vae").figures, "kl_curves", families.Figure(broken))
    workdir = tmp_path / "wd"
    workdir.mkdir()
    (workdir / "results.nc").write_bytes((small_sweep / "results.nc").read_bytes())
    with pytest.raises(report.IncompleteReportError) as failed:
        report.report(workdir)
    assert failed.value.failed == {
        "kl_curves": "ValueError: 'xerr' must not contain negative values"
    }
    written = {p.name for p in failed.value.paths}
    assert {"phase_diagram.png", "summary.md", "runs.csv", "boundary.csv"} <= written
    assert "kl_curves.png" not in written and (workdir / "summary.md").stat().st_size > 1000
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "vaecollapse: figure kl_curves failed: ValueError: 'xerr' must not contain negative values"
    ]
    redraw = f"redraw them with: vaecollapse report {workdir} --figures kl_curves"
    with pytest.raises(SystemExit) as exited:  # the `report` command
        cli.run_main(["vaecollapse", "report", str(workdir)])
    assert "1 figure failed (kl_curves)" in str(exited.value.code) and redraw in str(
        exited.value.code
    )
    assert "summary.md" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:  # the report `run` draws after training
        cli._train_then_report(lambda event: None, str(workdir), signals.StopSignal())
    assert redraw in str(exited.value.code)


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
    np.testing.assert_allclose(vae_plots.analytic_kl(ds).values, optimal, rtol=1e-6)
    learned = -np.sort(-ds.kl_per_dim.values, axis=-1)  # [beta, seed, latent]
    gap = np.abs(learned - optimal[:, None, :]).max()
    assert f"**{gap:.4f} nats**" in (tmp_path / "summary.md").read_text()


def _grid_results(**axes) -> xr.Dataset:
    """Results-shaped data over the named axes (+ 2 seeds): KL falls as β grows."""
    shape = [len(v) for v in axes.values()]
    rng = np.random.default_rng(0)
    beta = np.asarray(axes["beta"]).reshape(-1, *[1] * len(shape))
    kl = np.maximum(0.0, np.log(4.0 / beta)) + 0.01 * rng.random([*shape, 2])
    dims = [*axes, "seed"]
    data = {n: (dims, kl) for n in ("kl", "mutual_info", "active_units", "collapse_state")}
    data["diverged"] = (dims, np.zeros(kl.shape, bool))
    config = json.dumps({"collapse_kl_eps": 0.05, "data": {"name": "digits"}})
    coords = {**{k: np.asarray(v) for k, v in axes.items()}, "seed": [0, 1]}
    return xr.Dataset(data, coords=coords, attrs={"config": config, "experiment": "t"})


@pytest.mark.parametrize("size, annotated", [(4, True), (30, False)])
def test_heatmap_writes_cell_numbers_only_on_small_panels(size, annotated):
    """A log-spaced β axis is drawn in log with at most `MAX_TICKS` labels; per-cell
    numbers appear only up to `MAX_ANNOTATED_CELLS` cells."""
    res = _grid_results(beta=np.geomspace(0.1, 100, size), width=np.arange(size))
    mean = res.kl.mean("seed")
    fig, ax = plt.subplots()
    plots._heatmap_panel(fig, ax, mean, res.kl.std("seed"), "beta", "width", "KL")
    assert len(ax.texts) == (size * size if annotated else 0)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "linear"
    assert len(ax.get_xticklabels()) <= layout.MAX_TICKS
    plt.close(fig)


def test_a_third_axis_becomes_facets_never_an_average(tmp_path):
    res = _grid_results(beta=[0.5, 2.0, 8.0], width=[1, 2], schedule=["a", "b", "c"])
    facets = plots._facets(res, ["beta", "width", "schedule"])
    assert [title for title, _ in facets] == ["schedule=a", "schedule=b", "schedule=c"]
    assert facets[1][1] == {"schedule": "b"}
    path = plots.phase_diagram(res, tmp_path / "pd.png")
    height = plt.imread(path).shape[0]
    single = plots.phase_diagram(res.isel(schedule=0, drop=True), tmp_path / "one.png")
    assert height > 2.5 * plt.imread(single).shape[0]  # three rows of panels
