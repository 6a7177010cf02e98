"""The SSL family's views: the random augmentations that make two views of an input, in
JAX, on device.

A view of a batch ``x [B, F]`` (`augment`) is, in this order:

1. images only, ``config.model.aug_shift`` = s > 0 (optional, default 0): each example
   translated by an integer shift per axis drawn uniformly from [−s, s], zero-filled
   (`shift_images`, the "random crop with padding" augmentation);
2. each feature set to 0 with probability ``config.model.mask_prob`` (optional, default
   `config.MASK_PROB`);
3. Gaussian noise of std ``aug_noise`` (a swept hyperparameter) on the features from
   index ``config.model.noise_from`` on (optional, default 0: all; Jing et al. 2022,
   "Understanding dimensional collapse in contrastive self-supervised learning", put
   noise on the last half only).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def shift_images(images: jax.Array, offsets: jax.Array, max_shift: int) -> jax.Array:
    """``images [B, H, W, C]`` each translated by its ``offsets [B, 2]`` (integers (dy, dx)
    in [−``max_shift``, ``max_shift``]): ``out[b, i, j] = images[b, i − dy, j − dx]``, 0
    where that falls outside — zero-pad by ``max_shift`` and crop at a per-example
    `jax.lax.dynamic_slice` (a gather under vmap), the "random crop with padding"
    augmentation. Not `jnp.roll`: a digit filling its 8×8 frame would wrap its far edge
    onto the opposite side, an artefact no translation of the scene makes."""
    height, width, channels = images.shape[1:]
    pad = ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0))
    padded = jnp.pad(images, pad)

    def one(image, offset):
        start = (max_shift - offset[0], max_shift - offset[1], 0)
        return jax.lax.dynamic_slice(image, start, (height, width, channels))

    return jax.vmap(one)(padded, offsets)


def augment(
    key: jax.Array,
    x: jax.Array,
    noise: jax.Array,
    mask_prob: float,
    noise_from: int,
    shape: tuple[int, ...] = (),
    max_shift: int = 0,
) -> jax.Array:
    """One view of ``x [B, F]``: (``max_shift`` > 0: ``x`` read as images ``[B, *shape]``
    and each translated by a shift per axis drawn uniformly from [−max_shift, max_shift],
    `shift_images`, from its own stream ``fold_in(key, 2)``), each feature kept with
    probability 1 − ``mask_prob``, then Gaussian noise of std ``noise`` on the features
    from ``noise_from`` on."""
    if max_shift > 0:
        k_shift = jax.random.fold_in(key, 2)
        offsets = jax.random.randint(k_shift, (x.shape[0], 2), -max_shift, max_shift + 1)
        x = shift_images(x.reshape(x.shape[0], *shape), offsets, max_shift).reshape(x.shape)
    k_mask, k_noise = jax.random.split(key)
    if mask_prob > 0:
        x = jnp.where(jax.random.bernoulli(k_mask, 1 - mask_prob, x.shape), x, 0.0)
    eps = jax.random.normal(k_noise, x.shape)
    if noise_from > 0:
        eps = jnp.where(jnp.arange(x.shape[-1]) >= noise_from, eps, 0.0)
    return x + noise * eps
