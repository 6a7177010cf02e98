"""The boundary over seeds: the censored median of the seeds' crossings and its interval.

Pure NumPy on the seeds' crossings (`vaecollapse.crossing`), in ``t`` units: the axis
ordered from the healthy side to the collapsed side, which `vaecollapse.boundary` maps
back to the axis (``beyond_high`` in ``t`` is past the collapsed end). A seed whose curve
never falls to ε on the grid is a censored observation: its boundary lies beyond the
grid's collapsed end (it is healthy everywhere), and one collapsed at every point has its
boundary before the grid's healthy end. Rank the seeds with usable curves (at least two
finite points) by their boundary — censored seeds at −∞ or +∞ on their side, bracketed
seeds at their estimates — and take the median by order alone (the mean of the two
middle seeds when their number is even). Then the status says where it lies:

- ``bracketed``: a number inside the grid's range;
- ``extrapolated``: a number past the grid's collapsed end, by ``extrapolated_by`` (axis
  units, signed; a seed's line through its last points crosses zero beyond the last grid
  value, which was already at or below ε);
- ``beyond_high`` / ``beyond_low``: the median seed is censored, so the boundary lies
  beyond the grid's largest / smallest axis value and the estimate is not a number;
- ``undetermined``: an even number of seeds split exactly between "collapsed everywhere"
  and "healthy everywhere"; ``no_data``: no seed has a usable curve.

The interval (``interval`` says which): with `MIN_QUANTILE_SEEDS` (5) or more seeds
with a usable curve, a 90 % interval, from the 5 % quantile of the seeds' lows to the
95 % quantile of their highs (linear interpolation between order statistics), covering
both the spread over seeds and the grid's resolution (``quantile_90``); with fewer, no
quantile means anything and the interval is the seeds' range, the lowest low to the
highest high (``seed_range``). A seed healthy everywhere has low = the grid's collapsed
end and high = +∞ (in ``t``); one collapsed everywhere low = −∞ and high = the grid's
healthy end. An interval that reaches a censored seed is open on that side: ``low`` or
``high`` is ±∞ in axis units. Each seed has low ≤ its boundary ≤ high and quantiles are
monotone, so always ``low ≤ estimate ≤ high`` where the estimate is a number, and a
median beyond the grid has an open interval on its side.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vaecollapse.crossing import BRACKETED, Crossing

# the median over seeds (module docstring): a number inside the grid or past its end, or
# beyond the grid's high / low end, or not defined
EXTRAPOLATED, BEYOND_HIGH, BEYOND_LOW, UNDETERMINED, NO_DATA = (
    "extrapolated",
    "beyond_high",
    "beyond_low",
    "undetermined",
    "no_data",
)
STATUSES = (BRACKETED, EXTRAPOLATED, BEYOND_HIGH, BEYOND_LOW, UNDETERMINED, NO_DATA)
QUANTILES = (0.05, 0.95)
MIN_QUANTILE_SEEDS = 5  # fewer seeds: the interval is their range, not a 90 % interval
# what ``low``–``high`` is (the ``interval`` column)
QUANTILE_90, SEED_RANGE = "quantile_90", "seed_range"


def _between(a: float, b: float, fraction: float) -> float:
    """``a + fraction·(b − a)`` for ``a ≤ b`` that may be infinite: an infinite end wins
    (−∞ first), so the result is monotone in both."""
    if a == b or fraction == 0.0:
        return a
    if np.isinf(a) or np.isinf(b):
        return a if a == -np.inf else b
    return a + fraction * (b - a)


def quantile(values, q: float) -> float:
    """NumPy's default (linear) quantile of ``values`` that may hold ±∞ (`_between`)."""
    s = np.sort(np.asarray(values, float))
    position = q * (len(s) - 1)
    lo = int(np.floor(position))
    return _between(s[lo], s[min(lo + 1, len(s) - 1)], position - lo)


class Aggregate(NamedTuple):
    """One point's boundary over seeds, in ``t`` units (see the module docstring)."""

    status: str
    estimate: float
    low: float
    high: float
    seeds_bracketed: int


def interval_kind(seeds: int) -> str:
    """What the interval of a boundary over ``seeds`` usable seeds is: `QUANTILE_90` from
    `MIN_QUANTILE_SEEDS` on, else `SEED_RANGE`."""
    return QUANTILE_90 if seeds >= MIN_QUANTILE_SEEDS else SEED_RANGE


def aggregate(per_seed: list[Crossing], t_last: float) -> Aggregate:
    """The censored median over ``per_seed`` and its interval (`interval_kind`: the 90 %
    interval, or with fewer than `MIN_QUANTILE_SEEDS` seeds their range); ``t_last`` is the
    grid's collapsed end (an estimate past it is `EXTRAPOLATED`)."""
    if not per_seed:
        return Aggregate(NO_DATA, np.nan, np.nan, np.nan, 0)
    ranks = np.sort([c.rank for c in per_seed])
    n = len(ranks)
    a, b = ranks[(n - 1) // 2], ranks[n // 2]  # the middle seed(s)
    quantiles = QUANTILES if interval_kind(n) == QUANTILE_90 else (0.0, 1.0)
    low = quantile([c.low for c in per_seed], quantiles[0])
    high = quantile([c.high for c in per_seed], quantiles[1])
    bracketed = sum(c.status == BRACKETED for c in per_seed)
    if a == -np.inf and b == np.inf:
        return Aggregate(UNDETERMINED, np.nan, low, high, bracketed)
    if np.isinf(a) or np.isinf(b):
        side = BEYOND_HIGH if np.inf in (a, b) else BEYOND_LOW  # in t; `estimate` maps it
        return Aggregate(side, np.nan, low, high, bracketed)
    median = 0.5 * (a + b)
    status = EXTRAPOLATED if median > t_last else BRACKETED
    return Aggregate(status, median, low, high, bracketed)
