"""BN-VAE's and δ-VAE's posteriors: the KL floors derived in `objectives.bn_mean` and
`objectives.delta_log_var`, the δ bound against SciPy, and trained runs keeping them."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from conftest import tiny_config
from hypothesis import given, settings
from hypothesis import strategies as st

from vaecollapse.families.vae import objectives


@pytest.mark.parametrize("delta", [0.0, 0.01, 0.1, 0.5, 2.0])
def test_delta_bound_solves_its_equation(delta):
    x_l = float(objectives.delta_variance_bound(jnp.float32(delta)))
    if delta == 0:
        assert x_l == pytest.approx(1.0, abs=1e-6)
        return
    expected = scipy.optimize.brentq(lambda x: np.log(x) - x + 2 * delta + 1, 1e-12, 1.0)
    assert x_l == pytest.approx(expected, rel=1e-5)
    assert x_l < 1.0


@settings(max_examples=50, deadline=None)
@given(
    st.floats(0.0, 1.0),
    st.integers(0, 2**31 - 1),
    st.floats(0.1, 10.0),
)
def test_delta_floor_on_every_dim_and_input(delta, seed, scale):
    """KL_j(x) ≥ δ for any μ and any raw log-variance."""
    rng = np.random.default_rng(seed)
    mean = jnp.asarray(scale * rng.normal(size=(32, 4)), jnp.float32)
    raw = jnp.asarray(scale * rng.normal(size=(32, 4)), jnp.float32)
    kl = objectives.gaussian_kl(mean, objectives.delta_log_var(raw, jnp.float32(delta)))
    chex.assert_tree_all_finite(kl)
    assert float(kl.min()) >= delta * (1 - 1e-4) - 1e-6


@settings(max_examples=50, deadline=None)
@given(st.floats(0.05, 2.0), st.integers(0, 2**31 - 1), st.floats(1e-2, 10.0))
def test_bn_floor_on_the_batch_mean(gamma, seed, scale):
    """E_batch KL_j ≥ ½γ²·v_j/(v_j + ε), v_j the batch variance of the raw μ_j."""
    rng = np.random.default_rng(seed)
    raw = scale * rng.normal(size=(64, 5))
    log_var = jnp.asarray(rng.normal(size=(64, 5)), jnp.float32)
    shift = jnp.asarray(rng.normal(size=5), jnp.float32)
    mean = objectives.bn_mean(jnp.asarray(raw, jnp.float32), jnp.float32(gamma), shift)
    kl = np.asarray(objectives.gaussian_kl(mean, log_var)).mean(0)
    v = raw.var(0)
    floor = 0.5 * gamma**2 * v / (v + objectives.BN_EPS)
    assert (kl >= floor * (1 - 1e-4)).all()
    # the normalised means: batch mean = shift, batch std = γ (up to ε)
    np.testing.assert_allclose(np.asarray(mean).mean(0), shift, atol=1e-5 * (1 + gamma))
    np.testing.assert_allclose(np.asarray(mean).std(0), gamma * np.sqrt(v / (v + 1e-5)), rtol=1e-3)


def test_plain_posterior_needs_no_strength_and_constrained_ones_do():
    from vaecollapse import data
    from vaecollapse.families.vae import models
    from vaecollapse.families.vae.models import VAE

    c = tiny_config()
    dataset = data.load(c.data)
    x = jnp.asarray(dataset.test[:8])
    c.model.bottleneck = "delta"
    model = models.build(c.model, dataset.meta)
    params = model.init(jax.random.PRNGKey(0), x, jnp.zeros((8, 3)), None, None, jnp.float32(1.0))
    with pytest.raises(ValueError, match=r"posterior='delta' needs its strength"):
        model.apply(params, x, method=VAE.encode)
    _, log_var = model.apply(params, x, None, jnp.float32(0.3), method=VAE.encode)
    assert float(jnp.exp(log_var).max()) <= float(objectives.delta_variance_bound(0.3)) + 1e-6


@pytest.mark.slow
@pytest.mark.parametrize(
    "bottleneck, axis, values",
    [("bn", "bn_gamma", (0.3, 1.0)), ("delta", "delta", (0.05, 0.2)), ("gaussian", None, ())],
)
def test_trained_runs_keep_their_floor(tmp_path, bottleneck, axis, values):
    """At β = 5 the plain VAE's KL per dim falls to ~0.01; BN-VAE's stays at ≥ ~γ²/2 and
    δ-VAE's at ≥ δ, in every logged interval and at the end (200 steps)."""
    from vaecollapse import sweep

    c = tiny_config(beta=(5.0,), **({axis: values} if axis else {}))
    c.model.bottleneck = bottleneck
    c.train.steps, c.train.log_every = 200, 50
    r = sweep.run_sweep(c, tmp_path, progress=False)
    final = r.kl_per_dim.values.reshape(-1, 3)
    traced = r.kl_per_dim_trace.values.reshape(len(values) or 1, -1, 3)
    if bottleneck == "gaussian":
        assert final.max() < 0.05
        return
    for v, f, t in zip(values, final, traced, strict=True):
        floor = v if bottleneck == "delta" else 0.5 * v**2 * 0.99
        assert f.min() >= floor * 0.999 and t.min() >= floor * 0.999, (v, f, t.min())
