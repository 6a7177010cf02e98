"""MMD-VAE (Zhao et al. 2019): the MMD² estimate against a NumPy double loop, its
invariants, and the loss term's weight as a swept hyperparameter."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import tiny_config
from hypothesis import given, settings
from hypothesis import strategies as st

from vaecollapse import config as config_lib
from vaecollapse import data
from vaecollapse.families.vae import losses, models, objectives, train


def mmd_loops(a: np.ndarray, b: np.ndarray) -> float:
    """The unbiased MMD² with k(x, y) = exp(−‖x − y‖²/(2d)), written out."""
    d = a.shape[1]
    k = lambda x, y: np.exp(-np.sum((x - y) ** 2) / (2 * d))  # noqa: E731
    n, m = len(a), len(b)
    aa = sum(k(a[i], a[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    bb = sum(k(b[i], b[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    ab = sum(k(a[i], b[j]) for i in range(n) for j in range(m)) / (n * m)
    return aa + bb - 2 * ab


def test_mmd_against_loops():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(7, 3)), rng.normal(1.0, 2.0, size=(5, 3))
    got = float(objectives.mmd(jnp.asarray(a, jnp.float32), jnp.asarray(b, jnp.float32)))
    assert got == pytest.approx(mmd_loops(a, b), rel=1e-4, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 3.0))
def test_mmd_symmetric_and_grows_with_a_shift(seed, shift):
    rng = np.random.default_rng(seed)
    a = jnp.asarray(rng.normal(size=(64, 2)), jnp.float32)
    b = jnp.asarray(rng.normal(size=(64, 2)), jnp.float32)
    np.testing.assert_allclose(objectives.mmd(a, b), objectives.mmd(b, a), atol=1e-6)
    near, far = objectives.mmd(a, b), objectives.mmd(a, b + shift + 3.0)
    assert float(far) > float(near)


def test_mmd_is_zero_in_expectation_for_one_distribution():
    key_a, key_b = jax.random.split(jax.random.PRNGKey(0))
    a, b = jax.random.normal(key_a, (1000, 4)), jax.random.normal(key_b, (1000, 4))
    assert abs(float(objectives.mmd(a, b))) < 2e-3
    assert float(objectives.mmd(a, b + 1.0)) > 0.1


def test_the_term_is_compiled_only_when_its_weight_can_be_nonzero(default_hparams):
    c = tiny_config()
    assert not config_lib.can_be_nonzero(c, "mmd_weight")
    assert config_lib.can_be_nonzero(tiny_config(mmd_weight=(0.0, 10.0)), "mmd_weight")
    dataset = data.load(c.data)
    model = models.build(c.model, dataset.meta)
    params = train.make_train_fns(c, model, dataset).init(jax.random.PRNGKey(0)).params
    x = jnp.asarray(dataset.train[:16])
    eps = jax.random.normal(jax.random.PRNGKey(1), (16, 3))
    prior = jax.random.normal(jax.random.PRNGKey(2), (16, 3))
    plain, _ = losses.make_loss_fn(model)(params, x, None, eps, None, default_hparams, 1.0)
    with_term = losses.make_loss_fn(model, mmd=True)
    zero, _ = with_term(params, x, None, eps, None, default_hparams, 1.0, prior)
    assert float(zero) == float(plain)  # λ = 0 (the default): the same loss
    hparams = {**default_hparams, "mmd_weight": jnp.float32(10.0)}
    ten, _ = with_term(params, x, None, eps, None, hparams, 1.0, prior)
    mean, log_var, _ = model.apply(params, x, eps)
    z = mean + jnp.exp(0.5 * log_var) * eps
    np.testing.assert_allclose(ten - plain, 10.0 * objectives.mmd(z, prior), rtol=1e-4)
