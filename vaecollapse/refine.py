"""Adaptive refinement of a sweep around its collapse boundaries.

Each round estimates the boundaries (`boundary.estimate`), places new values of the axis
inside the intervals that bracket them (and beyond the grid's end where the median over
seeds lies past it: `propose`), trains those values as one more vmapped sweep with the
workdir's config (same seeds, same other axes; ``WORKDIR/refine/roundN``, resumable like
any run) and
merges the new runs into ``WORKDIR/results.nc``: the axis grows and stays sorted, earlier
runs are unchanged. ``results.nc`` records the rounds done (``refine_rounds``), so a
refine killed at any moment and re-run ends with the same results as an uninterrupted one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import ml_collections
import numpy as np
import xarray as xr

from vaecollapse import boundary, config, median, results

SIGNIFICANT = 4  # new axis values are rounded to this many significant digits


def _round(value: float) -> float:
    return float(f"{value:.{SIGNIFICANT}g}")


def _inside(a: float, b: float, n: int) -> list[float]:
    """``n`` values strictly inside [a, b], evenly spaced."""
    return [a + (b - a) * j / (n + 1) for j in range(1, n + 1)]


def propose(found: xr.Dataset, values: np.ndarray, points: int) -> list[float]:
    """At most ``points`` new axis values for one round, sorted, none already in ``values``.

    A boundary whose median over seeds lies beyond the grid's end (status ``beyond_high``
    / ``beyond_low``, or ``extrapolated`` past it; ``undetermined``: both ends) gets two
    values beyond that end, one and two grid steps out; the intervals of the bracketed
    and extrapolated ones (an open end taken at the grid's end) share the other points,
    widest first, spaced evenly inside each (in log space on a log axis). ``no_data``
    rows get nothing.
    """
    log = bool(found.attrs["log_axis"])
    fwd, back = (np.log, np.exp) if log else ((lambda v: v), (lambda v: v))
    grid_t = np.sort(fwd(np.asarray(values, float)))
    step = (grid_t[-1] - grid_t[0]) / max(len(grid_t) - 1, 1)
    high_end = grid_t[-1] + step * np.array([1.0, 2.0])
    low_end = grid_t[0] - step * np.array([1.0, 2.0])
    collapse_high = found.attrs["direction"] == "increasing"
    sides = {
        median.BEYOND_HIGH: (high_end,),
        median.BEYOND_LOW: (low_end,),
        median.EXTRAPOLATED: (high_end if collapse_high else low_end,),
        median.UNDETERMINED: (low_end, high_end),
    }
    intervals, beyond = set(), set()
    status = found.status.values.ravel()
    lows, highs = found.low.values.ravel(), found.high.values.ravel()
    for s, low, high in zip(status, lows, highs, strict=True):
        for end in sides.get(str(s), ()):
            beyond.update(end.tolist())
        if s in (median.BRACKETED, median.EXTRAPOLATED):
            a = fwd(low) if np.isfinite(low) else grid_t[0]  # an open end: the grid's
            b = fwd(high) if np.isfinite(high) else grid_t[-1]
            if b > a:
                intervals.add((round(float(a), 9), round(float(b), 9)))
    ranked = sorted(intervals, key=lambda ab: ab[0] - ab[1])  # widest first
    budget = max(points - len(beyond), 0)
    candidates = sorted(beyond)
    for rank, (a, b) in enumerate(ranked[:budget]):
        n = budget // min(len(ranked), budget) + (rank < budget % min(len(ranked), budget))
        candidates += _inside(a, b, n)
    existing = {_round(v) for v in np.asarray(values, float)}
    new = []
    for t in candidates:  # in priority order: beyond the grid, then the widest intervals
        value = _round(float(back(t)))
        if value not in existing and value not in new:
            new.append(value)
    return sorted(new[:points])


def _valid(along: str, value: float) -> bool:
    try:
        config.check_hparam(along, value, f"sweep.{along}")
    except ValueError:
        return False
    return True


def merge(current: xr.Dataset, new: xr.Dataset, along: str) -> xr.Dataset:
    """``current`` with ``new``'s runs added along ``along`` (sorted); variables without
    that axis, coordinates and attributes come from ``current``."""
    merged = xr.concat(
        [current, new],
        dim=along,
        data_vars="minimal",
        coords="minimal",
        compat="override",
        join="outer",
        combine_attrs="override",
    ).sortby(along)
    swept = json.loads(current.attrs["config"])
    swept["sweep"][along] = [v.item() for v in merged[along].values]
    merged.attrs["config"] = json.dumps(swept, sort_keys=True)
    merged.attrs["wall_time_s"] = current.attrs.get("wall_time_s", 0.0) + new.attrs.get(
        "wall_time_s", 0.0
    )
    return merged


def refine(
    workdir: str | Path,
    *,
    along: str | None = None,
    measure: str | None = None,
    threshold: float | None = None,
    direction: str = "auto",
    points: int = 8,
    rounds: int = 2,
    values: tuple[float, ...] | None = None,
    progress: bool = True,
    log: Callable[[str], None] = print,
    stop: threading.Event | None = None,
) -> xr.Dataset:
    """Refine ``workdir``'s grid along ``along`` (None: its first numeric swept axis)
    until ``rounds`` rounds are done in all (rounds done by an earlier call count);
    return the merged results.

    ``values`` given: one round that adds those axis values (rounded to `SIGNIFICANT`
    digits like proposed ones; those already in the grid skipped, and none left: nothing
    is trained, said in the log) instead of the proposed ones — a map's grid completed
    where a person chose, with the same resumable, merged runs; ``points`` and ``rounds``
    are then unused, and the round counts in ``refine_rounds`` like any other (a later
    call without ``values`` needs ``rounds`` above it). ``direction`` is
    `boundary.estimate`'s. A round killed midway resumes only with the same values.

    Raises:
      ValueError: ``points`` or ``rounds`` <= 0, an axis that is not a dynamic numeric
        sweep axis, a value the axis does not allow, or any bad argument of
        `boundary.estimate`.
      sweep.Interrupted: ``stop`` was set during a round's sweep (re-running goes on).
    """
    for name, value in (("points", points), ("rounds", rounds)):
        if not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name}={value!r} is invalid: must be a positive integer")
    workdir = Path(workdir)
    current = results.load(workdir)
    along = boundary.default_along(current) if along is None else along
    found = boundary.estimate(current, along, measure, threshold, direction)  # checks them
    base = ml_collections.ConfigDict(json.loads(current.attrs["config"]))
    if along not in base.sweep:
        raise ValueError(
            f"along={along!r} is invalid: refine adds values to a dynamic sweep axis; "
            f"allowed: {[a for a in base.sweep if a != 'seed']}"
        )
    done = int(current.attrs.get("refine_rounds", 0))
    if values is not None:
        for value in values:
            config.check_hparam(along, value, f"values of {along}")
            config.check_hparam(along, _round(value), f"values of {along} (rounded)")
        rounded = {_round(v) for v in values}
        chosen = sorted(rounded - {_round(v) for v in current[along].values.astype(float)})
        if not chosen:
            log(f"refine: {along} values {sorted(rounded)} are all in the grid")
        rounds = done + 1 if chosen else done
    elif done >= rounds:
        log(f"refine: {done} round(s) done already; rounds={done + 1} or more adds one")
    for round_ in range(done + 1, rounds + 1):
        if values is not None:
            new = chosen
        else:
            new = [v for v in propose(found, current[along].values, points) if _valid(along, v)]
        if not new:
            log(f"refine round {round_}: every boundary is resolved by the grid; stopping")
            break
        log(f"refine round {round_}: {len(new)} new {along} values {new}")
        extra = ml_collections.ConfigDict(base.to_dict())
        extra.sweep[along] = tuple(new)
        from vaecollapse import sweep  # the writing side (JAX), only when training

        trained = sweep.run_sweep(
            extra, workdir / "refine" / f"round{round_}", progress=progress, stop=stop
        )
        current = merge(current, trained, along)
        current.attrs["refine_rounds"] = round_
        results.write(current, workdir)
        found = boundary.estimate(current, along, measure, threshold, direction)
        log(boundary.markdown(found, limit=12))
    return current
