"""The GAN family's networks: an MLP generator and an MLP discriminator (Flax linen),
and for images (stacked digits, 8×8×3) a small DCGAN-style pair (`ConvGenerator`,
`ConvDiscriminator`; ``config.model.network = "conv"``).

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

from vaecollapse import layers

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
    """z [B, latent] → x [B, out_dim]: (Dense → ReLU) per hidden width, Dense(out_dim),
    then a sigmoid when ``sigmoid`` (images in [0, 1]; the mixtures' points are R²)."""

    hidden: Sequence[int]
    out_dim: int = 2
    sigmoid: bool = False

    @nn.compact
    def __call__(self, z):
        h = z
        for width in self.hidden:
            h = nn.relu(nn.Dense(width)(h))
        x = nn.Dense(self.out_dim)(h)
        return nn.sigmoid(x) if self.sigmoid else x


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


class Conv(nn.Module):
    """A k × k convolution with SAME zero padding and stride ``stride``, written as one
    matmul over shifted copies of the input (`vaecollapse.layers`: under ``vmap`` over
    runs a `lax.conv` becomes a grouped convolution, ~10× slower on XLA's CPU backend);
    its kernel ``[k·k·cin, cout]`` spectrally normalised when ``spectral_norm`` (Miyato
    et al. 2018)."""

    features: int
    kernel_size: int = 3
    stride: int = 1
    spectral_norm: bool = False

    @nn.compact
    def __call__(self, x):
        taps = layers.square_taps(self.kernel_size)
        patches = jnp.concatenate([layers.shift(x, dy, dx) for dy, dx in taps], axis=-1)
        patches = patches[:, :: self.stride, :: self.stride]
        return Dense(self.features, self.spectral_norm)(patches)


class ConvGenerator(nn.Module):
    """DCGAN-style (Radford et al. 2016), small: z [B, latent] → images [B, 8·8·C]
    flattened (H, W, C): Dense(4·4·``hidden[0]``) → ReLU, ×2 nearest upsampling → 3×3
    Conv(``hidden[1]``) → ReLU (when ``hidden`` has two widths), 3×3 Conv(C) → sigmoid.
    No batch norm (DCGAN's generator has it): the state stays the parameters."""

    hidden: Sequence[int]
    channels: int = 3

    @nn.compact
    def __call__(self, z):
        h = nn.relu(nn.Dense(4 * 4 * self.hidden[0])(z)).reshape(-1, 4, 4, self.hidden[0])
        h = layers.upsample(h)  # [B, 8, 8, hidden[0]]
        for width in self.hidden[1:]:
            h = nn.relu(Conv(width)(h))
        x = nn.sigmoid(Conv(self.channels)(h))
        return x.reshape(x.shape[0], -1)


class ConvDiscriminator(nn.Module):
    """DCGAN-style, small: packs [B, 8·8·C·pack] (``pack`` flattened images one after the
    other) → logits [B]. The pack's images are stacked along the channels, [B, 8, 8,
    C·pack] (PacGAN's packing of images), then per width of ``hidden`` a 3×3 Conv, stride
    2 while the side is above 2, LeakyReLU(0.2); flattened, the minibatch std feature when
    ``minibatch_std``, Dense(1); kernels spectrally normalised when ``spectral_norm``."""

    hidden: Sequence[int]
    spectral_norm: bool = False
    minibatch_std: bool = False
    side: int = 8
    channels: int = 3

    @nn.compact
    def __call__(self, x):
        b, side, c = x.shape[0], self.side, self.channels
        m = x.shape[-1] // (side * side * c)
        h = x.reshape(b, m, side, side, c).transpose(0, 2, 3, 1, 4).reshape(b, side, side, m * c)
        for width in self.hidden:
            stride = 2 if h.shape[1] > 2 else 1
            h = nn.leaky_relu(Conv(width, 3, stride, self.spectral_norm)(h), LEAKY_SLOPE)
        h = h.reshape(b, -1)
        if self.minibatch_std:
            h = minibatch_std_feature(h)
        return Dense(1, self.spectral_norm)(h)[:, 0]
