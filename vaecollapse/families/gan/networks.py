"""The GAN family's networks: an MLP generator and an MLP discriminator (Flax linen).

Architecture only; the losses are in `gan.losses`, the training in `gan.trainer`.

- `Generator`: noise z ∈ R^``latent_dim`` (standard normal) → R², ReLU hidden layers
  (``config.model.generator_hidden``).
- `Discriminator`: packs R^(2·pack) → one logit, LeakyReLU(`LEAKY_SLOPE`) hidden layers
  (``config.model.discriminator_hidden``), with two optional parts:

  - spectral norm (``config.model.spectral_norm``; Miyato et al. 2018, "Spectral
    Normalization for Generative Adversarial Networks"): each Dense kernel divided by its
    largest singular value, estimated by `POWER_ITERATIONS` power iterations from a fixed
    start vector at every call (no persistent u: the state stays the parameters), the
    singular vectors held constant in the gradient, as in the paper (`spectral_normalize`);
  - minibatch standard deviation (``config.model.minibatch_std``; Karras et al. 2018,
    "Progressive Growing of GANs"): the std over the batch of the last hidden features,
    averaged, fed as one more feature to the output layer (`minibatch_std_feature`).

- Packing (``config.model.pack``; PacGAN, Lin et al. 2018, "PacGAN: The power of two
  samples in generative adversarial networks"): the discriminator judges m samples at
  once, concatenated (`pack`).
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

POWER_ITERATIONS = 5  # power iterations of the spectral norm at every call
LEAKY_SLOPE = 0.2


def pack(samples: jax.Array, m: int) -> jax.Array:
    """``samples [B·m, D]`` → packs ``[B, D·m]`` of ``m`` consecutive samples each."""
    return samples.reshape(-1, samples.shape[-1] * m)


def spectral_normalize(kernel: jax.Array) -> jax.Array:
    """``kernel`` over its largest singular value σ = uᵀWv, u and v from
    `POWER_ITERATIONS` power iterations from a fixed start, held constant in the gradient."""
    u = jnp.ones((kernel.shape[1],), kernel.dtype) / np.sqrt(kernel.shape[1])
    w = jax.lax.stop_gradient(kernel)
    for _ in range(POWER_ITERATIONS):
        v = w @ u
        v = v / (jnp.linalg.norm(v) + 1e-12)
        u = w.T @ v
        u = u / (jnp.linalg.norm(u) + 1e-12)
    sigma = v @ kernel @ u
    return kernel / jnp.maximum(sigma, 1e-12)


def minibatch_std_feature(h: jax.Array) -> jax.Array:
    """``h [B, F]`` with one more feature ``[B, F + 1]``: the std over the batch of each
    feature, averaged over the features, the same for every row."""
    spread = jnp.mean(jnp.sqrt(jnp.var(h, axis=0) + 1e-8))
    return jnp.concatenate([h, jnp.broadcast_to(spread, (h.shape[0], 1))], axis=-1)


class Dense(nn.Module):
    """A Dense layer whose kernel is spectrally normalised when ``spectral_norm``."""

    features: int
    spectral_norm: bool = False

    @nn.compact
    def __call__(self, x):
        kernel = self.param("kernel", nn.initializers.lecun_normal(), (x.shape[-1], self.features))
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        if self.spectral_norm:
            kernel = spectral_normalize(kernel)
        return x @ kernel + bias


class Generator(nn.Module):
    """z [B, latent] → x [B, 2]: (Dense → ReLU) per hidden width, Dense(2)."""

    hidden: Sequence[int]

    @nn.compact
    def __call__(self, z):
        h = z
        for width in self.hidden:
            h = nn.relu(nn.Dense(width)(h))
        return nn.Dense(2)(h)


class Discriminator(nn.Module):
    """packs [B, 2·pack] → logits [B]: (Dense → LeakyReLU(0.2)) per hidden width, the
    minibatch std feature when ``minibatch_std``, Dense(1); Dense kernels spectrally
    normalised when ``spectral_norm``."""

    hidden: Sequence[int]
    spectral_norm: bool = False
    minibatch_std: bool = False

    @nn.compact
    def __call__(self, x):
        h = x
        for width in self.hidden:
            h = nn.leaky_relu(Dense(width, self.spectral_norm)(h), LEAKY_SLOPE)
        if self.minibatch_std:
            h = minibatch_std_feature(h)
        return Dense(1, self.spectral_norm)(h)[:, 0]
