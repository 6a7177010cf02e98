"""One seed's crossing: where its order parameter falls to the threshold ε along an axis.

Pure NumPy on one seed's curve: ``t`` the axis ordered from the healthy side to the
collapsed side (`vaecollapse.boundary` orders it, in log on log-spaced axes), ``v`` the
order parameter there. Let k be the first grid point at or below ε and i = k − 1 the
last one above it (the bracket). How the order parameter is read between grid points is
its family's rule (`families.OrderParameter.boundary_rule`):

- ``interpolate`` (the default; bounded measures — a fraction of modes, std·√d, RankMe
  ≥ 1 — whose shape near the boundary nothing fixes): the estimate is the crossing of ε
  interpolated linearly (in log on log-spaced axes) between i and k, its interval
  [x_i, x_k]. Nothing is extrapolated: the estimate never leaves the grid.
- ``to_zero`` (the VAE's KL, I(x; z)): as follows.

At a continuous transition the order parameter reaches zero only
at the boundary — a linear VAE has KL_i = ½ log(λ_i/(βσ²)), linear in log β — so the
crossing of ε itself sits below the boundary by a factor e^(−2ε) (10 % at ε = 0.05). The
estimate therefore extrapolates the line through the two last points above ε (i − 1 and
i; in log space on log-spaced axes) to zero, clipped to [x_i, z], z the zero of the chord
from i to k (the chord lies above the curve's line wherever the curve bends to zero, so
z is never below a linear boundary), and z at most one grid step past the grid's end (a
curve still flat just below ε at the grid's last point would put it anywhere). With only
one point above ε, it interpolates the crossing of ε between i and k. On the linear VAE
the extrapolation is exact for noiseless values; the bias left is that of the measured
KL. The seed's interval is [x_i, max(x_j, z)], x_j the first point at or below ε/2 from
k on (the grid's end if none): points between the ε crossing and the boundary sit a
little above zero, so the interval reaches to a point clearly past it. A point past the
grid is never one the axis cannot take: where the axis has a rule for its values
(`config.hparams_table`: free_bits ≥ 0, context_dropout in [0, 1], …), the extrapolation stops
at the edge of the allowed values (found by bisection on the rule), so along
``free_bits`` an estimate is never below 0.

A curve at or below ε at its first point is `COLLAPSED_EVERYWHERE` (its boundary lies
before the grid's healthy end), one never at or below ε `HEALTHY_EVERYWHERE` (beyond the
grid's collapsed end): censored observations, which the median over seeds ranks
(`vaecollapse.median`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vaecollapse import families

# one seed's curve on the grid
BRACKETED, COLLAPSED_EVERYWHERE, HEALTHY_EVERYWHERE = (
    "bracketed",
    "collapsed_everywhere",
    "healthy_everywhere",
)


class Crossing(NamedTuple):
    """One seed's boundary in ``t`` units (see `crossing`): ``status`` is `BRACKETED`,
    `COLLAPSED_EVERYWHERE` or `HEALTHY_EVERYWHERE`; ``estimate`` NaN unless bracketed;
    ``low``/``high`` its interval, ±∞ on a censored side."""

    status: str
    estimate: float
    low: float
    high: float

    @property
    def rank(self) -> float:
        """Where the seed sorts among seeds: its estimate, or ±∞ when censored."""
        if self.status == BRACKETED:
            return self.estimate
        return -np.inf if self.status == COLLAPSED_EVERYWHERE else np.inf


def crossing(
    t: np.ndarray,
    v: np.ndarray,
    threshold: float,
    rule: str = families.INTERPOLATE,
    limit: float = np.inf,
) -> Crossing:
    """One seed's crossing: ``t`` increasing from the healthy to the collapsed side (the
    axis, in log where it is log-spaced, negated where collapse comes as it falls), ``v``
    the order parameter there, ``rule`` how it is read between grid points
    (`families.BOUNDARY_RULES`), ``limit`` the largest ``t`` the axis allows (an
    extrapolation stops there). See the module docstring for the method."""
    below = v <= threshold
    if below[0]:
        return Crossing(COLLAPSED_EVERYWHERE, np.nan, -np.inf, float(t[0]))
    if not below.any():
        return Crossing(HEALTHY_EVERYWHERE, np.nan, float(t[-1]), np.inf)
    k = int(np.argmax(below))
    i = k - 1
    if rule == families.INTERPOLATE:
        estimate = t[i] + (v[i] - threshold) * (t[k] - t[i]) / (v[i] - v[k])
        return Crossing(BRACKETED, float(min(max(estimate, t[i]), t[k])), float(t[i]), float(t[k]))
    # one grid step past the end, as far as the grid tells, and no further than the axis goes
    reach = min(t[-1] + (t[-1] - t[-2]), max(limit, t[-1]))
    chord_zero = min(t[i] + v[i] * (t[k] - t[i]) / (v[i] - v[k]), reach)
    if np.isclose(chord_zero, t[k], rtol=0, atol=1e-9 * (1 + abs(t[k]))):
        chord_zero = t[k]  # v[k] ≈ 0: the collapsed point itself, not round-off past it
    if i >= 1 and v[i - 1] > v[i]:
        line_zero = t[i] + v[i] * (t[i] - t[i - 1]) / (v[i - 1] - v[i])
        estimate = min(max(line_zero, t[i]), chord_zero)
    else:
        estimate = t[i] + (v[i] - threshold) * (t[k] - t[i]) / (v[i] - v[k])
    clear = np.nonzero(v[k:] <= threshold / 2)[0]  # first point clearly past the boundary
    t_clear = t[k + clear[0]] if clear.size else t[-1]
    return Crossing(BRACKETED, float(estimate), float(t[i]), float(max(t_clear, chord_zero)))


def allowed(along: str):
    """The rule an axis's values obey (`config.hparams_table`: ``value -> bool``), or None when
    the axis has none (any finite number)."""
    from vaecollapse import config as config_lib  # the schema: no JAX

    hparam = config_lib.HPARAMS.get(along)
    return None if hparam is None else hparam.rule


def domain_limit(t: np.ndarray, to_axis, valid) -> float:
    """The largest ``t`` past the grid's collapsed end ``t[-1]`` whose axis value
    ``valid`` accepts, as far as an extrapolation can reach (the grid's span past its end);
    ∞ when all of that is allowed. Bisection between the end (allowed: it was swept) and
    the first refused value: the edge of the allowed values to float precision, the end
    itself when the grid stops at the edge (free_bits = 0); ∞ too when the rule refuses
    the grid's own end (hand-built results naming an axis for other values)."""

    def ok(value: float) -> bool:
        try:
            return bool(valid(to_axis(value)))
        except (ValueError, ArithmeticError):
            return False

    a, b = float(t[-1]), float(t[-1] + (t[-1] - t[0]))
    if valid is None or ok(b) or not ok(a):  # a grid the rule refuses: not that axis's rule
        return np.inf
    for _ in range(200):
        mid = 0.5 * (a + b)
        if mid in (a, b):
            break
        a, b = (mid, b) if ok(mid) else (a, mid)
    return a
