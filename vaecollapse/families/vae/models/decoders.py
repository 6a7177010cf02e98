"""Decoders p(x|z). Architecture only.

Every decoder is called as ``decoder(z, context, keep)`` and returns per-element output
parameters (Bernoulli logits, Gaussian means or categorical logits, as
`vae.VAE.likelihood` says). Factorised decoders, p(x|z) = Π_i p(x_i | z), ignore
``context`` and ``keep``; autoregressive ones read ``context`` (the data, teacher
forcing) causally, with the positions where ``keep`` is False hidden from them
(context dropout; ``keep=None`` hides nothing).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse.families.vae.models.initializers import lstm_cell
from vaecollapse.layers import TapConv, square_taps, upsample


class MLPDecoder(nn.Module):
    """ReLU MLP z → ``[B, *shape]`` (the "weaker", factorised decoder)."""

    hidden: Sequence[int]
    shape: Sequence[int]

    @nn.compact
    def __call__(self, z: jax.Array, context=None, keep=None) -> jax.Array:
        del context, keep
        h = z
        for width in self.hidden:
            h = nn.relu(nn.Dense(width)(h))
        return nn.Dense(math.prod(self.shape))(h).reshape(z.shape[0], *self.shape)


class ConvDecoder(nn.Module):
    """z → ``[B, H, W, C]`` logits/means, factorised: a dense layer to an
    ``[H/2^L, W/2^L, features[0]]`` map, then L × (nearest ×2 upsampling, 3×3 ReLU
    convolution with ``features[l]`` channels) — resize-convolution, Odena et al. 2016 —
    then a 3×3 convolution to C channels (the mirror of `ConvEncoder`)."""

    features: Sequence[int]
    shape: Sequence[int]

    @nn.compact
    def __call__(self, z: jax.Array, context=None, keep=None) -> jax.Array:
        del context, keep
        height, width, channels = self.shape
        scale = 2 ** len(self.features)
        h = nn.Dense((height // scale) * (width // scale) * self.features[0])(z)
        h = nn.relu(h).reshape(z.shape[0], height // scale, width // scale, self.features[0])
        for feat in self.features:
            h = nn.relu(TapConv(feat, square_taps(3))(upsample(h)))
        return TapConv(channels, square_taps(3))(h)


class LinearDecoder(nn.Module):
    """Linear-VAE decoder: mean Wz + b, ``[B, D]``."""

    shape: Sequence[int]

    @nn.compact
    def __call__(self, z: jax.Array, context=None, keep=None) -> jax.Array:
        del context, keep
        return nn.Dense(math.prod(self.shape))(z).reshape(z.shape[0], *self.shape)


def previous_tokens(context: jax.Array, keep: jax.Array | None, vocab_size: int) -> jax.Array:
    """The input of each position of a token decoder: ``[B, T]`` ids of the previous token
    (BOS = ``vocab_size`` at t = 0), with token t replaced by UNK = ``vocab_size + 1``
    as the input at t + 1 where ``keep[:, t]`` is False (word dropout)."""
    batch = context.shape[0]
    previous = jnp.concatenate(
        [jnp.full((batch, 1), vocab_size, context.dtype), context[:, :-1]], axis=1
    )
    if keep is None:
        return previous
    kept = jnp.concatenate([jnp.ones((batch, 1), bool), keep[:, :-1]], axis=1)
    return jnp.where(kept, previous, vocab_size + 1)


class LSTMDecoder(nn.Module):
    """Autoregressive LSTM language model conditioned on z (Bowman et al. 2016).

    Input at step t is the previous token (a BOS token at t = 0) concatenated with z;
    z also sets the initial state (``z_every_step`` False: z sets the initial state
    only, Bowman et al.'s model; skip-VAE-like access to z at every step is the
    default). Teacher forcing: ``context`` is the target sequence
    ``[B, T]``; logits at t depend only on tokens < t. Context dropout ("word dropout"):
    where ``keep[:, t]`` is False, token t is replaced by UNK as the input at t + 1.

    Returns:
      Logits ``[B, T, vocab_size]``.
    """

    vocab_size: int
    embed_dim: int
    hidden: int
    z_every_step: bool = True

    @nn.compact
    def __call__(self, z: jax.Array, context: jax.Array, keep: jax.Array | None) -> jax.Array:
        batch, length = context.shape
        previous = previous_tokens(context, keep, self.vocab_size)
        inputs = nn.Embed(self.vocab_size + 2, self.embed_dim)(previous)
        if self.z_every_step:
            z_steps = jnp.broadcast_to(z[:, None, :], (batch, length, z.shape[-1]))
            inputs = jnp.concatenate([inputs, z_steps], axis=-1)
        c0, h0 = jnp.split(nn.tanh(nn.Dense(2 * self.hidden)(z)), 2, axis=-1)
        out = nn.RNN(lstm_cell(self.hidden))(inputs, initial_carry=(c0, h0))
        return nn.Dense(self.vocab_size)(out)
