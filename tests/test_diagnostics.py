"""Diagnostics against NumPy/SciPy on constructed encoders, and closed forms."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from vaecollapse import states
from vaecollapse.config import base_config
from vaecollapse.families.vae import diagnostics, models


class DiagnosticsTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_collapsed_encoder(self):
        mean, log_var = jnp.zeros((200, 4)), jnp.zeros((200, 4))
        kl = self.variant(diagnostics.kl_per_dim)(mean, log_var)
        chex.assert_shape(kl, (4,))
        np.testing.assert_allclose(kl, 0.0)
        au = self.variant(diagnostics.active_units)(mean)
        self.assertEqual(int(au), 0)
        mi = self.variant(
            lambda m, v: diagnostics.mutual_information(m, v, jax.random.PRNGKey(0), 64)
        )(mean, log_var)
        self.assertAlmostEqual(float(mi), 0.0, places=5)
        self.assertEqual(int(self.variant(diagnostics.collapse_state)(kl < 0.05)), diagnostics.FULL)

    @chex.variants(with_jit=True, without_jit=True)
    def test_k_informative_dims(self):
        rng = np.random.default_rng(0)
        mean = np.zeros((300, 5), np.float32)
        mean[:, :2] = rng.normal(size=(300, 2))
        mean[:, 2] = 0.05 * rng.normal(size=300)  # Var 0.0025 < 0.01: inactive
        au = self.variant(diagnostics.active_units)(jnp.asarray(mean))
        self.assertEqual(int(au), 2)
        np.testing.assert_allclose(
            diagnostics.unit_activity(jnp.asarray(mean)), np.var(mean, 0, ddof=1), rtol=1e-5
        )
        state = self.variant(diagnostics.collapse_state)
        self.assertEqual(int(state(jnp.array([False, True, True]))), diagnostics.PARTIAL)
        self.assertEqual(int(state(jnp.array([True, True, True]))), diagnostics.FULL)
        self.assertEqual(int(state(jnp.zeros(5, bool))), diagnostics.HEALTHY)

    def test_mutual_information_matches_numpy_and_bounds(self):
        rng = np.random.default_rng(1)
        n, d = 50, 2
        mean = rng.normal(size=(n, d)).astype(np.float32)
        log_var = rng.normal(scale=0.3, size=(n, d)).astype(np.float32) - 1.0
        key = jax.random.PRNGKey(3)
        mi = float(diagnostics.mutual_information(jnp.asarray(mean), jnp.asarray(log_var), key, 16))
        z = mean + np.exp(0.5 * log_var) * np.asarray(jax.random.normal(key, (n, d)))
        std = np.exp(0.5 * log_var)
        log_q = scipy.stats.norm.logpdf(z[:, None, :], mean[None], std[None]).sum(-1)  # [n, m]
        expected = np.mean(np.diag(log_q) - (scipy.special.logsumexp(log_q, axis=1) - np.log(n)))
        np.testing.assert_allclose(mi, expected, rtol=1e-4, atol=1e-4)
        self.assertLessEqual(mi, math.log(n) + 1e-5)
        # well-separated posteriors: I = log N
        far = jnp.arange(n, dtype=jnp.float32)[:, None] * 100.0 * jnp.ones((1, d))
        mi_far = diagnostics.mutual_information(far, jnp.full((n, d), -2.0), key, 16)
        np.testing.assert_allclose(mi_far, math.log(n), rtol=1e-4)

    def test_marginal_nll(self):
        train = np.array([[1, 0], [1, 1], [0, 0], [1, 0]], np.float32)
        test = np.array([[1, 1]], np.float32)
        p = np.clip(train.mean(0), 1e-4, 1 - 1e-4)
        expected = -(np.log(p[0]) + np.log(p[1]))
        np.testing.assert_allclose(
            diagnostics.marginal_nll(train, test, "binary"), expected, rtol=1e-6
        )
        x = np.random.default_rng(0).normal(2.0, 3.0, size=(5000, 1))
        np.testing.assert_allclose(
            diagnostics.marginal_nll(x, x, "continuous"),
            -scipy.stats.norm.logpdf(x, x.mean(), x.std()).mean(),
            rtol=1e-4,
        )
        tokens = np.array([[0, 2], [0, 1], [1, 2]])  # vocabulary {0, 1, 2}, add-½ counts
        p_first = np.array([2.5, 1.5, 0.5]) / 4.5
        p_second = np.array([0.5, 1.5, 2.5]) / 4.5
        np.testing.assert_allclose(
            diagnostics.marginal_nll(tokens, np.array([[1, 2]]), "tokens"),
            -(np.log(p_first[1]) + np.log(p_second[2])),
            rtol=1e-6,
        )


def test_encoder_histograms_match_numpy():
    rng = np.random.default_rng(0)
    mean = rng.normal(0.0, 2.0, size=(50, 3)).astype(np.float32)
    mean[0, 0] = 9.0  # beyond the last edge: counted in the outer bin
    log_var = rng.normal(-1.0, 1.0, size=(50, 3)).astype(np.float32)
    hist = jax.jit(diagnostics.encoder_histograms)(mean, log_var)
    chex.assert_shape(hist["mu_hist"], (len(diagnostics.MU_EDGES) - 1,))
    for name, values, edges in (
        ("mu_hist", mean, diagnostics.MU_EDGES),
        ("sigma_hist", np.exp(0.5 * log_var), diagnostics.SIGMA_EDGES),
    ):
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        np.testing.assert_allclose(hist[name], counts / values.size, atol=1e-7)
    collapsed = diagnostics.encoder_histograms(np.zeros((8, 2)), np.zeros((8, 2)))
    assert collapsed["mu_hist"].max() == 1.0 and collapsed["sigma_hist"].max() == 1.0


@pytest.mark.parametrize(
    "trace, expected",
    [
        ([1.0, 0.8, 0.6, 0.5], -1),  # never collapses
        ([0.01, 0.0, 0.02, 0.01], 10),  # immediately
        ([2.0, 1.0, 0.01, 0.0], 30),  # after step 30
        ([0.01, 0.01, 0.5, 1.0], -1),  # collapse, then recovery
        ([0.01, 0.5, 0.01, 0.01], 30),  # a blip, then stays collapsed
    ],
)
def test_collapse_onset(trace, expected):
    steps = jnp.array([10, 20, 30, 40])
    out = jax.jit(states.collapse_onset_step, static_argnums=2)(jnp.array(trace), steps, 0.05)
    assert int(out) == expected


@pytest.mark.parametrize(
    "trace, final, expected",
    [
        ([[1.0, 1.0], [1.0, 0.01], [0.01, 0.01]], [0.01, 0.01], 30),  # dim 0 falls last
        ([[1.0, 0.01], [0.01, 0.01], [0.01, 0.01]], [0.0, 0.0], 20),
        ([[0.01, 0.01], [0.01, 0.01], [0.01, 0.2]], [0.01, 0.01], 30),  # final eval only
        ([[0.01, 0.01], [0.01, 0.01], [0.01, 0.01]], [0.01, 0.2], -1),  # eval: dim 1 lives
        ([[0.01, 0.01], [0.3, 0.01], [0.01, 0.01]], [0.01, 0.01], 30),  # a blip
    ],
)
def test_final_onset(trace, final, expected):
    """Every dim below ε from the onset through the final evaluation (at the last step)."""
    steps = jnp.array([10, 20, 30])
    out = jax.jit(diagnostics.final_onset, static_argnums=3)(
        jnp.array(trace), jnp.array(final), steps, 0.05
    )
    assert int(out) == expected


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.floats(0, 0.1), min_size=3, max_size=3), min_size=1, max_size=6),
    st.lists(st.floats(0, 0.1), min_size=3, max_size=3),
)
def test_onset_exactly_when_full(trace, final):
    """A run has an onset exactly when its state is full: they read one order parameter."""
    steps = jnp.arange(1, len(trace) + 1) * 10
    final = jnp.array(final, jnp.float32)
    onset = int(diagnostics.final_onset(jnp.array(trace, jnp.float32), final, steps, 0.05))
    state = int(diagnostics.collapse_state(final < 0.05))
    assert (onset >= 0) == (state == diagnostics.FULL)
    if onset >= 0:  # every dim below ε at every logged step from the onset on
        later = np.asarray(trace)[np.asarray(steps) >= onset]
        assert (later < np.float32(0.05)).all() or onset == int(steps[-1])


def _linear_vae():
    cfg = base_config().model
    cfg.update(name="linear", latent_dim=2, likelihood="gaussian", sigma2=0.3)
    return models.build(cfg, {"shape": (3,)})


def test_nll_iw_matches_exact_linear_gaussian_marginal():
    """x = Wz + b + N(0, σ²I), W with orthogonal columns: p(x) and p(z|x) are exact."""
    model, sigma2 = _linear_vae(), 0.3
    x = jax.random.normal(jax.random.PRNGKey(0), (64, 3)) * 1.5
    params = model.init(jax.random.PRNGKey(1), x, jnp.zeros((64, 2)))
    W = np.array([[1.2, 0.0], [0.0, 0.7], [0.0, 0.0]], np.float32)  # [D, d]
    b = np.array([0.1, -0.2, 0.3], np.float32)
    params["params"]["decoder"]["Dense_0"] = {"kernel": jnp.asarray(W.T), "bias": jnp.asarray(b)}
    exact = -np.mean(
        scipy.stats.multivariate_normal(b, W @ W.T + sigma2 * np.eye(3)).logpdf(np.asarray(x))
    )
    # exact posterior: precision I + WᵀW/σ² (diagonal here), mean Σ Wᵀ(x − b)/σ²
    post_var = 1.0 / (1.0 + np.sum(W**2, axis=0) / sigma2)
    post_mean = (np.asarray(x) - b) @ W / sigma2 * post_var
    log_var = jnp.broadcast_to(jnp.log(post_var), (64, 2))
    nll = diagnostics.importance_weighted_nll(
        model, params, x, jnp.asarray(post_mean), log_var, jax.random.PRNGKey(2), 3
    )
    np.testing.assert_allclose(float(nll), exact, rtol=1e-5)  # exact proposal: every weight = p(x)
    # a poor proposal (the prior): an upper bound on the NLL that tightens as k grows
    errors = []
    for k in (1, 30, 3000):
        nll = diagnostics.importance_weighted_nll(
            model, params, x, jnp.zeros((64, 2)), jnp.zeros((64, 2)), jax.random.PRNGKey(k), k
        )
        errors.append(float(nll) - exact)
    assert errors[0] > errors[1] > errors[2] >= -0.02
    assert errors[2] < 0.1


def test_latent_sensitivity_zero_when_decoder_ignores_z():
    model = _linear_vae()
    x = jax.random.normal(jax.random.PRNGKey(0), (16, 3))
    params = model.init(jax.random.PRNGKey(1), x, jnp.zeros((16, 2)))
    mean = jax.random.normal(jax.random.PRNGKey(2), (16, 2))
    kernel = params["params"]["decoder"]["Dense_0"]["kernel"]  # E[x|z] = zW + b
    expected = np.mean(np.abs((mean - jnp.roll(mean, 1, axis=0)) @ kernel))
    sensitivity = diagnostics.latent_sensitivity(model, params, mean, x)
    np.testing.assert_allclose(float(sensitivity), expected, rtol=1e-5)
    deaf = jax.tree_util.tree_map_with_path(
        lambda path, p: (
            jnp.zeros_like(p) if "decoder" in str(path) and "kernel" in str(path) else p
        ),
        params,
    )
    assert float(diagnostics.latent_sensitivity(model, deaf, mean, x)) == 0.0


@pytest.mark.parametrize(
    "indices, num_codes",
    [([0, 0, 0, 0], 4), ([0, 1, 2, 3], 4), ([0, 0, 1, 3, 3, 3], 5)],
)
def test_codebook_usage_matches_numpy(indices, num_codes):
    perplexity, used = jax.jit(diagnostics.codebook_usage, static_argnums=1)(
        jnp.array(indices), num_codes
    )
    p = np.bincount(indices, minlength=num_codes) / len(indices)
    expected = np.exp(scipy.stats.entropy(p))
    np.testing.assert_allclose(perplexity, expected, rtol=1e-6)
    assert int(used) == len(set(indices))


def _linear_recon(x, w, b, sigma2):
    """Mean over inputs of ||x − (zW + b)||² / (2σ²): a linear Gaussian decoder's loss."""
    return lambda z: jnp.mean(jnp.sum(jnp.square(x - z @ w - b), -1)) / (2 * sigma2)


@settings(deadline=None, max_examples=15)
@given(
    seed=st.integers(0, 2**16),
    free_bits=st.sampled_from([0.0, 0.05, 0.3, 5.0]),
)
def test_latent_pull_matches_finite_differences_and_the_kl_closed_form(seed, free_bits):
    rng = np.random.default_rng(seed)
    n, d, p = 64, 3, 5
    x, w, b = rng.normal(size=(n, p)), rng.normal(size=(d, p)), rng.normal(size=p)
    mean = rng.normal(size=(n, d)) * np.array([1.0, 0.3, 0.02])
    log_var = rng.normal(size=(n, d)) * 0.2 - 1.0
    eps = rng.normal(size=(n, d))
    sigma2 = 0.7
    z = mean + np.exp(0.5 * log_var) * eps
    recon = _linear_recon(jnp.asarray(x), jnp.asarray(w), jnp.asarray(b), sigma2)
    pull = diagnostics.latent_pull(
        jax.grad(recon)(jnp.asarray(z, jnp.float32)),
        *(jnp.asarray(a, jnp.float32) for a in (mean, log_var, free_bits)),
    )
    chex.assert_shape(tuple(pull), (d,))

    def recon_scaled(j, s):  # NumPy, float64: every μ_nj spread by (1 + s) about m_j
        shifted = z.copy()
        shifted[:, j] += s * (mean[:, j] - mean[:, j].mean())
        return np.mean(np.sum((x - shifted @ w - b) ** 2, -1)) / (2 * sigma2)

    h = 1e-5
    fd = [-(recon_scaled(j, h) - recon_scaled(j, -h)) / (2 * h) for j in range(d)]
    np.testing.assert_allclose(pull.recon_pull, fd, rtol=1e-3, atol=1e-5)
    per_input = -(x - z @ w - b) @ w.T / sigma2  # ∂(−log p(x_n|z_n))/∂z_n
    np.testing.assert_allclose(pull.recon_grad, np.sqrt((per_input**2).mean(0)), rtol=1e-4)
    kl_dims = 0.5 * (mean**2 + np.exp(log_var) - log_var - 1).mean(0)
    var = mean.var(0)  # population variance: d/ds ½ mean(μ(s)²) = Var_x μ
    np.testing.assert_allclose(
        pull.kl_pull, np.where(kl_dims > free_bits, var, 0.0), rtol=1e-4, atol=1e-7
    )
    np.testing.assert_allclose(pull.mu_var, var, rtol=1e-4)
    np.testing.assert_allclose(pull.sigma_sq, np.exp(log_var).mean(0), rtol=1e-5)


def test_latent_pull_balances_at_the_linear_vae_optimum_and_vanishes_on_an_ignored_dim():
    """At the β-VAE's optimal encoder for a linear decoder W (μ = (WᵀW + βσ²I)⁻¹Wᵀx,
    each input's gradient zero at z = μ) reconstruction's pull equals β times the KL's on
    every dim; a dim whose decoder row is zero gets no reconstruction pull."""
    rng = np.random.default_rng(0)
    n, d, p, sigma2, beta = 200, 3, 6, 0.5, 2.0
    x = rng.normal(size=(n, p)) * np.linspace(2.0, 0.5, p)
    w = rng.normal(size=(d, p))
    encoder = np.linalg.solve(w @ w.T + beta * sigma2 * np.eye(d), w)  # [d, p]
    mean, zeros = jnp.asarray(x @ encoder.T), jnp.zeros((n, d))

    def pull(w):
        recon = _linear_recon(jnp.asarray(x), jnp.asarray(w), 0.0, sigma2)
        return diagnostics.latent_pull(jax.grad(recon)(mean), mean, zeros, jnp.float32(0.0))

    balanced = pull(w)
    np.testing.assert_allclose(balanced.recon_pull, beta * balanced.kl_pull, rtol=2e-3)
    assert np.all(balanced.kl_pull > 0)
    w[1] = 0.0
    ignored = pull(w)
    assert ignored.recon_pull[1] == 0.0 and ignored.recon_grad[1] == 0.0
    assert ignored.kl_pull[1] > 0


@pytest.mark.parametrize("gain", [1e-3, 0.5])
def test_latent_pull_at_a_linear_vaes_collapsed_dim_is_lucas_criterion(gain):
    """One latent dim, encoder μ = c·x₁ (x₁ the data's top direction, variance λ), σ_q = 1,
    the decoder w = Cov(x, z) / E z² (optimal for that encoder, z = μ + ε): recon pull over
    KL pull = λ / ((c²λ + 1)² σ²), → λ/σ² as c → 0 — the dim leaves collapse under β
    exactly when λ > βσ² (Lucas et al. 2019)."""
    rng = np.random.default_rng(1)
    n, p, sigma2 = 4000, 3, 0.8
    x = rng.normal(size=(n, p)) * np.array([2.0, 1.0, 0.5])
    x -= x.mean(0)
    lam = x[:, 0].var()
    mean = gain * x[:, :1]
    w = (x.T @ mean / n).T / (mean.var() + 1.0)  # E z² = Var μ + E ε² with ε ⟂ x
    recon = _linear_recon(jnp.asarray(x), jnp.asarray(w), 0.0, sigma2)
    m = jnp.asarray(mean)
    pull = diagnostics.latent_pull(jax.grad(recon)(m), m, jnp.zeros_like(m), jnp.float32(0.0))
    expected = lam / ((gain**2 * lam + 1) ** 2 * sigma2)
    np.testing.assert_allclose(pull.recon_pull / pull.kl_pull, expected, rtol=1e-3)
    if gain < 0.01:
        np.testing.assert_allclose(pull.recon_pull / pull.kl_pull, lam / sigma2, rtol=1e-4)
