"""The SSL family (issue 27, first slice): SimSiam-style training over the stop-gradient
knob ``target_gradient``; its measures against NumPy, the knob's gradient, a tiny grid
through sweep and report, and (slow) the quick experiment's complete collapse at α = 1."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from vaecollapse import config, diagnostics, families, report, sweep
from vaecollapse.families import ssl, ssl_train


def np_std_normalized(z):
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    return u.std(0).mean() * np.sqrt(z.shape[1])


def np_rankme(z):
    s = np.linalg.svd(z, compute_uv=False)
    p = s / s.sum() + 1e-7
    return np.exp(-(p * np.log(p)).sum())


def test_measures_match_numpy_and_their_limits():
    rng = np.random.default_rng(0)
    iso = rng.normal(size=(4000, 16)).astype(np.float32)
    const = np.tile(rng.normal(size=(1, 16)), (500, 1)).astype(np.float32)
    basis = np.linalg.qr(rng.normal(size=(16, 16)))[0][:, :5]  # rank 5, equal σ
    rank5 = (np.linalg.qr(rng.normal(size=(600, 5)))[0] @ basis.T).astype(np.float32)
    for z in (iso, rank5, iso[:50] * 3 + 1):
        assert float(ssl_train.std_normalized(z)) == pytest.approx(np_std_normalized(z), rel=1e-4)
        assert float(ssl_train.rankme(z)) == pytest.approx(np_rankme(z), rel=1e-4)
        s = np.linalg.svd(z - z.mean(0), compute_uv=False)
        np.testing.assert_allclose(ssl_train.spectrum(z), s / s[0], rtol=1e-4, atol=1e-6)
    assert float(ssl_train.std_normalized(iso)) == pytest.approx(1.0, abs=0.02)
    assert float(ssl_train.std_normalized(const)) < 1e-3
    assert float(ssl_train.rankme(const)) == pytest.approx(1.0, abs=1e-3)
    assert float(ssl_train.rankme(rank5)) == pytest.approx(5.0, abs=1e-2)
    assert float(ssl_train.rankme(iso)) > 15
    assert int(jnp.sum(ssl_train.spectrum(rank5) > ssl.SPECTRUM_THRESHOLD)) == 5


def test_probe_collapse_state_and_onset():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 10, 400)
    centres = 3 * rng.normal(size=(10, 16))
    z = (centres[labels] + 0.1 * rng.normal(size=(400, 16))).astype(np.float32)
    assert float(ssl_train.probe_accuracy(z, labels, 10)) > 0.95
    flat = np.ones((400, 16), np.float32)
    majority = np.bincount(labels[:200], minlength=10).argmax()
    chance = float(ssl_train.probe_accuracy(flat, labels, 10))
    assert chance == pytest.approx(np.mean(labels[200:] == majority))
    codes = [
        int(ssl_train.collapse_state(s, r, 32)) for s, r in ((0.05, 1.0), (0.5, 4.0), (0.9, 12.0))
    ]
    assert codes == [ssl.COMPLETE, ssl.DIMENSIONAL, ssl.HEALTHY]
    steps = jnp.array([10, 20, 30, 40])
    onset_step = diagnostics.collapse_onset_step  # the one the VAE uses too
    assert int(onset_step(jnp.array([0.9, 0.05, 0.5, 0.05]), steps, 0.1)) == 40
    assert int(onset_step(jnp.array([0.9, 0.05, 0.05, 0.05]), steps, 0.1)) == 20
    assert int(onset_step(jnp.array([0.9, 0.5, 0.5, 0.5]), steps, 0.1)) == -1


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_target_gradient_scales_the_target_branch(alpha):
    """t(z) = α·z + (1 − α)·sg(z): the value of z, the gradient through it × α."""
    key_p, key_z = jax.random.split(jax.random.PRNGKey(0))
    p = jax.random.normal(key_p, (8, 4))
    z = jax.random.normal(key_z, (8, 4))
    np.testing.assert_allclose(ssl_train.target(z, alpha), z)
    full = jax.grad(lambda z: ssl_train.negative_cosine(p, z))(z)
    knob = jax.grad(lambda z: ssl_train.negative_cosine(p, ssl_train.target(z, alpha)))(z)
    np.testing.assert_allclose(knob, alpha * full, rtol=1e-5, atol=1e-7)
    # in the symmetric loss, z₂'s gradient comes through p₂'s branch and, × α, the target
    symmetric = jax.grad(lambda z2: ssl_train.simsiam_loss(p, z2, z, z2, alpha))(z)
    predictor_side = jax.grad(lambda z2: 0.5 * ssl_train.negative_cosine(z2, z))(z)
    np.testing.assert_allclose(symmetric, predictor_side + 0.5 * alpha * full, atol=1e-6)


def tiny_config():
    c = config.experiment_config("ssl_collapse")
    c.model.update(encoder_hidden=(32,), latent_dim=8)
    c.train.update(steps=50, log_every=25, batch_size=64, eval_examples=200)
    c.checkpoint_every = 25
    c.sweep.target_gradient = (0.0, 1.0)
    c.sweep.seed = (0,)
    return c


@pytest.mark.slow  # 15 s; the fast suite runs an outside family through the engine (test_families)
def test_a_tiny_ssl_grid_runs_through_sweep_and_report(tmp_path):
    ran = sweep.run_sweep(tiny_config(), tmp_path, progress=False)
    assert families.of(ran).name == "ssl"
    assert ran.spectrum.dims == ("seed", "target_gradient", "rank")
    assert ran.std_normalized_trace.dims == ("seed", "target_gradient", "step")
    for name in ("std_normalized", "rankme", "probe_accuracy", "loss", "spectrum"):
        assert np.isfinite(ran[name].values).all(), name
    assert ((ran.std_normalized >= 0) & (ran.std_normalized <= 1.5)).all()
    assert ((ran.rankme >= 1) & (ran.rankme <= 8)).all()
    paths = report.report(tmp_path)
    assert {p.name for p in paths} == {
        "phase_diagram.png",
        "spectrum.png",
        "runs.csv",
        "boundary.csv",
        "summary.md",
    }
    summary = (tmp_path / "summary.md").read_text()
    assert "| seed | target_gradient | std·√d | RankMe | probe | loss | state |" in summary
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert set(runs.collapse_state) <= set(ssl.STATE_NAMES.values())


@pytest.mark.slow
def test_quick_experiment_collapses_without_stop_gradient(tmp_path):
    """The anchor (Chen & He 2021): with batch norm, SimSiam (α = 0) stays healthy and
    without the stop-gradient (α = 1) every seed collapses completely."""
    ran = sweep.run_sweep(config.experiment_config("ssl_collapse", quick=True), tmp_path)
    healthy, collapsed = ran.sel(target_gradient=0.0), ran.sel(target_gradient=1.0)
    assert (healthy.collapse_state == ssl.HEALTHY).all()
    assert (healthy.std_normalized > 0.8).all() and (healthy.probe_accuracy > 0.8).all()
    assert (collapsed.collapse_state == ssl.COMPLETE).all()
    assert (collapsed.std_normalized < ssl.STD_THRESHOLD).all()
    assert (collapsed.collapse_onset_step > 0).all()
