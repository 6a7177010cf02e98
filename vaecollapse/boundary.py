"""Where collapse sets in: the boundary along one ordered axis of a sweep's results.

Pure NumPy/xarray on a results Dataset (`vaecollapse.results`); trains nothing. For one
numeric swept axis (``beta`` by default) and an order parameter of the results' family
(`vaecollapse.families`; for the VAE ``mutual_info`` or ``kl``, the whole latent
collapses, or ``kl_per_dim``, each latent dim's own boundary: a per-unit order parameter,
whose units are exchangeable, so each run's are ranked, rank 0 the largest) — it finds,
for every point of the other axes and every seed, where the order parameter
falls to the threshold ε, then aggregates over seeds.

Method, per seed. Order the axis from the healthy side to the collapsed side (collapse
as the axis grows, as β does, or as it falls, as context dropout does; detected from the
data or given). Let k be the first grid point at or below ε and i = k − 1 the last one
above it (the bracket). How the order parameter is read between grid points is its
family's rule (`families.OrderParameter.boundary_rule`):

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
(`config.HPARAMS`: free_bits ≥ 0, context_dropout in [0, 1], …), the extrapolation stops
at the edge of the allowed values (found by bisection on the rule), so along
``free_bits`` an estimate is never below 0.

Over seeds (censored medians). A seed whose curve never falls to ε on the grid is a
censored observation: its boundary lies beyond the grid's collapsed end (it is healthy
everywhere), and one collapsed at every point has its boundary before the grid's healthy
end. Rank the seeds with usable curves (at least two finite points) by their boundary —
censored seeds at −∞ or +∞ on their side, bracketed seeds at their estimates — and take
the median by order alone (the mean of the two middle seeds when their number is even).
Then the status says where it lies:

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
median beyond the grid has an open interval on its side. Diverged runs (and grid points
with a non-finite measure) are left out of their seed's curve and counted.

Sensitivity (`sensitivity`): the boundary and the runs per collapse state at ½×, 1× and
2× the threshold, so a reader sees which conclusions depend on it; the states are the
family's rule at that threshold where it gives one (`families.Family.states_at`),
otherwise the order parameter's own reading (`states_at`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from vaecollapse import families
from vaecollapse import states as state_codes
from vaecollapse.results import run_dims

DIRECTIONS = ("auto", "increasing", "decreasing")  # collapse as the axis increases/decreases
# one seed's curve on the grid
BRACKETED, COLLAPSED_EVERYWHERE, HEALTHY_EVERYWHERE = (
    "bracketed",
    "collapsed_everywhere",
    "healthy_everywhere",
)
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
CSV_COLUMNS = (
    "estimate",
    "low",
    "high",
    "interval",
    "seeds_bracketed",
    "seeds",
    "status",
    "extrapolated_by",
    "diverged",
)
QUANTILES = (0.05, 0.95)
MIN_QUANTILE_SEEDS = 5  # fewer seeds: the interval is their range, not a 90 % interval
# what ``low``–``high`` is (the ``interval`` column)
QUANTILE_90, SEED_RANGE = "quantile_90", "seed_range"
SENSITIVITY_FACTORS = (0.5, 1.0, 2.0)  # multiples of the threshold `sensitivity` reads at
DIVERGED = "diverged"  # the state counted for a diverged run (`state_counts`)


def is_log_axis(values) -> bool:
    """Positive numbers spanning about a decade or more: drawn and interpolated in log."""
    values = np.asarray(values)
    return bool(
        values.dtype.kind in "fiu" and values.min() > 0 and values.max() / values.min() >= 9.99
    )


def default_threshold(results: xr.Dataset, measure: str | None = None) -> float:
    """The default ε of ``measure`` (the family's main order parameter when None): for
    the VAE the sweep's own ``collapse_kl_eps`` (nats); for results without a ``config``
    attribute (a Dataset built by hand: the VAE family), the config schema's default.

    Raises:
      ValueError: the threshold is a config field that neither the results' config nor
        the schema holds (pass ``threshold``).
    """
    family = families.of(results)
    name = family.main_order_parameter if measure is None else measure
    parameter = family.order_parameters[name]
    config = families.config_of(results)
    field = parameter.threshold
    if isinstance(field, str) and field not in config:
        from vaecollapse import config as config_lib  # the schema: no JAX

        schema = config_lib.base_config()
        if field not in schema:
            raise ValueError(
                f"threshold=None is invalid: {name}'s default is the config field {field!r}, "
                "which these results lack (no `config` attribute); pass threshold="
            )
        config = {field: schema[field]}
    return parameter.default_threshold(config)


def numeric_axes(results: xr.Dataset) -> list[str]:
    """Swept axes with numeric values and at least 2 of them, seeds excepted, in order."""
    return [
        d
        for d in run_dims(results)
        if d != "seed" and results[d].dtype.kind in "fiu" and results.sizes[d] >= 2
    ]


def check(results: xr.Dataset, along: str, measure: str, threshold: float | None, direction: str):
    """Raise ValueError naming a bad argument, its value and what is allowed (``threshold``
    None: the default, not checked)."""
    if along not in run_dims(results) or along == "seed":
        allowed = numeric_axes(results)
        raise ValueError(
            f"along={along!r} is not a swept axis of these results; allowed: {allowed}"
        )
    if results[along].dtype.kind not in "fiu":
        raise ValueError(
            f"along={along!r} is invalid: its values {list(results[along].values)} are not "
            f"numbers; allowed: {numeric_axes(results)}"
        )
    if results.sizes[along] < 2:
        raise ValueError(
            f"along={along!r} is invalid: it has {results.sizes[along]} value; need >= 2"
        )
    measures = families.of(results).order_parameters
    if measure not in measures or measure not in results:
        have = [m for m in measures if m in results]
        raise ValueError(f"measure={measure!r} is invalid: allowed: {', '.join(have)}")
    if threshold is not None and not threshold > 0:
        raise ValueError(f"threshold={threshold!r} is invalid: must be > 0")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction={direction!r} is invalid: allowed: {', '.join(DIRECTIONS)}")


def order_parameter(results: xr.Dataset, measure: str) -> xr.DataArray:
    """The measure per run, NaN where the run diverged; a per-unit one (``kl_per_dim``)
    ranked per run along its unit dim (which becomes the rank: 0 the largest, NaN
    padding last)."""
    da = results[measure].astype(float)
    if "diverged" in results:
        da = da.where(~results.diverged.astype(bool))
    unit = families.of(results).order_parameters[measure].per_unit
    if unit is not None:
        da = da.copy(data=-np.sort(-da.values, axis=da.dims.index(unit)))
    return da


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


def _direction(da: xr.DataArray, along: str) -> str:
    """``increasing`` when the measure is lower (more collapsed) at the axis's high end."""
    da = da.sortby(along)  # the axis's low and high ends, whatever the file's order
    first = np.nanmedian(da.isel({along: 0}).values)
    last = np.nanmedian(da.isel({along: -1}).values)
    return "increasing" if not last > first else "decreasing"


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


def default_along(results: xr.Dataset) -> str:
    """The axis a boundary runs along when none is named: the first numeric swept axis
    (`numeric_axes`; β for the VAE's grids, α for SimSiam's, …).

    Raises:
      ValueError: the results sweep no numeric axis with 2 or more values.
    """
    axes = numeric_axes(results)
    if not axes:
        raise ValueError(
            f"along=None is invalid: these results sweep no numeric axis with 2 or more "
            f"values (axes: {run_dims(results)})"
        )
    return axes[0]


def allowed(along: str):
    """The rule an axis's values obey (`config.HPARAMS`: ``value -> bool``), or None when
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


def estimate(
    results: xr.Dataset,
    along: str | None = None,
    measure: str | None = None,
    threshold: float | None = None,
    direction: str = "auto",
) -> xr.Dataset:
    """The collapse boundary along ``along`` at every point of the other axes.

    Args:
      results: a sweep's results (`vaecollapse.results.load`).
      along: an ordered numeric swept axis; None: the first (`default_along`).
      measure: an order parameter of the results' family (`vaecollapse.families`);
        None: its main one. VAE: ``mutual_info`` (main), ``kl`` or ``kl_per_dim`` (per
        unit: one boundary per rank of the latent dims).
      threshold: ε; default the order parameter's (VAE: the sweep's ``collapse_kl_eps``).
      direction: ``increasing`` (collapse as the axis grows), ``decreasing``, or ``auto``.

    Returns:
        A Dataset over the other non-seed axes (and ``latent``, the rank, for
      ``kl_per_dim``) with ``estimate`` (axis units; a number only when ``status`` is
      ``bracketed`` or ``extrapolated``), ``low``, ``high`` (the interval; ±∞ where
      open, NaN for ``no_data``), ``interval`` (what low–high is: `QUANTILE_90`, or
      `SEED_RANGE` with fewer than `MIN_QUANTILE_SEEDS` usable seeds),
      ``seeds_bracketed``, ``seeds`` (seeds with a usable curve), ``status``
      (`STATUSES`, see the module docstring), ``extrapolated_by`` (how far an
      extrapolated estimate lies past the grid's end, signed axis units; 0 inside, NaN
      without an estimate) and ``diverged`` (runs left out). Attributes say how:
      ``along``, ``measure``, ``threshold``, ``direction``, ``log_axis``,
      ``seeds_total``, ``rule`` (the order parameter's `families.BOUNDARY_RULES`) and
      ``domain_edge`` (where the axis's allowed values end past the grid's collapsed
      end, which an extrapolation never passes; NaN when no edge is within reach).

    Raises:
      ValueError: an unknown or non-numeric axis, fewer than 2 values, a measure the
        results lack, a threshold <= 0, an unknown direction.
    """
    if measure is None:
        measure = families.of(results).main_order_parameter
    along = default_along(results) if along is None else along
    check(results, along, measure, threshold, direction)
    threshold = default_threshold(results, measure) if threshold is None else threshold
    rule = families.of(results).order_parameters[measure].boundary_rule
    da = order_parameter(results, measure)
    if direction == "auto":
        direction = _direction(da, along)
    log = is_log_axis(results[along].values)
    sign = 1.0 if direction == "increasing" else -1.0
    x = results[along].values.astype(float)
    order = np.argsort(sign * x)
    t = sign * (np.log(x[order]) if log else x[order])
    others = [d for d in da.dims if d not in (along, "seed")]
    if "seed" not in da.dims:
        da = da.expand_dims(seed=[0])
    values = da.transpose(*others, "seed", along).values[..., order]
    shape = values.shape[: len(others)]
    names = ("estimate", "low", "high", "extrapolated_by", "seeds_bracketed", "seeds", "diverged")
    out = {name: np.full(shape, np.nan) for name in names}
    status = np.full(shape, NO_DATA, dtype=object)
    interval = np.full(shape, SEED_RANGE, dtype=object)
    grid_x = x[order]

    def to_axis(value: float) -> float:
        """``t`` back to axis units: a grid point to its own value (no exp∘log round-off,
        so order is kept exactly), ±∞ to ±∞."""
        j = np.searchsorted(t, value)
        if j < len(t) and t[j] == value:
            return float(grid_x[j])
        value = sign * value
        return value if not log or np.isinf(value) else float(np.exp(value))

    limit = np.inf
    if rule == families.TO_ZERO:  # only this rule reads past the grid
        limit = domain_limit(t, to_axis, allowed(along))
    for index in np.ndindex(shape):
        per_seed, missing = [], 0
        for curve in values[index]:
            finite = np.isfinite(curve)
            missing += int((~finite).sum())
            if finite.sum() >= 2:
                per_seed.append(crossing(t[finite], curve[finite], threshold, rule, limit))
        found = aggregate(per_seed, t[-1])
        interval[index] = interval_kind(len(per_seed))
        low, high = sorted((to_axis(found.low), to_axis(found.high)))
        value = to_axis(found.estimate)
        if found.status == BRACKETED:
            out["extrapolated_by"][index] = 0.0
        elif found.status == EXTRAPOLATED:
            out["extrapolated_by"][index] = value - float(grid_x[-1])
        flip = {BEYOND_HIGH: BEYOND_LOW, BEYOND_LOW: BEYOND_HIGH}
        status[index] = flip.get(found.status, found.status) if sign < 0 else found.status
        out["estimate"][index], out["low"][index], out["high"][index] = value, low, high
        out["seeds_bracketed"][index] = found.seeds_bracketed
        out["seeds"][index] = len(per_seed)
        out["diverged"][index] = missing
    coords = {d: da[d].values for d in others}
    data = {name: (others, value) for name, value in out.items()}
    for name in ("seeds_bracketed", "seeds", "diverged"):
        data[name] = (others, out[name].astype(np.int32))
    data["status"] = (others, status.astype(str))
    data["interval"] = (others, interval.astype(str))
    return xr.Dataset(
        data,
        coords=coords,
        attrs={
            "along": along,
            "measure": measure,
            "threshold": threshold,
            "direction": direction,
            "log_axis": int(log),
            "seeds_total": int(da.sizes["seed"]),
            "rule": rule,
            "domain_edge": to_axis(limit) if np.isfinite(limit) else np.nan,
        },
    )


def to_frame(boundary: xr.Dataset) -> pd.DataFrame:
    """One row per point of the other axes (and rank): those axes, then `CSV_COLUMNS`."""
    if not boundary.sizes:  # nothing swept but this axis and seeds: one row
        return pd.DataFrame([{c: boundary[c].values.item() for c in CSV_COLUMNS}])
    return boundary[list(CSV_COLUMNS)].to_dataframe().reset_index()


def write_csv(boundary: xr.Dataset, path: str | Path) -> Path:
    path = Path(path)
    to_frame(boundary).to_csv(path, index=False, float_format="%.6g")
    return path


def markdown(boundary: xr.Dataset, closed_form: xr.DataArray | None = None, limit: int = 40) -> str:
    """The boundary table as Markdown (at most ``limit`` rows), with the closed-form
    boundary and the relative error where ``closed_form`` (same dims) is given."""
    frame = to_frame(boundary)
    if closed_form is not None:
        frame["closed form"] = [
            float(closed_form.sel({d: row[d] for d in closed_form.dims}))
            for _, row in frame.iterrows()
        ]
        frame["error"] = frame["estimate"] / frame["closed form"] - 1.0
        frame["inside"] = (frame["low"] <= frame["closed form"]) & (
            frame["closed form"] <= frame["high"]
        )
    lines = [
        describe(boundary),
        "",
        "| " + " | ".join(frame.columns) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    for _, row in frame.head(limit).iterrows():
        lines.append("| " + " | ".join(_cell(v) for v in row.values) + " |")
    if len(frame) > limit:
        lines.append(f"\n({len(frame) - limit} more rows in `boundary.csv`)")
    return "\n".join(lines) + "\n"


RULE_WORDS = {
    families.INTERPOLATE: "the crossing of the threshold interpolated between the grid "
    "points that bracket it, never past the grid",
    families.TO_ZERO: "the line through the last two points above the threshold "
    "extrapolated to zero, clipped to the bracketing chord and to one grid step past the grid",
}


def interval_words(boundary: xr.Dataset) -> str:
    """What low–high is, in words: a 90 % interval, the seeds' range, or (rows differ)
    which is which by the ``interval`` column."""
    kinds = set(np.asarray(boundary["interval"].values, dtype=str).ravel())
    range_words = (
        f"the range of the seeds' brackets (fewer than {MIN_QUANTILE_SEEDS} seeds: "
        "not a 90 % interval)"
    )
    quantile_words = "90 % interval (5–95 % quantiles of the seeds' brackets)"
    if kinds == {SEED_RANGE}:
        return range_words
    if kinds == {QUANTILE_90}:
        return quantile_words
    return f"{quantile_words} where `interval` is {QUANTILE_90}, else {range_words}"


def describe(boundary: xr.Dataset) -> str:
    """One paragraph: what the boundary table holds (axis, measure, threshold, direction,
    the rule between grid points, what the interval is, where the axis's values end)."""
    a = boundary.attrs
    grows = "grows" if a["direction"] == "increasing" else "falls"
    rule = a.get("rule", families.TO_ZERO)
    text = (
        f"Boundary along `{a['along']}` where `{a['measure']}` falls to {a['threshold']:g} "
        f"(collapse as {a['along']} {grows}); estimate: median over "
        f"{a.get('seeds_total', '?')} seeds, read between grid points as "
        f"{RULE_WORDS.get(rule, rule)} (`{rule}`); low–high: {interval_words(boundary)}."
    )
    edge = a.get("domain_edge", np.nan)
    if np.isfinite(edge):
        text += f" `{a['along']}` takes no value past {edge:.4g}: an extrapolation stops there."
    return text


def states_at(results: xr.Dataset, measure: str, threshold: float) -> tuple[xr.DataArray, dict]:
    """Each run's state at ``threshold`` and the names of its codes: the family's rule
    (`families.Family.states_at`, names ``state_names``) where it gives one; otherwise
    the order parameter alone, read against ``threshold`` (below it: collapsed) — per
    unit: 0 no unit below, 1 some, 2 every one (named as the family's states 0, 1, 2);
    one value per run: 0 at or above (``MEASURE ≥ ε``), 1 below (``MEASURE < ε``)."""
    family = families.of(results)
    codes = None
    if family.states_at:  # None: the family's rule does not read this measure
        codes = families.resolve(family.states_at)(results, measure, threshold)
    if codes is not None:
        return codes, dict(family.state_names)
    values = results[measure].astype(float)
    unit = family.order_parameters[measure].per_unit
    if unit is None:
        return (values < threshold).astype(int), {0: f"{measure} ≥ ε", 1: f"{measure} < ε"}
    codes = state_codes.of_units((values < threshold).sum(unit), values.notnull().sum(unit))
    if set(family.state_names) == {0, 1, 2}:
        return codes, dict(family.state_names)
    return codes, {0: f"no {unit} below", 1: f"some {unit}s below", 2: f"every {unit} below"}


def state_counts(results: xr.Dataset, found: xr.Dataset, measure: str, threshold: float):
    """Runs per state (`states_at`) at ``threshold`` at every point of the boundary's other
    axes (``found``'s dims but a per-unit rank), over the boundary's axis and the seeds;
    diverged runs counted as `DIVERGED`. Returns (frame, state names in order)."""
    codes, names = states_at(results, measure, threshold)
    unit = families.of(results).order_parameters[measure].per_unit
    others = [d for d in found.dims if d != unit]
    name_of = np.vectorize(lambda c: names.get(int(c), str(int(c))), otypes=[object])
    labels = codes.copy(data=name_of(codes.values))
    if "diverged" in results:
        labels = labels.where(~results.diverged.astype(bool).broadcast_like(labels), DIVERGED)
    order = [*names.values(), DIVERGED]
    rows = []
    points = [()] if not others else list(np.ndindex(*(found.sizes[d] for d in others)))
    for index in points:
        where = {d: found[d].values[i] for d, i in zip(others, index, strict=True)}
        cell = labels.sel(where) if where else labels
        values, counts = np.unique(np.asarray(cell.values, dtype=str), return_counts=True)
        row = dict(where)
        row.update({name: 0 for name in order})
        row.update(dict(zip(values.tolist(), counts.tolist(), strict=True)))
        rows.append(row)
    frame = pd.DataFrame(rows)
    present = [n for n in order if n != DIVERGED or frame[n].any()]
    return frame[[*others, *present]], present


def sensitivity(
    results: xr.Dataset,
    along: str | None = None,
    measure: str | None = None,
    threshold: float | None = None,
    factors=SENSITIVITY_FACTORS,
) -> tuple[xr.Dataset, pd.DataFrame]:
    """The boundary (`estimate`) and the runs per state (`state_counts`) at each of
    ``factors`` × the threshold (default ½×, 1×, 2×).

    Returns:
      (boundaries, states): the estimates stacked over a new leading dim ``factor``
      (attributes of the 1× one, ``threshold`` the base, ``thresholds`` each factor's);
      one row per factor and point of the other axes, with ``factor``, ``threshold``
      and a count per state name (``attrs["states"]``: their order).

    Raises:
      ValueError: a bad argument (as `estimate`), or a factor that is not > 0.
    """
    factors = tuple(float(f) for f in factors)
    if not factors or any(not f > 0 for f in factors):
        raise ValueError(f"factors={factors!r} is invalid: each must be > 0")
    measure = families.of(results).main_order_parameter if measure is None else measure
    base = estimate(results, along, measure, threshold)
    eps = base.attrs["threshold"]
    found = [  # the 1× boundary is ``base`` itself
        base
        if f == 1.0
        else estimate(results, base.attrs["along"], measure, f * eps, base.attrs["direction"])
        for f in factors
    ]
    stacked = xr.concat(found, dim="factor", combine_attrs="override").assign_coords(
        factor=list(factors)
    )
    stacked.attrs.update(base.attrs, threshold=eps, thresholds=[f * eps for f in factors])
    frames, names = [], []
    for f, one in zip(factors, found, strict=True):
        frame, present = state_counts(results, one, measure, f * eps)
        frame.insert(0, "threshold", f * eps)
        frame.insert(0, "factor", f)
        frames.append(frame)
        names += [n for n in present if n not in names]
    states = pd.concat(frames, ignore_index=True).fillna(0)
    for name in names:
        states[name] = states[name].astype(int)
    states.attrs["states"] = names
    return stacked, states


def _factor(f: float) -> str:
    return {0.5: "½×", 1.0: "1×", 2.0: "2×"}.get(f, f"{f:g}×")


def _interval_cell(estimate_: float, low: float, high: float, status: str) -> str:
    """``estimate [low, high]`` (an open end: ``(−∞`` or ``∞)``), or the status in place
    of an estimate that is not a number."""
    if np.isnan(low) and np.isnan(high):
        return status
    head = f"{estimate_:.4g}" if np.isfinite(estimate_) else status
    left = "(−∞" if low == -np.inf else f"[{low:.4g}"
    right = "∞)" if high == np.inf else f"{high:.4g}]"
    return f"{head} {left}, {right}"


def sensitivity_frame(boundaries: xr.Dataset) -> pd.DataFrame:
    """Long form of `sensitivity`'s boundaries: the other axes (and rank), ``factor``,
    ``threshold``, then `CSV_COLUMNS` (``boundary_sensitivity.csv``)."""
    frames = []
    for f, eps in zip(boundaries.factor.values, boundaries.attrs["thresholds"], strict=True):
        frame = to_frame(boundaries.sel(factor=f, drop=True))
        keys = [c for c in frame.columns if c not in CSV_COLUMNS]
        frame.insert(len(keys), "threshold", eps)
        frame.insert(len(keys), "factor", float(f))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def sensitivity_markdown(boundaries: xr.Dataset, states: pd.DataFrame, limit: int = 40) -> str:
    """Markdown of `sensitivity`: a boundary table (one column per factor; ``depends``:
    yes where the status changes or an estimate leaves the 1× interval) and a state table
    (runs per state at each factor; ``depends``: yes where a count changes)."""
    a = boundaries.attrs
    factors = [float(f) for f in boundaries.factor.values]
    heads = [f"{_factor(f)} ({eps:.3g})" for f, eps in zip(factors, a["thresholds"], strict=True)]
    per_factor = [to_frame(boundaries.sel(factor=f, drop=True)) for f in boundaries.factor.values]
    keys = [c for c in per_factor[0].columns if c not in CSV_COLUMNS]
    base = per_factor[factors.index(1.0)] if 1.0 in factors else per_factor[0]
    rows = []
    for r in range(len(base)):
        cells = [_cell(base[k].iloc[r]) for k in keys]
        statuses, moved = set(), False
        for frame in per_factor:
            row = frame.iloc[r]
            cells.append(_interval_cell(row.estimate, row.low, row.high, row.status))
            statuses.add(row.status)
            if np.isfinite(row.estimate):
                moved |= not base.low.iloc[r] <= row.estimate <= base.high.iloc[r]
        rows.append([*cells, "yes" if len(statuses) > 1 or moved else "no"])
    grows = "grows" if a["direction"] == "increasing" else "falls"
    lines = [
        f"Boundary along `{a['along']}` where `{a['measure']}` falls to each threshold "
        f"(collapse as {a['along']} {grows}): estimate [low, high], or the status where "
        f"there is no number; `depends`: yes where the status changes or an estimate "
        f"leaves the {_factor(1.0)} interval.",
        "",
        "| " + " | ".join([*keys, *heads, "depends"]) + " |",
        "|" + "---|" * (len(keys) + len(heads) + 1),
        *("| " + " | ".join(row) + " |" for row in rows[:limit]),
    ]
    if len(rows) > limit:
        lines.append(f"\n({len(rows) - limit} more rows in `boundary_sensitivity.csv`)")
    names = states.attrs["states"]
    others = [c for c in states.columns if c not in ("factor", "threshold", *names)]
    lines += [
        "",
        f"Runs per state over `{a['along']}` × seeds at each threshold (the family's state "
        "rule read there, or the order parameter's own reading); `depends`: yes where a "
        "count changes.",
        "",
        "| " + " | ".join([*others, *heads, "depends"]) + " |",
        "|" + "---|" * (len(others) + len(heads) + 1),
    ]
    groups = states.groupby(others, sort=False) if others else [((), states)]
    for key, group in list(groups)[:limit]:
        key = key if isinstance(key, tuple) else (key,)
        counts = [
            ", ".join(f"{n} {int(row[n])}" for n in names if row[n]) for _, row in group.iterrows()
        ]
        depends = "yes" if len(set(counts)) > 1 else "no"
        lines.append("| " + " | ".join([*(_cell(k) for k in key), *counts, depends]) + " |")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "—" if np.isnan(value) else f"{value:.4g}"
    return str(value)
