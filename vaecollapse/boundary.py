"""Where collapse sets in: the boundary along one ordered axis of a sweep's results.

Pure NumPy/xarray on a results Dataset (`vaecollapse.results`); trains nothing. For one
numeric swept axis (``beta`` by default) and an order parameter — ``mutual_info`` or
``kl`` (the whole latent collapses) or ``kl_per_dim`` (each latent dim's own boundary;
dims are exchangeable, so each run's dims are ranked by KL, rank 0 the largest) — it
finds, for every point of the other axes and every seed, where the order parameter
falls to the threshold ε, then aggregates over seeds.

Method, per seed. Order the axis from the healthy side to the collapsed side (collapse
as the axis grows, as β does, or as it falls, as context dropout does; detected from the
data or given). Let k be the first grid point at or below ε and i = k − 1 the last one
above it (the bracket). At a continuous transition the order parameter reaches zero only
at the boundary — a linear VAE has KL_i = ½ log(λ_i/(βσ²)), linear in log β — so the
crossing of ε itself sits below the boundary by a factor e^(−2ε) (10 % at ε = 0.05). The
estimate therefore extrapolates the line through the two last points above ε (i − 1 and
i; in log space on log-spaced axes) to zero, clipped to [x_i, z], z the zero of the chord
from i to k (the chord lies above the curve's line wherever the curve bends to zero, so
z is never below a linear boundary). With only one point above ε, it interpolates the
crossing of ε between i and k. On the linear VAE the extrapolation is exact for noiseless
values; the bias left is that of the measured KL. The seed's interval is [x_i, max(x_j,
z)], x_j the first point at or below ε/2 from k on (the grid's end if none): points
between the ε crossing and the boundary sit a little above zero, so the interval reaches
to a point clearly past it.

Over seeds: the estimate is the median of the bracketed seeds' estimates; the 90 %
interval runs from the 5 % quantile of the seeds' interval lows to the 95 % quantile of
their highs (linear interpolation between order statistics: with fewer than ~10 seeds
this is close to the lowest low and the highest high, so it covers both the spread over
seeds and the grid's resolution). A seed whose crossing the grid does not bracket widens
the interval to the grid's end on its side. Diverged runs (and grid points with a
non-finite measure) are left out of their seed's curve and counted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

MEASURES = ("mutual_info", "kl", "kl_per_dim")
DIRECTIONS = ("auto", "increasing", "decreasing")  # collapse as the axis increases/decreases
BRACKETED, COLLAPSED_EVERYWHERE, HEALTHY_EVERYWHERE = (
    "bracketed",
    "collapsed_everywhere",
    "healthy_everywhere",
)
CSV_COLUMNS = ("estimate", "low", "high", "seeds_bracketed", "seeds", "status", "diverged")
QUANTILES = (0.05, 0.95)


def is_log_axis(values) -> bool:
    """Positive numbers spanning about a decade or more: drawn and interpolated in log."""
    values = np.asarray(values)
    return bool(
        values.dtype.kind in "fiu" and values.min() > 0 and values.max() / values.min() >= 9.99
    )


def default_threshold(results: xr.Dataset) -> float:
    """The sweep's own ``collapse_kl_eps`` (nats)."""
    return float(json.loads(results.attrs["config"])["collapse_kl_eps"])


def numeric_axes(results: xr.Dataset) -> list[str]:
    """Swept axes with numeric values and at least 2 of them, seeds excepted, in order."""
    return [
        d
        for d in results.kl.dims
        if d != "seed" and results[d].dtype.kind in "fiu" and results.sizes[d] >= 2
    ]


def check(results: xr.Dataset, along: str, measure: str, threshold: float, direction: str):
    """Raise ValueError naming a bad argument, its value and what is allowed."""
    grid_dims = list(results.kl.dims)
    if along not in grid_dims or along == "seed":
        allowed = numeric_axes(results)
        raise ValueError(
            f"--along={along!r} is not a swept axis of these results; allowed: {allowed}"
        )
    if results[along].dtype.kind not in "fiu":
        raise ValueError(
            f"--along={along!r} is invalid: its values {list(results[along].values)} are not "
            f"numbers; allowed: {numeric_axes(results)}"
        )
    if results.sizes[along] < 2:
        raise ValueError(
            f"--along={along!r} is invalid: it has {results.sizes[along]} value; need >= 2"
        )
    if measure not in MEASURES or measure not in results:
        have = [m for m in MEASURES if m in results]
        raise ValueError(f"--measure={measure!r} is invalid: allowed: {', '.join(have)}")
    if not threshold > 0:
        raise ValueError(f"--threshold={threshold!r} is invalid: must be > 0 (nats)")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction={direction!r} is invalid: allowed: {', '.join(DIRECTIONS)}")


def order_parameter(results: xr.Dataset, measure: str) -> xr.DataArray:
    """The measure per run, NaN where the run diverged; ``kl_per_dim`` ranked per run
    (``latent`` becomes the rank: 0 the largest KL, NaN padding last)."""
    da = results[measure].astype(float)
    if "diverged" in results:
        da = da.where(~results.diverged.astype(bool))
    if measure == "kl_per_dim":
        da = da.copy(data=-np.sort(-da.values, axis=da.dims.index("latent")))
    return da


def crossing(t: np.ndarray, v: np.ndarray, threshold: float):
    """One seed's crossing: ``t`` increasing from the healthy to the collapsed side (the
    axis, in log where it is log-spaced, negated where collapse comes as it falls), ``v``
    the order parameter there. Returns ``(status, estimate, low, high)`` in ``t`` units,
    NaN when not bracketed. See the module docstring for the method."""
    below = v <= threshold
    if below[0]:
        return COLLAPSED_EVERYWHERE, np.nan, np.nan, np.nan
    if not below.any():
        return HEALTHY_EVERYWHERE, np.nan, np.nan, np.nan
    k = int(np.argmax(below))
    i = k - 1
    chord_zero = t[i] + v[i] * (t[k] - t[i]) / (v[i] - v[k])
    if i >= 1 and v[i - 1] > v[i]:
        line_zero = t[i] + v[i] * (t[i] - t[i - 1]) / (v[i - 1] - v[i])
        estimate = min(max(line_zero, t[i]), chord_zero)
    else:
        estimate = t[i] + (v[i] - threshold) * (t[k] - t[i]) / (v[i] - v[k])
    clear = np.nonzero(v[k:] <= threshold / 2)[0]  # first point clearly past the boundary
    t_clear = t[k + clear[0]] if clear.size else t[-1]
    return BRACKETED, estimate, t[i], max(t_clear, chord_zero)


def _direction(da: xr.DataArray, along: str) -> str:
    """``increasing`` when the measure is lower (more collapsed) at the axis's high end."""
    first = np.nanmedian(da.isel({along: 0}).values)
    last = np.nanmedian(da.isel({along: -1}).values)
    return "increasing" if not last > first else "decreasing"


def _aggregate(per_seed: list[tuple], t_first: float, t_last: float):
    """(status, estimate, low, high, bracketed) over one point's seeds, in ``t`` units."""
    statuses = [s for s, *_ in per_seed]
    bracketed = [r for r in per_seed if r[0] == BRACKETED]
    if not bracketed:
        status = max(set(statuses), key=statuses.count) if statuses else HEALTHY_EVERYWHERE
        return status, np.nan, np.nan, np.nan, 0
    side = {COLLAPSED_EVERYWHERE: t_first, HEALTHY_EVERYWHERE: t_last}
    lows = [r[2] if r[0] == BRACKETED else side[r[0]] for r in per_seed]
    highs = [r[3] if r[0] == BRACKETED else side[r[0]] for r in per_seed]
    estimate = float(np.median([r[1] for r in bracketed]))
    low, high = np.quantile(lows, QUANTILES[0]), np.quantile(highs, QUANTILES[1])
    return BRACKETED, estimate, float(min(low, high)), float(max(low, high)), len(bracketed)


def estimate(
    results: xr.Dataset,
    along: str = "beta",
    measure: str = "mutual_info",
    threshold: float | None = None,
    direction: str = "auto",
) -> xr.Dataset:
    """The collapse boundary along ``along`` at every point of the other axes.

    Args:
      results: a sweep's results (`vaecollapse.results.load`).
      along: an ordered numeric swept axis.
      measure: ``mutual_info``, ``kl`` or ``kl_per_dim`` (then one boundary per rank).
      threshold: ε in nats; default the sweep's ``collapse_kl_eps``.
      direction: ``increasing`` (collapse as the axis grows), ``decreasing``, or ``auto``.

    Returns:
      A Dataset over the other non-seed axes (and ``latent``, the rank, for
      ``kl_per_dim``) with ``estimate``, ``low``, ``high`` (axis units; NaN unless
      bracketed), ``seeds_bracketed``, ``seeds`` (seeds with a usable curve),
      ``status`` and ``diverged`` (runs left out). Attributes say how.

    Raises:
      ValueError: an unknown or non-numeric axis, fewer than 2 values, a measure the
        results lack, a threshold <= 0, an unknown direction.
    """
    threshold = default_threshold(results) if threshold is None else threshold
    check(results, along, measure, threshold, direction)
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
    out = {
        name: np.full(shape, np.nan)
        for name in ("estimate", "low", "high", "seeds_bracketed", "seeds", "diverged")
    }
    status = np.full(shape, HEALTHY_EVERYWHERE, dtype=object)
    for index in np.ndindex(shape):
        per_seed, missing = [], 0
        for curve in values[index]:
            finite = np.isfinite(curve)
            missing += int((~finite).sum())
            if finite.sum() >= 2:
                per_seed.append(crossing(t[finite], curve[finite], threshold))
        result = _aggregate(per_seed, t[0], t[-1])
        status[index] = result[0]
        bounds = sign * np.asarray(result[1:4])
        out["estimate"][index], low, high = np.exp(bounds) if log else bounds
        out["low"][index], out["high"][index] = min(low, high), max(low, high)
        out["seeds_bracketed"][index] = result[4]
        out["seeds"][index] = len(per_seed)
        out["diverged"][index] = missing
    coords = {d: da[d].values for d in others}
    data = {name: (others, value) for name, value in out.items()}
    for name in ("seeds_bracketed", "seeds", "diverged"):
        data[name] = (others, out[name].astype(np.int32))
    data["status"] = (others, status.astype(str))
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
    a = boundary.attrs
    lines = [
        f"Boundary along `{a['along']}` where `{a['measure']}` falls to {a['threshold']:g} nats "
        f"(collapse as {a['along']} {'grows' if a['direction'] == 'increasing' else 'falls'}); "
        "estimate: median over seeds, low–high: 90 % interval over seeds and grid resolution.",
        "",
        "| " + " | ".join(frame.columns) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    for _, row in frame.head(limit).iterrows():
        lines.append("| " + " | ".join(_cell(v) for v in row.values) + " |")
    if len(frame) > limit:
        lines.append(f"\n({len(frame) - limit} more rows in `boundary.csv`)")
    return "\n".join(lines) + "\n"


def _cell(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        return "—" if np.isnan(value) else f"{value:.4g}"
    return str(value)
