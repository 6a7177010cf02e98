"""Closed forms for the linear-Gaussian VAE (Lucas et al. 2019, "Don't blame the ELBO!").

Model: x ∈ R^D zero-mean Gaussian with covariance eigenvalues λ_1..λ_D; decoder
p(x|z) = N(Wz + b, σ² I) with fixed σ²; encoder q(z|x) = N(Vx + c, diag(s²)).

Derivation. The β-weighted loss E[−log p(x|z)] + β KL equals β times
E[‖x − Wz − b‖²] / (2βσ²) + KL up to a constant, i.e. the plain ELBO of the same model
with decoder variance βσ². For the plain linear VAE the optimum is probabilistic PCA
(Tipping & Bishop 1999; Lucas et al. 2019, Sec. 4): along eigen-direction i the
decoder column has ‖w_i‖² = max(0, λ_i − σ²), the encoder variance is s_i² = σ²/λ_i,
and the KL of that latent is ½(v²λ + s² − log s² − 1) = ½ log(λ_i / σ²). A direction
with λ_i ≤ σ² gets w_i = 0 and q = p: the latent collapses with KL 0. Replacing σ²
by βσ² gives the functions below.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

Array = jax.Array


def linear_vae_collapsed(eigenvalues: Array, sigma2: Array, beta: Array) -> Array:
    """Boolean per dim: latent i collapses iff λ_i ≤ β σ²."""
    return jnp.asarray(eigenvalues) <= beta * sigma2


def linear_vae_kl_per_dim(eigenvalues: Array, sigma2: Array, beta: Array) -> Array:
    """Optimal KL per latent dim: ½ log(λ_i / (βσ²)) where λ_i > βσ², else 0 (nats)."""
    eigenvalues = jnp.asarray(eigenvalues, jnp.float32)
    ratio = eigenvalues / (beta * sigma2)
    return jnp.where(ratio > 1.0, 0.5 * jnp.log(jnp.maximum(ratio, 1.0)), 0.0)
