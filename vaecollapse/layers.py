"""Convolutions written as one matmul over shifted copies of the input.

``jax.vmap`` over runs turns a `lax.conv` with per-run kernels into a grouped
convolution, which XLA's CPU backend runs ~10× slower than the same FLOPs as a batched
matmul. Building the taps explicitly keeps every run's convolution a plain `nn.Dense`
(batched matmul under vmap) and computes only the taps a causal mask keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

Tap = tuple[int, int]


def shift(x: jax.Array, dy: int, dx: int) -> jax.Array:
    """``out[:, i, j] = x[:, i + dy, j + dx]``, zero where that falls outside; ``[B, H, W, C]``."""
    height, width = x.shape[1:3]
    padded = jnp.pad(x, ((0, 0), (max(-dy, 0), max(dy, 0)), (max(-dx, 0), max(dx, 0)), (0, 0)))
    return padded[:, max(dy, 0) : max(dy, 0) + height, max(dx, 0) : max(dx, 0) + width]


def square_taps(kernel: int) -> tuple[Tap, ...]:
    """Every offset of a ``kernel × kernel`` window centred on the output pixel."""
    r = range(-(kernel // 2), kernel // 2 + 1)
    return tuple((dy, dx) for dy in r for dx in r)


class TapConv(nn.Module):
    """y[i, j] = Σ_t W_t x[s·i + dy_t, s·j + dx_t] + b, W_t ``[C, features]`` per tap t.

    With `square_taps` this is a k × k convolution with SAME zero padding and stride
    ``stride`` (output ``[B, ⌈H/s⌉, ⌈W/s⌉, features]``).
    """

    features: int
    taps: Sequence[Tap]
    stride: int = 1

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        patches = jnp.concatenate([shift(x, dy, dx) for dy, dx in self.taps], axis=-1)
        patches = patches[:, :: self.stride, :: self.stride]
        return nn.Dense(self.features)(patches)


def upsample(x: jax.Array) -> jax.Array:
    """Nearest-neighbour ×2 upsampling ``[B, H, W, C]`` → ``[B, 2H, 2W, C]``."""
    return jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
