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

from vaecollapse.models.layers import Tap, TapConv


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


class GatedPixelCNN(nn.Module):
    """z ``[B, d]``, context x ``[B, H, W, C]`` → logits ``[B, H, W, C]`` (Bernoulli per
    channel; channels of one pixel are predicted independently given the context).

    Attributes:
      features: channels of both stacks.  layers: gated layers (the receptive field
        grows by ``kernel // 2`` rows and columns per layer).  kernel: odd kernel size.
    """

    features: int = 32
    layers: int = 4
    kernel: int = 3

    @nn.compact
    def __call__(self, z: jax.Array, context: jax.Array, keep: jax.Array | None) -> jax.Array:
        keep = jnp.ones_like(context) if keep is None else keep.astype(context.dtype)
        x = jnp.concatenate([context * keep, keep], axis=-1)
        f, k = self.features, self.kernel
        v = h = x
        for layer in range(self.layers):
            first = layer == 0
            # z and a learned per-pixel bias (data-independent, so causality holds; it lets
            # the decoder place pixels when context dropout hides every input)
            where = self.param(f"position_{layer}", nn.initializers.zeros, (*x.shape[1:3], 2 * f))
            cond = nn.Dense(2 * f)(z)[:, None, None, :] + where
            v_pre = TapConv(2 * f, causal_taps(k, first, "vertical"))(v)
            h_pre = TapConv(2 * f, causal_taps(k, first, "horizontal"))(h) + nn.Dense(2 * f)(v_pre)
            v = _gate(v_pre + cond)
            h_out = nn.Dense(f)(_gate(h_pre + cond))
            h = h_out if first else h + h_out
        out = nn.relu(nn.Dense(f)(nn.relu(h)))
        return nn.Dense(context.shape[-1])(out)
