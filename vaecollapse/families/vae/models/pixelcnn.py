"""Gated PixelCNN decoder conditioned on z (van den Oord et al. 2016, "Conditional
Image Generation with PixelCNN Decoders"). Architecture only.

Pixels are generated in raster order (row by row, left to right), so the logits at
(i, j) may read only pixels (i', j') with i' < i, or i' = i and j' < j. Two stacks
keep that order without the original PixelCNN's blind spot:

- the *vertical* stack sees every pixel in the rows above (k × k kernels restricted to
  rows strictly above the centre in the first layer, to rows up to the centre after);
- the *horizontal* stack sees the pixels to the left in the same row (1 × k kernels
  restricted to columns left of the centre first, up to the centre after), plus the
  vertical stack's features at the same position, which depend on rows above only.

Each layer is gated, y = tanh(W_f ∗ x + V_f z + b_f) ⊙ σ(W_g ∗ x + V_g z + b_g) (eq. 4 of
the paper, z the conditioning vector; b a learned per-pixel bias, as eq. 5's location map),
with a residual connection in the horizontal stack. The masked kernels are `TapConv`s over
exactly the unmasked offsets (`causal_taps`).

Context dropout ("masking the conditioning pixels"): where ``keep`` is False a pixel is
hidden from every later pixel's prediction; the input is ``[x·keep, keep]`` so a hidden
pixel is distinguishable from a zero. With ``keep`` all False the logits depend on z only.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse.layers import Tap, TapConv


def causal_taps(kernel: int, first: bool, stack: str) -> tuple[Tap, ...]:
    """Offsets (dy, dx) a causal kernel reads: the rows above (``vertical``, a k × k
    window) or the pixels to the left (``horizontal``, 1 × k); the centre row or pixel is
    included except in the ``first`` layer, which reads the raw image."""
    r = kernel // 2
    last = -1 if first else 0
    if stack == "vertical":
        return tuple((dy, dx) for dy in range(-r, last + 1) for dx in range(-r, r + 1))
    return tuple((0, dx) for dx in range(-r, last + 1))


def _gate(pre: jax.Array) -> jax.Array:
    f, g = jnp.split(pre, 2, axis=-1)
    return jnp.tanh(f) * nn.sigmoid(g)


class GatedLayer(nn.Module):
    """One gated layer (van den Oord et al. 2016, eq. 2 with z and a learned per-pixel
    bias in the gates): vertical stack v, horizontal stack h ``[B, H, W, ·]`` → (v', h').

    h' = h + W·(tanh(f) ⊙ σ(g)) from the second layer on; the first layer's taps exclude
    the current pixel (mask A), later layers' include it (mask B).
    """

    features: int
    kernel: int
    first: bool

    @nn.compact
    def __call__(self, v: jax.Array, h: jax.Array, z: jax.Array) -> tuple[jax.Array, jax.Array]:
        f, k, first = self.features, self.kernel, self.first
        # z and a learned per-pixel bias (data-independent, so causality holds; it lets
        # the decoder place pixels when context dropout hides every input)
        where = self.param("position", nn.initializers.zeros, (*v.shape[1:3], 2 * f))
        cond = nn.Dense(2 * f)(z)[:, None, None, :] + where
        v_pre = TapConv(2 * f, causal_taps(k, first, "vertical"))(v)
        h_pre = TapConv(2 * f, causal_taps(k, first, "horizontal"))(h) + nn.Dense(2 * f)(v_pre)
        h_out = nn.Dense(f)(_gate(h_pre + cond))
        return _gate(v_pre + cond), h_out if first else h + h_out


class GatedPixelCNN(nn.Module):
    """z ``[B, d]``, context x ``[B, H, W, C]`` → logits ``[B, H, W, C]`` (Bernoulli per
    channel; channels of one pixel are predicted independently given the context).

    Attributes:
      features: channels of both stacks.  layers: gated layers (the receptive field
        grows by ``kernel // 2`` rows and columns per layer).  kernel: odd kernel size.
      remat: recompute each layer's activations in the backward pass instead of storing
        them (``jax.checkpoint``): memory ∝ layers·B·H·W·features becomes ∝ one layer's,
        for about one more forward pass of compute — for big images or grids on an
        accelerator.
    """

    features: int = 32
    layers: int = 4
    kernel: int = 3
    remat: bool = False

    @nn.compact
    def __call__(self, z: jax.Array, context: jax.Array, keep: jax.Array | None) -> jax.Array:
        keep = jnp.ones_like(context) if keep is None else keep.astype(context.dtype)
        x = jnp.concatenate([context * keep, keep], axis=-1)
        layer = nn.remat(GatedLayer) if self.remat else GatedLayer
        v = h = x
        for i in range(self.layers):
            v, h = layer(self.features, self.kernel, first=i == 0, name=f"gated_{i}")(v, h, z)
        out = nn.relu(nn.Dense(self.features)(nn.relu(h)))
        return nn.Dense(context.shape[-1])(out)
