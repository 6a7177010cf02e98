"""Where collapse sets in: the boundary along one ordered axis of a sweep's results.

Pure NumPy/xarray on a results Dataset (`vaecollapse.results`); trains nothing. For one
numeric swept axis (``beta`` by default) and an order parameter of the results' family
(`vaecollapse.families`; for the VAE ``mutual_info`` or ``kl``, the whole latent
collapses, or ``kl_per_dim``, each latent dim's own boundary: a per-unit order parameter,
whose units are exchangeable, so each run's are ranked, rank 0 the largest) — it finds,
for every point of the other axes and every seed, where the order parameter
falls to the threshold ε, then aggregates over seeds.

Method. Order the axis from the healthy side to the collapsed side (collapse as the axis
grows, as β does, or as it falls, as context dropout does; detected from the data or
given), in log on log-spaced axes (`is_log_axis`). Each seed's curve gives its crossing
of ε, read between grid points by its order parameter's rule
(`families.OrderParameter.boundary_rule`) and never past the values the axis can take
(`vaecollapse.crossing`). The seeds' crossings give the censored median and its interval,
with a status saying whether the boundary is a number inside the grid or past its
collapsed end, lies beyond either end, or is undetermined (`vaecollapse.median`).
Diverged runs (and grid points with a non-finite measure) are left out of their seed's
curve and counted.

The result is a table over the other axes (`CSV_COLUMNS`): ``boundary.csv``
(`write_csv`), and Markdown (`markdown`) headed by how it was read (`describe`). The
boundary and the runs per state at other thresholds: `vaecollapse.sensitivity`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from vaecollapse import families
from vaecollapse.crossing import allowed, crossing, domain_limit
from vaecollapse.median import (
    BEYOND_HIGH,
    BEYOND_LOW,
    BRACKETED,
    EXTRAPOLATED,
    MIN_QUANTILE_SEEDS,
    NO_DATA,
    QUANTILE_90,
    SEED_RANGE,
    aggregate,
    interval_kind,
)
from vaecollapse.results import run_dims

DIRECTIONS = ("auto", "increasing", "decreasing")  # collapse as the axis increases/decreases
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


def _direction(da: xr.DataArray, along: str) -> str:
    """``increasing`` when the measure is lower (more collapsed) at the axis's high end."""
    da = da.sortby(along)  # the axis's low and high ends, whatever the file's order
    first = np.nanmedian(da.isel({along: 0}).values)
    last = np.nanmedian(da.isel({along: -1}).values)
    return "increasing" if not last > first else "decreasing"


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
      (`median.STATUSES`, see `vaecollapse.median`), ``extrapolated_by`` (how far an
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
        lines.append("| " + " | ".join(cell(v) for v in row.values) + " |")
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


def cell(value) -> str:
    """One table cell: ``yes``/``no`` for a boolean, a float to 4 significant digits (``—``
    for NaN), anything else as its text."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "—" if np.isnan(value) else f"{value:.4g}"
    return str(value)
