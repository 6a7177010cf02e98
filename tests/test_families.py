"""A family registered from outside the package runs through run, boundary, refine and
report with no edit to the engine (issue 26): `linear_ae_family`, a linear autoencoder
whose code units collapse where the weight decay β passes their data variance λ_i."""

import numpy as np
import pandas as pd
import pytest

from vaecollapse import boundary, config, families, refine, report, results, sweep


def linear_ae_config():
    c = config.base_config()
    c.name = "linear_ae"
    c.family, c.family_module = "linear_ae", "linear_ae_family"
    c.data.name = "linear_gaussian"
    c.data.eigenvalues = (8.0, 2.0, 0.5)
    c.data.num_examples = 2000
    c.data.seed = 0
    c.model.update(name="linear", likelihood="gaussian", latent_dim=3)
    c.train.update(steps=300, log_every=100, batch_size=64, eval_examples=500)
    c.hparams.learning_rate = 0.03
    c.checkpoint_every = 100
    c.sweep.beta = (0.25, 1.0, 4.0, 16.0)
    c.sweep.seed = (0, 1)
    return c


def test_an_outside_family_runs_through_the_engine(tmp_path, capsys):
    ran = sweep.run_sweep(linear_ae_config(), tmp_path, progress=False)
    printed = capsys.readouterr().err  # the estimates are printed without the bar too
    assert "MiB per run, budget" in printed and "vaecollapse: writes up to ~" in printed
    assert families.of(ran).name == "linear_ae"
    assert ran.code_variance.dims == ("beta", "seed", "unit")
    assert ran.code_power_trace.dims == ("beta", "seed", "step")
    # the physics: unit variance λ_i − β above the boundary β = λ_i, 0 past it
    power = ran.code_power.mean("seed")
    assert float(power.sel(beta=0.25)) > 8.0 and float(power.sel(beta=16.0)) < 0.05
    found = boundary.estimate(ran, "beta", "code_variance")
    assert list(found.status.values) == ["bracketed"] * 3
    for rank, lam in enumerate((8.0, 2.0, 0.5)):  # each within its bracketing grid cell
        assert lam / 4 <= float(found.estimate.sel(unit=rank)) <= lam * 4
    refined = refine.refine(tmp_path, measure="code_variance", points=3, rounds=1, progress=False)
    assert refined.sizes["beta"] == 7 and families.of(refined).name == "linear_ae"
    paths = report.report(tmp_path)
    assert {p.name for p in paths} == {
        "phase_diagram.png",
        "runs.csv",
        "boundary.csv",
        "summary.md",
    }
    summary = (tmp_path / "summary.md").read_text()
    assert "| beta | seed | code variance | rank | state | onset | diverged |" in summary
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert len(runs) == 14 and set(runs.collapse_state) <= {"healthy", "partial", "full"}
    assert np.isfinite(results.load(tmp_path).code_power.values).all()


def test_an_unknown_family_is_refused_in_one_line():
    c = linear_ae_config()
    c.family_module = ""
    c.family = "linear_autoencoder"
    with pytest.raises(
        ValueError, match=r"config.family='linear_autoencoder' is invalid: allowed: vae"
    ):
        config.check_fields(c)
