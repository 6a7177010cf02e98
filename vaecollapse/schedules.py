"""β(step) schedules for KL annealing, each ``f(step, **params) -> beta``.

All parameters may be traced scalar arrays, so one compiled sweep maps over a grid of
schedules. ``step`` is the 0-based optimisation step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from vaecollapse import choices

Array = jax.Array


def constant(step: Array, *, beta: Array) -> Array:
    """β(t) = β: the plain β-VAE (β = 1: the ELBO; β ≪ 1: a KL-regularised AE)."""
    return jnp.broadcast_to(jnp.asarray(beta, jnp.float32), jnp.shape(step))


def linear_warmup(step: Array, *, beta: Array, warmup_steps: Array) -> Array:
    """β(t) = β · min(1, t / T_w): linear KL warm-up from 0 (Bowman et al. 2016).

    ``warmup_steps`` ≤ 0 means no warm-up (β from the first step).
    """
    progress = jnp.where(warmup_steps > 0, step / jnp.maximum(warmup_steps, 1), 1.0)
    return beta * jnp.clip(progress, 0.0, 1.0)


def cyclical(step: Array, *, beta: Array, total_steps: Array, cycles: Array, ratio: Array) -> Array:
    """Cyclical annealing (Fu et al. 2019).

    With period P = T / M and τ = (t mod P) / P, β(t) = β · min(1, τ / R):
    M cycles over T steps, each ramping 0 → β over the first fraction R of the cycle
    and holding β for the rest.
    """
    period = jnp.maximum(total_steps / jnp.maximum(cycles, 1), 1.0)
    tau = jnp.mod(step, period) / period
    return beta * jnp.minimum(1.0, tau / jnp.maximum(ratio, 1e-8))


def sigmoid(step: Array, *, beta: Array, midpoint: Array, steepness: Array) -> Array:
    """β(t) = β / (1 + exp(−k (t − t₀))): logistic annealing (Bowman et al. 2016)."""
    return beta * jax.nn.sigmoid(steepness * (step - midpoint))


# β(step, hparams, total_steps) of each schedule `choices.SCHEDULES` names, its parameters
# read from the run's hyperparameters (`config.HPARAM_DEFAULTS`).
_FROM_HPARAMS: dict[str, Callable[[Array, Mapping[str, Array], int], Array]] = {
    "constant": lambda step, h, total: constant(step, beta=h["beta"]),
    "linear_warmup": lambda step, h, total: linear_warmup(
        step, beta=h["beta"], warmup_steps=h["warmup_steps"]
    ),
    "cyclical": lambda step, h, total: cyclical(
        step, beta=h["beta"], total_steps=total, cycles=h["cycles"], ratio=h["ratio"]
    ),
    "sigmoid": lambda step, h, total: sigmoid(
        step, beta=h["beta"], midpoint=h["midpoint"], steepness=h["steepness"]
    ),
}
SCHEDULES = choices.SCHEDULES


def by_name(name: str) -> Callable[[Array, Mapping[str, Array], int], Array]:
    """``beta_at(step, hparams, total_steps)`` of the named schedule.

    Raises:
      ValueError: ``name`` is not one of `SCHEDULES`.
    """
    if name not in _FROM_HPARAMS:
        raise ValueError(f"schedule {name!r} is unknown; allowed: {', '.join(SCHEDULES)}")
    return _FROM_HPARAMS[name]
