"""β(step) schedules for KL annealing, each ``f(step, **params) -> beta``.

All parameters may be traced scalar arrays, so one compiled sweep maps over a grid of
schedules. ``step`` is the 0-based optimisation step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from vaecollapse import registry
from vaecollapse.families.vae import choices

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


def excursion(
    step: Array,
    *,
    beta: Array,
    beta_peak: Array,
    excursion_steps: Array,
    excursion_start: Array = 0.0,
) -> Array:
    """β(t) = β · (β_peak / β)^f(t): an excursion to ``beta_peak`` and back, then β held.

    From step t₀ = ``excursion_start`` (0: at once), f rises linearly from 0 to 1 over the
    first half of ``excursion_steps`` steps E and falls back to 0 over the second half (a
    triangle, f(t) = 1 − |2(t − t₀)/E − 1| for t₀ ≤ t < t₀ + E, 0 before and after), so β
    moves log-linearly from β to β_peak and back. With
    ``beta_peak`` = β (the control) the ratio is exactly 1 and β(t) = β bit for bit, the
    `constant` schedule; ``excursion_steps`` ≤ 0 means no excursion. β_peak < β makes the
    excursion a dip. Swept over β × β_peak × E, one compiled program maps whether a
    collapse entered at β_peak is undone back at β (hysteresis when E is the whole run).
    """
    length = jnp.maximum(excursion_steps, 1.0)
    t = step - excursion_start
    f = jnp.where((t >= 0) & (t < excursion_steps), 1.0 - jnp.abs(2.0 * t / length - 1.0), 0.0)
    ratio = jnp.where(beta_peak == beta, 1.0, beta_peak / jnp.maximum(beta, 1e-30))
    return beta * ratio ** jnp.clip(f, 0.0, 1.0)


# β(step, hparams, total_steps) of each schedule, its parameters read from the run's
# hyperparameters (`config.hparams_table`): the targets of `choices.SCHEDULES`.


def constant_from_hparams(step: Array, h: Mapping[str, Array], total_steps: int) -> Array:
    """`constant` with ``beta``."""
    return constant(step, beta=h["beta"])


def linear_warmup_from_hparams(step: Array, h: Mapping[str, Array], total_steps: int) -> Array:
    """`linear_warmup` with ``beta``, ``warmup_steps``."""
    return linear_warmup(step, beta=h["beta"], warmup_steps=h["warmup_steps"])


def cyclical_from_hparams(step: Array, h: Mapping[str, Array], total_steps: int) -> Array:
    """`cyclical` with ``beta``, ``cycles``, ``ratio`` over the run's ``total_steps``."""
    return cyclical(
        step, beta=h["beta"], total_steps=total_steps, cycles=h["cycles"], ratio=h["ratio"]
    )


def sigmoid_from_hparams(step: Array, h: Mapping[str, Array], total_steps: int) -> Array:
    """`sigmoid` with ``beta``, ``midpoint``, ``steepness``."""
    return sigmoid(step, beta=h["beta"], midpoint=h["midpoint"], steepness=h["steepness"])


def excursion_from_hparams(step: Array, h: Mapping[str, Array], total_steps: int) -> Array:
    """`excursion` with ``beta``, ``beta_peak``, ``excursion_steps``, ``excursion_start``."""
    return excursion(
        step,
        beta=h["beta"],
        beta_peak=h["beta_peak"],
        excursion_steps=h["excursion_steps"],
        excursion_start=h["excursion_start"],
    )


def by_name(name: str) -> Callable[[Array, Mapping[str, Array], int], Array]:
    """``beta_at(step, hparams, total_steps)`` of the schedule ``name`` names in
    `choices.SCHEDULES`.

    Raises:
      ValueError: ``name`` is not one of `choices.SCHEDULES`.
    """
    return registry.lookup(choices.SCHEDULES, name, f"schedule {name!r}").load()
