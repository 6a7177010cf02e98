"""Your own VAE, in plain Flax: an encoder, a decoder and `make`, the function
``config.model.name = "models:make"`` names. Nothing here imports vaecollapse.

The contract (`vaecollapse` checks it with `jax.eval_shape` before anything trains):

- ``make(config_model, meta) -> (encoder, decoder)``, two ``flax.linen`` Modules;
  ``config_model`` is the config's ``model`` section (``latent_dim``, ``likelihood`` and
  any field you add, here ``width``), ``meta`` the data's (``shape``, ``kind``, ...).
- ``encoder(x)``: a batch ``[B, *shape]`` -> ``(mean, log_var)``, each ``[B, latent_dim]``.
- ``decoder(z)``: ``[B, latent_dim]`` -> the likelihood's parameters (Bernoulli logits,
  Gaussian means): ``[B, *shape]``, or flat ``[B, prod(shape)]`` (reshaped for you).
- Parameters only: no BatchNorm statistics, no dropout RNG.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax.numpy as jnp


class Encoder(nn.Module):
    """Two tanh layers on the flattened input, then the Gaussian posterior's mean and
    log-variance."""

    width: int
    latent_dim: int

    @nn.compact
    def __call__(self, x):
        h = x.reshape(x.shape[0], -1)
        h = nn.tanh(nn.Dense(self.width)(h))
        h = nn.tanh(nn.Dense(self.width)(h))
        mean = nn.Dense(self.latent_dim)(h)
        log_var = nn.Dense(self.latent_dim)(h)
        return mean, log_var


class Decoder(nn.Module):
    """A residual MLP from z to one logit per pixel, returned flat ``[B, size]``."""

    width: int
    size: int

    @nn.compact
    def __call__(self, z):
        h = nn.tanh(nn.Dense(self.width)(z))
        h = h + nn.tanh(nn.Dense(self.width)(h))
        return nn.Dense(self.size)(jnp.concatenate([h, z], axis=-1))


def make(config_model, meta):
    """The encoder and decoder for data of shape ``meta["shape"]``."""
    width = int(config_model.get("width", 128))
    return (
        Encoder(width=width, latent_dim=int(config_model.latent_dim)),
        Decoder(width=width, size=math.prod(meta["shape"])),
    )
