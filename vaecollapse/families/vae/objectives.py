"""ELBO pieces: Gaussian KL, log-likelihoods, β weighting, free bits, VQ losses, IWAE, and
the posterior constraints of BN-VAE and δ-VAE.

Every function is pure and jit/vmap-safe. Hyperparameters are keyword-only and may be
traced arrays, so a sweep can `jax.vmap` over them. Outputs are unreduced wherever
that is meaningful (the caller reduces), as in optax.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

Array = jax.Array

_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_kl(mean: Array, log_var: Array) -> Array:
    """Per-dimension KL(N(μ, σ²) ‖ N(0, 1)).

    KL_j = ½ (μ_j² + σ_j² − log σ_j² − 1)   (Kingma & Welling 2014, App. B).

    Args:
      mean: μ, any shape ``[..., d]``.
      log_var: log σ², same shape as ``mean``.

    Returns:
      Array of the shape of ``mean``, in nats.
    """
    return 0.5 * (jnp.square(mean) + jnp.exp(log_var) - log_var - 1.0)


BN_EPS = 1e-5  # BN-VAE: added to the batch variance of μ before dividing


def bn_mean(mean: Array, gamma: Array, shift: Array) -> Array:
    """BN-VAE's posterior means (Zhu et al. 2020): μ̂_j = γ·(μ_j − m_j)/√(v_j + ε) + β_j,
    m_j and v_j the mean and variance of μ_j over the batch (the rows of ``mean``), γ a
    fixed scale (swept, ``bn_gamma``), β_j a learned shift, ε = `BN_EPS`.

    The floor on the expected KL: KL_j(x) = ½(μ̂_j² + σ_j² − log σ_j² − 1) ≥ ½ μ̂_j²
    (σ² − log σ² − 1 ≥ 0), and the batch mean of μ̂_j² is γ²·v_j/(v_j + ε) + β_j², so

        E_batch KL_j ≥ ½ γ² v_j/(v_j + ε)     (→ γ²/2 once v_j ≫ ε),

    whatever the network does: no dim's expected KL can fall to 0 unless its μ_j is
    constant over the batch.

    Args:
      mean: ``[B, d]`` the encoder's μ.  gamma: scalar.  shift: ``[d]`` β.
    """
    m = jnp.mean(mean, axis=0)
    v = jnp.var(mean, axis=0)
    return gamma * (mean - m) * jax.lax.rsqrt(v + BN_EPS) + shift


def delta_variance_bound(delta: Array, iterations: int = 40) -> Array:
    """x_l(δ) ∈ (0, 1]: the root of ln x − x + 2δ + 1 = 0 below 1 (δ ≥ 0).

    Newton's method on u = ln x, f(u) = eᵘ − u − 1 − 2δ: f is convex and decreasing for
    u < 0 and f(−(2δ + 1)) = e^{−(2δ+1)} > 0, so the iterates from there rise
    monotonically to the root without overshooting (x_l(0) = 1, where the root is double
    and the convergence linear: 40 steps leave |u| ~ 1e-7 in float32).
    """
    delta = jnp.asarray(delta, jnp.float32)

    def newton(_, u):  # expm1: eᵘ − 1 − u without cancellation near the double root
        return u - (jnp.expm1(u) - u - 2.0 * delta) / jnp.minimum(jnp.expm1(u), -1e-30)

    u = jax.lax.fori_loop(0, iterations, newton, -(2.0 * delta + 1.0))
    return jnp.exp(u)


def delta_log_var(raw_log_var: Array, delta: Array) -> Array:
    """δ-VAE's posterior variance (Razavi et al. 2019, their bound for a N(0, 1) prior):
    σ² = x_l(δ)·sigmoid(raw), so 0 < σ² ≤ x_l(δ) ≤ 1 (`delta_variance_bound`).

    The floor on every dim's KL, for every input: g(x) = x − ln x − 1 falls on (0, 1], so
    KL_j(x) ≥ ½ g(σ_j²) ≥ ½ g(x_l) = δ (x_l solves g(x) = 2δ), whatever μ_j.

    Returns:
      log σ², the shape of ``raw_log_var``.
    """
    return jnp.log(delta_variance_bound(delta)) + jax.nn.log_sigmoid(raw_log_var)


def mmd(z_q: Array, z_p: Array) -> Array:
    """Unbiased estimate of MMD² between the samples ``z_q`` ``[B, d]`` (of the aggregate
    posterior q(z)) and ``z_p`` ``[M, d]`` (of the prior), Gaussian kernel
    k(a, b) = exp(−‖a − b‖²/(2d)) (bandwidth² = d, the prior's expected squared norm):

        MMD² = mean_{i≠j} k(q_i, q_j) + mean_{i≠j} k(p_i, p_j) − 2 mean_{i,j} k(q_i, p_j)

    (Gretton et al. 2012); 0 in expectation when q(z) = p(z). MMD-VAE / InfoVAE (Zhao et
    al. 2019) adds λ·MMD² to the loss: it matches q(z) to p(z) as a whole, without
    pushing each q(z|x) onto the prior as the KL does.
    """
    d = z_q.shape[-1]

    def kernel(a, b):
        sq = jnp.sum(jnp.square(a[:, None, :] - b[None, :, :]), axis=-1)
        return jnp.exp(-sq / (2.0 * d))

    def within(a):
        n = a.shape[0]
        return (jnp.sum(kernel(a, a)) - n) / (n * (n - 1))  # k(a_i, a_i) = 1 dropped

    return within(z_q) + within(z_p) - 2.0 * jnp.mean(kernel(z_q, z_p))


POSTERIOR_STRENGTH = {"bn": "bn_gamma", "delta": "delta"}  # posterior -> its hyperparameter


def posterior_strength(posterior: str, hparams) -> Array | None:
    """γ or δ of a constrained posterior from a run's hyperparameters (None: plain)."""
    name = POSTERIOR_STRENGTH.get(posterior)
    return None if name is None else hparams[name]


def bernoulli_log_likelihood(logits: Array, x: Array) -> Array:
    """Elementwise log Bernoulli(x | sigmoid(logits)), valid for x ∈ [0, 1].

    log p = x·logits − softplus(logits) (a stable form of x log p + (1−x) log(1−p)).

    Returns:
      Array of the broadcast shape of ``logits`` and ``x``.
    """
    return x * logits - jax.nn.softplus(logits)


def gaussian_log_likelihood(x: Array, mean: Array, log_var: Array) -> Array:
    """Elementwise log N(x | mean, exp(log_var)) = −½(log 2π + log σ² + (x−μ)²/σ²)."""
    return -0.5 * (_LOG_2PI + log_var + jnp.square(x - mean) * jnp.exp(-log_var))


def categorical_log_likelihood(logits: Array, labels: Array) -> Array:
    """log softmax(logits)[labels]; ``logits`` is ``[..., V]``, ``labels`` ``[...]`` ints."""
    log_probs = jax.nn.log_softmax(logits, axis=-1)
    return jnp.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0]


def free_bits_kl(kl: Array, free_bits: Array) -> Array:
    """Free-bits KL: Σ_j max(λ, mean_batch KL[:, j])  (Kingma et al. 2016, one group per dim).

    The gradient is zero for dims whose batch-mean KL is below λ (they are free) and
    equals the KL gradient above it. λ = 0 recovers the plain batch-mean KL.

    Args:
      kl: per-dim KL, ``[batch, d]``.
      free_bits: λ in nats per dim, a scalar array (vmappable).

    Returns:
      Scalar: the free-bits KL term per example.
    """
    return jnp.sum(jnp.maximum(free_bits, jnp.mean(kl, axis=0)))


def log_mean_exp(x: Array, axis: int = 0) -> Array:
    """log((1/k) Σ exp x) along ``axis``, stable for large |x|."""
    return jax.nn.logsumexp(x, axis=axis) - math.log(x.shape[axis])


def iwae_bound(log_joint: Array, log_q: Array) -> Array:
    """Importance-weighted bound log (1/k) Σ_i p(x, z_i)/q(z_i|x)  (Burda et al. 2016).

    Args:
      log_joint: log p(x, z_i), ``[k, batch]``.
      log_q: log q(z_i | x), ``[k, batch]``.

    Returns:
      ``[batch]`` lower bound on log p(x); k = 1 gives the ELBO, it grows with k.
    """
    return log_mean_exp(log_joint - log_q, axis=0)


def vq_losses(z_e: Array, codebook: Array, commitment_cost: Array):
    """Vector-quantisation bottleneck (van den Oord et al. 2017).

    indices_n = argmin_k ‖z_e[n] − e_k‖²,  z_q = e_indices,
    codebook loss = ‖sg[z_e] − z_q‖²,  commitment = β_c ‖z_e − sg[z_q]‖².
    The straight-through output z_e + sg[z_q − z_e] equals z_q forward and passes the
    decoder's gradient to the encoder unchanged.

    Args:
      z_e: encoder outputs ``[n, d]``.
      codebook: ``[K, d]``.
      commitment_cost: β_c, scalar array.

    Returns:
      ``(z_q_straight_through [n, d], codebook_loss [n], commitment_loss [n], indices [n])``.
    """
    distances = (
        jnp.sum(jnp.square(z_e), axis=-1, keepdims=True)
        - 2.0 * z_e @ codebook.T
        + jnp.sum(jnp.square(codebook), axis=-1)
    )
    indices = jnp.argmin(distances, axis=-1)
    z_q = codebook[indices]
    codebook_loss = jnp.sum(jnp.square(jax.lax.stop_gradient(z_e) - z_q), axis=-1)
    commitment_loss = commitment_cost * jnp.sum(
        jnp.square(z_e - jax.lax.stop_gradient(z_q)), axis=-1
    )
    z_q_st = z_e + jax.lax.stop_gradient(z_q - z_e)
    return z_q_st, codebook_loss, commitment_loss, indices


def vq_ema_update(
    counts: Array,
    sums: Array,
    z_e: Array,
    indices: Array,
    *,
    decay: Array,
    epsilon: float = 1e-5,
):
    """Exponential-moving-average codebook update (van den Oord et al. 2017, App. A.1).

    N_k ← γ N_k + (1−γ) n_k,  m_k ← γ m_k + (1−γ) Σ_{i: idx_i=k} z_e[i],
    e_k = m_k / Ñ_k with Laplace-smoothed Ñ_k = (N_k + ε) / (Σ N + K ε) · Σ N.

    Args:
      counts: N, ``[K]``.  sums: m, ``[K, d]``.  z_e: ``[n, d]``.  indices: ``[n]``.
      decay: γ, scalar array.  epsilon: Laplace smoothing.

    Returns:
      ``(counts [K], sums [K, d], codebook [K, d])``.
    """
    num_codes = counts.shape[0]
    one_hot = jax.nn.one_hot(indices, num_codes, dtype=z_e.dtype)
    counts = decay * counts + (1.0 - decay) * jnp.sum(one_hot, axis=0)
    sums = decay * sums + (1.0 - decay) * one_hot.T @ z_e
    total = jnp.sum(counts)
    smoothed = (counts + epsilon) / (total + num_codes * epsilon) * total
    return counts, sums, sums / smoothed[:, None]


def dead_codes(counts: Array, *, threshold: Array = 1e-3) -> Array:
    """Boolean ``[K]``: codes whose EMA usage count is below ``threshold`` (dead)."""
    return counts < threshold


def restart_dead_codes(
    codebook: Array,
    counts: Array,
    sums: Array,
    z_e: Array,
    key: Array,
    *,
    enabled: Array,
    threshold: float = 1e-2,
):
    """Move dead codes (EMA usage below ``threshold``) onto random encoder outputs.

    A code no input picks gets no gradient and no EMA update, so it stays dead; restarting
    it at a current encoder output (as in Jukebox, Dhariwal et al. 2020) brings it back
    where the data are. Restarted codes get the mean usage count, so they are not
    restarted again at once. ``enabled`` (a 0/1 scalar array, vmappable) switches it.

    Args:
      codebook: ``[K, d]``.  counts: EMA usage ``[K]``.  sums: EMA sums ``[K, d]``.
      z_e: encoder outputs ``[n, d]``.  key: PRNG key choosing the outputs.

    Returns:
      ``(codebook, counts, sums)`` with the dead codes restarted.
    """
    dead = dead_codes(counts, threshold=threshold) & (enabled > 0.5)
    picks = z_e[jax.random.randint(key, (codebook.shape[0],), 0, z_e.shape[0])]
    usage = jnp.mean(counts)
    return (
        jnp.where(dead[:, None], picks, codebook),
        jnp.where(dead, usage, counts),
        jnp.where(dead[:, None], picks * usage, sums),
    )
