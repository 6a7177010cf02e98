"""The collapse states: the codes of ``collapse_state`` in ``results.nc`` and their names.

`diagnostics.collapse_state` writes them, the report reads them; they live here, with no
JAX, so reading a results file needs nothing of the training engine.
"""

from __future__ import annotations

HEALTHY, PARTIAL, FULL = 0, 1, 2  # no unit collapsed (VAE: KL of a dim below ε), some, all
STATE_NAMES = {HEALTHY: "healthy", PARTIAL: "partial", FULL: "full"}


def of_units(below, units):
    """The state code of runs with ``below`` of their ``units`` (counted units, NumPy or
    xarray) collapsed: healthy when none, full when every one (of at least one), partial
    in between."""
    full = (below == units) & (units > 0)
    return (below > 0).astype(int) * PARTIAL + full.astype(int) * (FULL - PARTIAL)


def collapse_onset(collapsed, steps):
    """First of ``steps [T]`` from which ``collapsed [T]`` stays true to the end; −1 if
    never (int32; JAX, for use inside a compiled run)."""
    import jax.numpy as jnp  # the writing side only: reading a results file needs no JAX

    stays = jnp.flip(jnp.cumprod(jnp.flip(collapsed).astype(jnp.int32))).astype(bool)
    first = jnp.argmax(stays)
    return jnp.where(stays.any(), steps[first], -1).astype(jnp.int32)


def collapse_onset_step(trace, steps, eps):
    """First logged step from which ``trace [T]`` (an order parameter at each logged step,
    ``steps [T]``) stays below ``eps`` to the end; −1 if never (`collapse_onset` of
    ``trace < eps``): every family's onset."""
    return collapse_onset(trace < eps, steps)
