"""Ancestral sampling x ~ p(x | z) from any decoder, as one jit-able pure function.

A factorised decoder draws every element at once. An autoregressive one (PixelCNN in
raster order, LSTM/Transformer left to right) is run once per position in a
`jax.lax.fori_loop`: pass p reads the elements drawn so far and fixes element p, so after
the last pass x is a draw from Π_i p(x_i | z, x_<i). Randomness is the explicit
``noise`` (see `VAE.sample_step`); passing the same noise for every z ("common random
numbers") makes a decoder that ignores z draw the same x for every z — the collapse
symptom made visible.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from vaecollapse.families.vae.models import VAE


def sample_noise(model: VAE, key: jax.Array, shape: tuple[int, ...], vocab_size: int = 0):
    """The noise `ancestral_sample` needs for ``[B, *shape]`` draws from ``model``."""
    if model.likelihood == "categorical":
        return jax.random.gumbel(key, (*shape, vocab_size))
    if model.likelihood == "bernoulli":
        return jax.random.uniform(key, shape)
    return jax.random.normal(key, shape)


def ancestral_sample(
    model: VAE, params: Any, z: jax.Array, noise: jax.Array, label: jax.Array | None = None
) -> tuple[jax.Array, jax.Array]:
    """x ~ p(x | z) (p(x | z, y) for a CVAE) with the given noise.

    Args:
      z: ``[B, d]``.  noise: from `sample_noise`, leading dim B.  label: ``[B]`` or None.

    Returns:
      ``(x [B, *shape], mean)``: the draw, and E[x_i | z, x_<i] along it (probabilities
      ``[B, T, V]`` for tokens) — a smooth picture of the same sample.
    """
    categorical = model.likelihood == "categorical"
    shape = noise.shape[:-1] if categorical else noise.shape
    x = jnp.zeros(shape, jnp.int32 if categorical else jnp.float32)

    def draw(x):
        return model.apply(params, z, x, noise, label, method=VAE.sample_step)

    if not model.autoregressive:
        return draw(x)
    position = jnp.arange(math.prod(shape[1:])).reshape(shape[1:])

    def one_position(p, x):
        new, _ = draw(x)
        return jnp.where(position == p, new, x)

    x = jax.lax.fori_loop(0, math.prod(shape[1:]), one_position, x)
    return x, draw(x)[1]
