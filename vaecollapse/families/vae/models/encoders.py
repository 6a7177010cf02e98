"""Gaussian encoders q(z|x) = N(μ(x), diag σ²(x)). Architecture only.

Every encoder is called as ``encoder(x, cond)``; ``cond`` ``[B, c]`` (a CVAE's label
embedding) or None is read by the final dense layer beside the features (`gaussian_head`).
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse.families.vae.models.initializers import lstm_cell
from vaecollapse.layers import TapConv, square_taps


def gaussian_head(h: jax.Array, cond: jax.Array | None, latent_dim: int):
    """Dense features ``[B, f]`` (and ``cond``) → (μ, log σ²), each ``[B, latent_dim]``."""
    if cond is not None:
        h = jnp.concatenate([h, cond], axis=-1)
    out = nn.Dense(2 * latent_dim)(h)
    return out[:, :latent_dim], out[:, latent_dim:]


class MLPEncoder(nn.Module):
    """x ``[B, *shape]`` → (μ, log σ²), each ``[B, latent_dim]``; ReLU MLP on flattened x."""

    hidden: Sequence[int]
    latent_dim: int

    @nn.compact
    def __call__(self, x: jax.Array, cond: jax.Array | None = None):
        h = x.reshape(x.shape[0], -1)
        for width in self.hidden:
            h = nn.relu(nn.Dense(width)(h))
        return gaussian_head(h, cond, self.latent_dim)


class ConvEncoder(nn.Module):
    """Images ``[B, H, W, C]`` → (μ, log σ²) ``[B, latent_dim]``: 3×3 stride-2 ReLU
    convolutions with ``features`` channels each (H and W halve per layer), then a dense
    layer on the flattened map."""

    features: Sequence[int]
    latent_dim: int

    @nn.compact
    def __call__(self, x: jax.Array, cond: jax.Array | None = None):
        h = x
        for width in self.features:
            h = nn.relu(TapConv(width, square_taps(3), stride=2)(h))
        return gaussian_head(h.reshape(x.shape[0], -1), cond, self.latent_dim)


class LinearEncoder(nn.Module):
    """Linear-VAE encoder (Lucas et al. 2019): μ = Vx + c, log σ² a free per-dim vector.

    x ``[B, D]`` → (μ, log σ²), each ``[B, latent_dim]``; σ² does not depend on x.
    """

    latent_dim: int

    @nn.compact
    def __call__(self, x: jax.Array, cond: jax.Array | None = None):
        h = x.reshape(x.shape[0], -1)
        mean = nn.Dense(self.latent_dim)(h if cond is None else jnp.concatenate([h, cond], -1))
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
    def __call__(self, x: jax.Array, cond: jax.Array | None = None):
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
        return gaussian_head(jnp.concatenate([h_fwd, h_bwd], axis=-1), cond, self.latent_dim)
