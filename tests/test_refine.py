"""Refinement: new axis values around the boundaries, merged into results.nc, resumable."""

import json
import shutil
import signal
import subprocess
import sys

import ml_collections
import numpy as np
import pytest
import xarray as xr
from conftest import tiny_config

from vaecollapse import boundary, config, refine, results, sweep


def tiny_linear(betas, seeds=(0,)):
    c = tiny_config(beta=betas, seed=seeds)
    c.data = ml_collections.ConfigDict(
        dict(name="linear_gaussian", eigenvalues=(8.0, 2.0, 0.5), num_examples=800, seed=0)
    )
    c.model.update(name="linear", likelihood="gaussian", sigma2=1.0)
    c.train.steps, c.train.log_every, c.train.lr_schedule = 200, 100, "cosine"
    c.hparams.learning_rate = 5e-2
    return c


def test_refine_merges_new_runs_and_leaves_the_old_ones(tmp_path):
    c = tiny_linear((0.25, 1.0, 4.0, 16.0))
    before = sweep.run_sweep(c, tmp_path, progress=False)
    found = boundary.estimate(before, "beta", "kl_per_dim")
    new = refine.propose(found, before.beta.values, 3)
    assert 0 < len(new) <= 3 and not set(new) & set(before.beta.values.tolist())
    messages = []
    after = refine.refine(
        tmp_path,
        along="beta",
        measure="kl_per_dim",
        points=3,
        rounds=1,
        progress=False,
        log=messages.append,
    )
    assert after.beta.values.tolist() == sorted([*before.beta.values.tolist(), *new])
    for name in (v for v in before.data_vars if "beta" in before[v].dims):
        np.testing.assert_array_equal(
            after[name].sel(beta=before.beta).values, before[name].values, err_msg=name
        )
    trained = results.load(tmp_path / "refine" / "round1")
    np.testing.assert_array_equal(after.kl.sel(beta=new).values, trained.kl.values)
    saved = results.load(tmp_path)
    assert saved.attrs["refine_rounds"] == 1
    assert json.loads(saved.attrs["config"])["sweep"]["beta"] == after.beta.values.tolist()
    assert str(new) in messages[0]
    again = refine.refine(tmp_path, along="beta", measure="kl_per_dim", rounds=1, progress=False)
    xr.testing.assert_identical(again, saved)  # the round is done: nothing is retrained
    rerun = sweep.run_sweep(c, tmp_path, progress=False)  # `run` again keeps the refined grid
    xr.testing.assert_identical(rerun, saved)


def test_refine_with_chosen_values_adds_exactly_those_once(tmp_path):
    c = tiny_linear((0.25, 16.0))
    before = sweep.run_sweep(c, tmp_path, progress=False)
    after = refine.refine(
        tmp_path, along="beta", values=(2.0, 0.25, 2.0), direction="increasing", progress=False
    )
    assert after.beta.values.tolist() == [0.25, 2.0, 16.0]  # 0.25 was there, 2.0 once
    np.testing.assert_array_equal(after.kl.sel(beta=[0.25, 16.0]).values, before.kl.values)
    alone = sweep.run_sweep(tiny_linear((2.0,)), tmp_path / "alone", progress=False)
    np.testing.assert_array_equal(after.kl.sel(beta=[2.0]).values, alone.kl.values)
    assert results.load(tmp_path).attrs["refine_rounds"] == 1
    messages = []
    again = refine.refine(
        tmp_path, along="beta", values=(2.0,), progress=False, log=messages.append
    )
    xr.testing.assert_identical(again, after)  # nothing new: no round
    assert results.load(tmp_path).attrs["refine_rounds"] == 1
    assert messages == ["refine: beta values [2.0] are all in the grid"]
    messages.clear()
    refine.refine(tmp_path, along="beta", rounds=1, progress=False, log=messages.append)
    assert messages == ["refine: 1 round(s) done already; rounds=2 or more adds one"]
    with pytest.raises(ValueError, match=r"values of beta=-1.0 is invalid"):
        refine.refine(tmp_path, along="beta", values=(-1.0,), progress=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(points=0), r"points=0 is invalid: must be a positive integer"),
        (dict(rounds=-1), r"rounds=-1 is invalid: must be a positive integer"),
        (dict(along="seed"), r"along='seed' is not a swept axis"),
        (dict(measure="elbo"), r"measure='elbo' is invalid"),
    ],
)
def test_bad_refine_arguments_are_named(tmp_path, kwargs, match):
    sweep.run_sweep(tiny_linear((0.5, 4.0)), tmp_path, progress=False)
    with pytest.raises(ValueError, match=match):
        refine.refine(tmp_path, **kwargs)


def test_boundary_cli_direction_is_used_and_names_its_own_csv(tmp_path):
    sweep.run_sweep(tiny_linear((0.5, 4.0)), tmp_path, progress=False)
    run = [sys.executable, "-m", "vaecollapse", "boundary", str(tmp_path), "--measure", "kl"]
    out = subprocess.run([*run, "--direction", "decreasing"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    csv = tmp_path / "boundary_kl_dir_decreasing.csv"
    assert f"{csv}\n(a boundary of its own" in out.stdout and csv.exists()
    assert "collapse as beta falls" in out.stdout
    bad = subprocess.run([*run, "--direction", "up"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("vaecollapse: error: --direction='up' is invalid")


def test_boundary_cli_writes_the_csv(tmp_path):
    sweep.run_sweep(tiny_linear((0.5, 4.0)), tmp_path, progress=False)
    run = [sys.executable, "-m", "vaecollapse", "boundary", str(tmp_path)]
    out = subprocess.run([*run, "--measure", "kl_per_dim"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "| latent | estimate | low | high |" in out.stdout
    assert (tmp_path / "boundary.csv").read_text().startswith("latent,estimate,low,high")
    bad = subprocess.run([*run, "--along", "gamma"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "vaecollapse: error: --along='gamma' is not a swept axis of these results; "
        "allowed: ['beta']"
    ]


@pytest.mark.slow
def test_refine_recovers_unseen_linear_boundaries_within_5_percent(tmp_path):
    """A spectrum no other test uses, a coarse grid (5 log-spaced β over two decades, 3
    seeds), then `refine` with the CLI's defaults (≤ 3 rounds of ≤ 8 points): every
    per-dim boundary within 5 % of λ_i/σ² of the data's own covariance."""
    c = config.experiment_config("linear_phase", quick=True)
    c.data.eigenvalues = (9.0, 2.6, 0.7)
    c.model.latent_dim = 3
    c.sweep.beta = tuple(float(f"{b:.4g}") for b in np.geomspace(0.2, 20.0, 5))
    c.sweep.seed = (0, 1, 2)
    sweep.run_sweep(c, tmp_path, progress=False)
    refined = refine.refine(tmp_path, measure="kl_per_dim", rounds=3, progress=False)
    found = boundary.estimate(refined, "beta", "kl_per_dim")
    from vaecollapse import data

    x = data.load(c.data).train
    eig = np.sort(np.linalg.eigvalsh(np.cov(x.reshape(len(x), -1), rowvar=False)))[::-1]
    np.testing.assert_allclose(found.estimate.values, eig[:3] / c.model.sigma2, rtol=0.05)


@pytest.mark.slow
def test_refine_killed_mid_round_then_rerun_equals_uninterrupted(tmp_path):
    """SIGKILL at random moments of `vaecollapse refine` (compile, training, merge);
    re-run until done, the results equal those of an uninterrupted refine, bitwise."""
    c = tiny_linear((0.25, 1.0, 4.0, 16.0), seeds=(0, 1))
    c.train.steps, c.checkpoint_every = 2000, 500
    sweep.run_sweep(c, tmp_path / "base", progress=False)
    for name in ("whole", "killed"):
        shutil.copytree(tmp_path / "base", tmp_path / name)

    def cli(workdir):
        cmd = [
            sys.executable,
            "-m",
            "vaecollapse",
            "refine",
            str(workdir),
            "--rounds=2",
            "--points=3",
            "--measure=kl_per_dim",
            "--noprogress",
            "--cpu_devices=1",
        ]
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    assert cli(tmp_path / "whole").wait() == 0
    killed = []
    for delay in np.random.default_rng(1).uniform(2.0, 10.0, size=4):
        proc = cli(tmp_path / "killed")
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.kill()
            killed.append(proc.wait() == -signal.SIGKILL)
    assert killed and all(killed), killed
    assert cli(tmp_path / "killed").wait() == 0
    whole, resumed = results.load(tmp_path / "whole"), results.load(tmp_path / "killed")
    assert resumed.attrs["refine_rounds"] == whole.attrs["refine_rounds"] == 2
    for name in whole.data_vars:
        np.testing.assert_array_equal(whole[name].values, resumed[name].values, err_msg=name)
