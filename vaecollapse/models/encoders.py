"""Gaussian encoders q(z|x) = N(μ(x), diag σ²(x)). Architecture only."""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse.models.initializers import lstm_cell


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


class LSTMEncoder(nn.Module):
    """Tokens ``[B, T]`` → (μ, log σ²) ``[B, latent_dim]`` from a bidirectional LSTM's
    final states (Bowman et al. 2016 use a single-layer LSTM; both directions here)."""

    vocab_size: int
    embed_dim: int
    hidden: int
    latent_dim: int

    @nn.compact
    def __call__(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        emb = nn.Embed(self.vocab_size, self.embed_dim)(x)
        forward = nn.RNN(lstm_cell(self.hidden), return_carry=True)
        backward = nn.RNN(
            lstm_cell(self.hidden),
            return_carry=True,
            reverse=True,
            keep_order=True,
        )
        (_, h_fwd), _ = forward(emb)
        (_, h_bwd), _ = backward(emb)
        out = nn.Dense(2 * self.latent_dim)(jnp.concatenate([h_fwd, h_bwd], axis=-1))
        return out[:, : self.latent_dim], out[:, self.latent_dim :]
