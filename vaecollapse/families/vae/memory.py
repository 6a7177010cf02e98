"""Hysteresis of a β sweep that goes up and comes back (`schedules.excursion` over the
whole ramp): the rising and falling branches of an order parameter against log β and the
area of the loop between them. NumPy only (reading side).

A run whose β rises from β₀ to β_peak over the first half of a ramp and falls back over
the second half traces an order parameter m (the KL, I(x; z), active units) along two
branches. With no memory (the run at equilibrium at every β) the branches coincide and
the loop has zero area; a kinetic lag shrinks as the ramp slows; a second, stuck solution
(the collapse the source calls a local optimum training cannot leave) keeps the falling
branch below the rising one however slow the ramp. `loop_area` is

    A = ∫ (m_rise(log β) − m_fall(log β)) d log β

over the β range both branches cover, each branch interpolated linearly in log β, in
units of m × nats of log β: positive when the way back is lower.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Branches(NamedTuple):
    """The two branches of one ramp: log β and the order parameter at the logged steps of
    the rise (β increasing) and of the fall, each in increasing log β."""

    rise_log_beta: np.ndarray
    rise: np.ndarray
    fall_log_beta: np.ndarray
    fall: np.ndarray


def branches(
    beta: np.ndarray, value: np.ndarray, steps: np.ndarray, ramp: float, start: float = 0.0
) -> Branches:
    """Split the logged ``value`` (at ``steps``, β ``beta`` per logged interval) of one run
    whose ramp of ``ramp`` steps starts at step ``start`` into the rise (logged steps in
    [start, start + ramp/2]) and the fall (in (start + ramp/2, start + ramp]), each sorted
    by log β.

    Raises:
      ValueError: shapes differ, or a branch has fewer than 2 logged points.
    """
    beta, value, steps = (np.asarray(a, float) for a in (beta, value, steps))
    if not beta.shape == value.shape == steps.shape or beta.ndim != 1:
        raise ValueError(
            f"beta, value and steps must be 1-D of one length; got {beta.shape}, "
            f"{value.shape}, {steps.shape}"
        )
    t = steps - start
    rising = (t >= 0) & (t <= ramp / 2)
    falling = (t > ramp / 2) & (t <= ramp)
    if rising.sum() < 2 or falling.sum() < 2:
        raise ValueError(
            f"ramp={ramp!r} is invalid for these steps: each branch needs 2 logged points "
            f"(got {int(rising.sum())} rising, {int(falling.sum())} falling)"
        )
    out = []
    for mask in (rising, falling):
        order = np.argsort(np.log(beta[mask]), kind="stable")
        out += [np.log(beta[mask])[order], value[mask][order]]
    return Branches(*out)


def loop_area(b: Branches, points: int = 512) -> float:
    """∫ (rise − fall) d log β over the log-β range both branches cover (trapezoid rule on
    ``points`` evenly spaced log β, each branch interpolated linearly); NaN when the
    branches share no range."""
    low = max(b.rise_log_beta[0], b.fall_log_beta[0])
    high = min(b.rise_log_beta[-1], b.fall_log_beta[-1])
    if not high > low:
        return float("nan")
    grid = np.linspace(low, high, points)
    gap = np.interp(grid, b.rise_log_beta, b.rise) - np.interp(grid, b.fall_log_beta, b.fall)
    return float(np.sum((gap[1:] + gap[:-1]) / 2 * np.diff(grid)))


def largest_step(log_beta: np.ndarray, value: np.ndarray) -> tuple[float, float]:
    """The largest change of ``value`` between consecutive points of one branch (sorted by
    ``log_beta``), in absolute value, and the log-β spacing it spans: the order of a
    transition read from a ramp. A continuous transition (the linear VAE's KL_i =
    ½ log(λ_i/βσ²) down to 0) changes by at most its finite slope × the spacing, so the
    largest step shrinks with the spacing as the ramp slows; a jump (a first-order
    transition) keeps its size however fine the spacing."""
    log_beta, value = np.asarray(log_beta, float), np.asarray(value, float)
    if log_beta.shape != value.shape or log_beta.ndim != 1 or len(log_beta) < 2:
        raise ValueError(
            f"log_beta and value must be 1-D of one length >= 2; got {log_beta.shape}, "
            f"{value.shape}"
        )
    steps = np.abs(np.diff(value))
    i = int(np.argmax(steps))
    return float(steps[i]), float(log_beta[i + 1] - log_beta[i])
