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

In NumPy, float32 like the learned KL they are compared with: the reading side
(`vae.plots.analytic_kl`) evaluates them with no training engine loaded; nothing calls them
under jit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def linear_vae_collapsed(eigenvalues: ArrayLike, sigma2: ArrayLike, beta: ArrayLike) -> np.ndarray:
    """Boolean per dim: latent i collapses iff λ_i ≤ β σ²."""
    return np.asarray(eigenvalues, np.float32) <= np.asarray(np.multiply(beta, sigma2), np.float32)


def linear_vae_kl_per_dim(eigenvalues: ArrayLike, sigma2: ArrayLike, beta: ArrayLike) -> np.ndarray:
    """Optimal KL per latent dim: ½ log(λ_i / (βσ²)) where λ_i > βσ², else 0 (nats).
    Broadcasts: ``beta[:, None]`` gives one row per β."""
    ratio = np.asarray(eigenvalues, np.float32) / np.asarray(np.multiply(beta, sigma2), np.float32)
    return np.where(ratio > 1.0, 0.5 * np.log(np.maximum(ratio, 1.0)), 0.0)
