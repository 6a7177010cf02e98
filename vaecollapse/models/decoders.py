"""Factorised decoders p(x|z) = Π_i p(x_i | z). Architecture only.

Each maps z ``[B, latent_dim]`` to per-element output parameters of the data shape
``[B, *shape]``: Bernoulli logits or Gaussian means, as `vae.VAE.likelihood` says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import flax.linen as nn
import jax


class MLPDecoder(nn.Module):
    """ReLU MLP z → ``[B, *shape]`` (the "weaker", factorised decoder)."""

    hidden: Sequence[int]
    shape: Sequence[int]

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        h = z
        for width in self.hidden:
            h = nn.relu(nn.Dense(width)(h))
        return nn.Dense(math.prod(self.shape))(h).reshape(z.shape[0], *self.shape)


class LinearDecoder(nn.Module):
    """Linear-VAE decoder: mean Wz + b, ``[B, D]``."""

    shape: Sequence[int]

    @nn.compact
    def __call__(self, z: jax.Array) -> jax.Array:
        return nn.Dense(math.prod(self.shape))(z).reshape(z.shape[0], *self.shape)
