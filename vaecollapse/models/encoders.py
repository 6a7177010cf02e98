"""Gaussian encoders q(z|x) = N(μ(x), diag σ²(x)). Architecture only."""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp


class MLPEncoder(nn.Module):
    """x ``[B, *shape]`` → (μ, log σ²), each ``[B, latent_dim]``; ReLU MLP on flattened x."""

    hidden: Sequence[int]
    latent_dim: int

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        h = x.reshape(x.shape[0], -1)
        for width in self.hidden:
            h = nn.relu(nn.Dense(width)(h))
        out = nn.Dense(2 * self.latent_dim)(h)
        return out[:, : self.latent_dim], out[:, self.latent_dim :]


class LinearEncoder(nn.Module):
    """Linear-VAE encoder (Lucas et al. 2019): μ = Vx + c, log σ² a free per-dim vector.

    x ``[B, D]`` → (μ, log σ²), each ``[B, latent_dim]``; σ² does not depend on x.
    """

    latent_dim: int

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        mean = nn.Dense(self.latent_dim)(x.reshape(x.shape[0], -1))
        log_var = self.param("log_var", nn.initializers.zeros, (self.latent_dim,))
        return mean, jnp.broadcast_to(log_var, mean.shape)
