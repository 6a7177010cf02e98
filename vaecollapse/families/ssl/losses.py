"""The SSL family's objectives: joint-embedding losses of two views' embeddings, in JAX.

Each loss takes the embeddings ``[B, d]`` of two augmented views of one batch (and, for
SimSiam and BYOL, the predictor's outputs) and returns a scalar; which one a run trains
is ``config.model.ssl_loss`` (`config.LOSSES`; the trainer, `ssl.trainer`, picks it). Their
weights are swept hyperparameters (``hparams``).

- ``simsiam`` (`simsiam_loss`): z_i = f(x_i), p_i = h(z_i), the symmetric negative
  cosine ½D(p₁, t(z₂)) + ½D(p₂, t(z₁)), D(p, z) = −cos(p, z), where the target branch
  t(z) = α·z + (1 − α)·stop_gradient(z) has the value z and the gradient α
  (``target_gradient``: 0 is SimSiam, 1 is no stop-gradient, which collapses; `target`).
  The predictor's updates are scaled by ``predictor_lr`` (the trainer).
- ``vicreg`` (`vicreg_loss`): λ·MSE(z₁, z₂) + μ·½[v(z₁) + v(z₂)] + ν·[c(z₁) + c(z₂)] with
  v(z) the mean over dims of max(0, 1 − √(Var z_k + 1e-4)) and c(z) the squared
  off-diagonal entries of the covariance (ddof 1) summed, over d —
  ``facebookresearch/vicreg``'s ``main_vicreg.py``; λ, μ, ν = ``vicreg_invariance``,
  ``vicreg_variance``, ``vicreg_covariance`` (25, 25, 1).
- ``infonce`` (`infonce_loss`): the cross-entropy of logits z₁ z₂ᵀ / ``temperature``
  with the matching view as the class (Jing et al.'s ``toy_task``: one direction, all
  other rows of the batch as negatives, no normalisation; ``config.model.cosine``
  (optional, default False) l2-normalises z first, as SimCLR).
- ``byol`` (`byol_loss`): the predictor's output against a *target* encoder whose
  parameters are an exponential moving average of the online encoder's, ξ ← τ·ξ +
  (1 − τ)·θ after every step (τ = ``ema_momentum``; τ = 0 is the online encoder itself
  behind a stop-gradient, i.e. SimSiam), loss 2 − cos(p₁, t₂) − cos(p₂, t₁) (the
  normalised squared error of the paper, symmetrised and halved). τ follows the paper's
  cosine schedule from τ_base = ``ema_momentum`` up to 1 at the last step
  (`ema_momentum`; ``config.model.ema_schedule = "constant"`` holds it at τ_base).
- ``barlow`` (`barlow_loss`): Σ_k (1 − C_kk)² + λ·Σ_{k≠l} C_kl², C the cross-correlation
  of the two views' embeddings, each dimension standardised over the batch
  (``facebookresearch/barlowtwins``: BatchNorm1d without affine, then z̃₁ᵀz̃₂ / B);
  λ = ``barlow_offdiag`` (0.0051).

References:
  Chen, X. & He, K. (2021). Exploring simple Siamese representation learning. CVPR.
  Grill, J.-B. et al. (2020). Bootstrap your own latent: a new approach to
    self-supervised learning. NeurIPS.
  Bardes, A., Ponce, J. & LeCun, Y. (2022). VICReg: variance-invariance-covariance
    regularization for self-supervised learning. ICLR.
  van den Oord, A., Li, Y. & Vinyals, O. (2018). Representation learning with
    contrastive predictive coding. arXiv:1807.03748 (InfoNCE).
  Chen, T., Kornblith, S., Norouzi, M. & Hinton, G. (2020). A simple framework for
    contrastive learning of visual representations. ICML (SimCLR).
  Jing, L., Vincent, P., LeCun, Y. & Tian, Y. (2022). Understanding dimensional collapse
    in contrastive self-supervised learning. ICLR.
  Zbontar, J., Jing, L., Misra, I., LeCun, Y. & Deny, S. (2021). Barlow Twins:
    self-supervised learning via redundancy reduction. ICML.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

VICREG_EPS = 1e-4  # inside the variance term's square root (facebookresearch/vicreg)
BARLOW_EPS = 1e-5  # of the per-dim standardisation (torch BatchNorm1d, affine=False)


def normalize(z: jax.Array, eps: float = 1e-12) -> jax.Array:
    """Rows of ``z`` scaled to unit l2 norm (divided by max(‖z‖, eps)). An all-zero row
    (e.g. a predictor whose ReLUs are all off for it) stays 0 with a finite gradient: its
    norm is taken of a row of ones instead (`jnp.linalg.norm`'s gradient at 0 is NaN);
    other rows are computed exactly as ``z / max(norm(z), eps)``."""
    zero = jnp.all(z == 0, axis=-1, keepdims=True)
    norm = jnp.linalg.norm(jnp.where(zero, 1.0, z), axis=-1, keepdims=True)
    return z / jnp.maximum(norm, eps)


def ema_momentum(base: jax.Array, step: jax.Array, total_steps: int, cosine: bool) -> jax.Array:
    """BYOL's target momentum at optimisation step ``step`` (0-based) of ``total_steps``:
    with ``cosine`` Grill et al.'s (2020, §3.2) schedule τ = 1 − (1 − τ_base)·(cos(πk/K)
    + 1)/2, from τ_base at k = 0 up to 1 at k = K; else τ_base throughout."""
    if not cosine:
        return base
    return 1 - (1 - base) * (jnp.cos(jnp.pi * step / total_steps) + 1) / 2


def target(z: jax.Array, alpha: jax.Array) -> jax.Array:
    """The target branch: the value of ``z``, the gradient scaled by ``alpha``."""
    return alpha * z + (1 - alpha) * jax.lax.stop_gradient(z)


def negative_cosine(p: jax.Array, z: jax.Array) -> jax.Array:
    """D(p, z) = −mean over rows of cos(p, z)."""
    return -jnp.mean(jnp.sum(normalize(p) * normalize(z), axis=-1))


def simsiam_loss(p1, p2, z1, z2, alpha) -> jax.Array:
    """½D(p₁, t(z₂)) + ½D(p₂, t(z₁)), t the target branch (`target`)."""
    return 0.5 * negative_cosine(p1, target(z2, alpha)) + 0.5 * negative_cosine(
        p2, target(z1, alpha)
    )


def vicreg_loss(z1, z2, invariance, variance, covariance) -> jax.Array:
    """VICReg (Bardes et al. 2022) of two views' embeddings ``[B, d]`` (module docstring)."""
    n, d = z1.shape

    def var_term(z):
        return jnp.mean(jax.nn.relu(1 - jnp.sqrt(z.var(0, ddof=1) + VICREG_EPS)))

    def cov_term(z):
        c = z - z.mean(0)
        cov = c.T @ c / (n - 1)
        return (jnp.sum(cov**2) - jnp.sum(jnp.diagonal(cov) ** 2)) / d

    return (
        invariance * jnp.mean((z1 - z2) ** 2)
        + variance * 0.5 * (var_term(z1) + var_term(z2))
        + covariance * (cov_term(z1) + cov_term(z2))
    )


def byol_loss(p1, p2, t1, t2) -> jax.Array:
    """BYOL (Grill et al. 2020): ½[‖p̄₁ − t̄₂‖² + ‖p̄₂ − t̄₁‖²] = 2 − cos(p₁, t₂) − cos(p₂, t₁),
    bars l2-normalised rows, the targets t from the EMA network (mean over rows)."""
    return 2 + negative_cosine(p1, t2) + negative_cosine(p2, t1)


def barlow_loss(z1, z2, offdiag) -> jax.Array:
    """Barlow Twins (Zbontar et al. 2021) of two views' embeddings ``[B, d]``: each
    dimension standardised over the batch (biased variance + 1e-5), C = z̃₁ᵀz̃₂ / B,
    Σ_k (1 − C_kk)² + ``offdiag``·Σ_{k≠l} C_kl²."""

    def standardise(z):
        return (z - z.mean(0)) * jax.lax.rsqrt(z.var(0) + BARLOW_EPS)

    c = standardise(z1).T @ standardise(z2) / z1.shape[0]
    on = jnp.sum((1 - jnp.diagonal(c)) ** 2)
    return on + offdiag * (jnp.sum(c**2) - jnp.sum(jnp.diagonal(c) ** 2))


def infonce_loss(z1, z2, temperature, cosine: bool = False) -> jax.Array:
    """−mean_i log softmax_j(z₁ᵢ·z₂ⱼ / temperature)ᵢ: each row's own second view against
    the batch's (Jing et al. 2022's toy; ``cosine``: l2-normalised rows, as SimCLR)."""
    if cosine:
        z1, z2 = normalize(z1), normalize(z2)
    logits = z1 @ z2.T / temperature
    return -jnp.mean(jnp.diagonal(jax.nn.log_softmax(logits, axis=-1)))
