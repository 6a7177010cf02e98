"""The boundary's sensitivity to its threshold: the boundary and the runs per collapse
state at ½×, 1× and 2× the threshold, so a reader sees which conclusions depend on it.

The states are the family's rule at that threshold where it gives one
(`family.Family.states_at`), otherwise the order parameter's own reading
(`states_at`). Pure NumPy/xarray on a results Dataset, like `vaecollapse.boundary`;
``vaecollapse boundary DIR --sensitivity`` prints and writes it
(``boundary_sensitivity*.csv``) and ``summary.md`` has a section of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from vaecollapse import families
from vaecollapse import states as state_codes
from vaecollapse.boundary import CSV_COLUMNS, cell, estimate, to_frame

SENSITIVITY_FACTORS = (0.5, 1.0, 2.0)  # multiples of the threshold `sensitivity` reads at
DIVERGED = "diverged"  # the state counted for a diverged run (`state_counts`)


def states_at(results: xr.Dataset, measure: str, threshold: float) -> tuple[xr.DataArray, dict]:
    """Each run's state at ``threshold`` and the names of its codes: the family's rule
    (`family.Family.states_at`, names ``state_names``) where it gives one; otherwise
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
    direction: str = "auto",
) -> tuple[xr.Dataset, pd.DataFrame]:
    """The boundary (`estimate`) and the runs per state (`state_counts`) at each of
    ``factors`` × the threshold (default ½×, 1×, 2×); ``direction`` as `estimate`'s.

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
    base = estimate(results, along, measure, threshold, direction)
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
        cells = [cell(base[k].iloc[r]) for k in keys]
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
        lines.append("| " + " | ".join([*(cell(k) for k in key), *counts, depends]) + " |")
    return "\n".join(lines) + "\n"
