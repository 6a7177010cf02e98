"""The engine's figures of a sweep's results (`vaecollapse.results`), and the helpers every
family's figures draw with.

`phase_diagram` draws the family's panels (`family.Family.panels`: VAE KL, active units,
I(x; z), state; SSL std·√d, RankMe, probe, state; GAN modes, quality, state) over the
swept axes, mean ± sample std over seeds, with the estimated boundary and the family's
known ones. The helpers — `save`, `title`, `seed_stats`, `Colours` (runs coloured by the
first swept axis), `curves` (every run, or per colour group a median and band),
`iter_runs`, `run_values`, `first_seed` — are public for the families' own figures
(`families/*/plots.py`). `vaecollapse.report` draws them all and writes ``summary.md``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.backends.backend_agg
import matplotlib.collections
import matplotlib.patheffects
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from vaecollapse import boundary, families, layout
from vaecollapse.results import run_dims, swept_axes


def fmt_value(value) -> str:
    """A coordinate value as a tick or legend label: numbers compactly, names as is."""
    value = np.asarray(value).item()
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def seed_stats(da: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    if "seed" in da.dims:
        return da.mean("seed"), da.std("seed", ddof=1)
    return da, xr.zeros_like(da)


def save(fig, path: Path, tight: bool = False, dpi: int = 110, **savefig) -> Path:
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi, **savefig)
    plt.close(fig)
    return path


def title(results: xr.Dataset, what: str) -> str:
    return f"{results.attrs.get('experiment', '')}: {what}"


def _heatmap_panel(
    fig, ax, mean, std, x_axis: str, y_axis: str, label: str, limits=(None, None)
) -> None:
    """Mean over seeds over two swept axes (`layout.AxisLayout` places the cells), tick labels
    where they fit (`layout.thin_ticks`), mean ± std (just the mean where the std is 0, as with
    one seed) in each cell that has room for it (`layout.CellNumber`) when the panel has at
    most `layout.MAX_ANNOTATED_CELLS` cells; ``limits`` (vmin, vmax) share a colour scale
    across facets."""
    m = mean.transpose(y_axis, x_axis)
    s = std.transpose(y_axis, x_axis)
    x, y = layout.AxisLayout.of(m[x_axis].values), layout.AxisLayout.of(m[y_axis].values)
    values = m.values[np.ix_(y.order, x.order)]
    spread = s.values[np.ix_(y.order, x.order)]
    vmin, vmax = limits
    mesh = ax.pcolormesh(
        x.edges, y.edges, values, cmap="viridis", shading="flat", vmin=vmin, vmax=vmax
    )
    if x.log:
        ax.set_xscale("log")
    if y.log:
        ax.set_yscale("log")
    ax.set_xlim(x.edges[0], x.edges[-1])  # the mesh's; overlays never widen them
    ax.set_ylim(y.edges[0], y.edges[-1])
    layout.thin_ticks(ax, "x", x)
    layout.thin_ticks(ax, "y", y)
    ax.set_xlabel(x_axis)
    ax.set_ylabel(y_axis)
    if m.size <= layout.MAX_ANNOTATED_CELLS:
        xe, ye, xc, yc = x.edges, y.edges, x.centres, y.centres
        halo = matplotlib.patheffects.withStroke  # in the cell's colour: over the boundary
        for (i, j), value in np.ndenumerate(values):
            text = f"{value:.2g}" + (f"\n±{spread[i, j]:.1g}" if spread[i, j] else "")
            ax.add_artist(
                layout.CellNumber(
                    (xe[j], xe[j + 1], ye[i], ye[i + 1]),
                    xc[j],
                    yc[i],
                    text,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="k" if mesh.norm(value) > 0.6 else "w",  # readable on viridis
                    path_effects=[halo(linewidth=2, foreground=mesh.to_rgba(value))],
                )
            )
    fig.colorbar(mesh, ax=ax, label=label)


def _boundary_overlay(ax, found: xr.Dataset | None, y_axis: str | None, x_values=None) -> None:
    """The estimated boundary (median over seeds) and its interval band (a 90 % interval
    from 5 seeds, else the seeds' range), where it has an
    estimate (``bracketed``, or ``extrapolated`` a little past the grid); nothing where
    it has none. On a heatmap, against the other axis (placed as `_heatmap_panel`
    places cells; ``x_values`` the grid values of the boundary's axis): a band that is
    open on a side (low −∞, high +∞) or reaches past the mesh stops at the mesh's edge
    with an arrowhead there (each row's interval drawn and capped up to
    `layout.MAX_MARKED_ROWS` rows; beyond, where they would merge into a block, the band
    alone); on a line plot, a vertical line and band (open sides up to the axis's
    limits)."""
    if found is None:
        return
    if y_axis is None:
        if str(found.status.values) in ("bracketed", "extrapolated"):
            ax.axvline(
                float(found.estimate), color="red", lw=1.5, label="boundary (interval over seeds)"
            )
            left, right = ax.get_xlim()
            low, high = np.clip([float(found.low), float(found.high)], left, right)
            ax.axvspan(low, high, color="red", alpha=0.15)
            ax.set_xlim(left, right)
        return
    x = layout.AxisLayout.of(np.asarray(x_values))
    y = layout.AxisLayout.of(found[y_axis].values).ticks
    left, right = x.edges[0], x.edges[-1]

    def place(values):
        values = np.asarray(values, float)
        at = x.position(np.where(np.isfinite(values), values, np.nan))
        at = np.where(values == -np.inf, left, np.where(values == np.inf, right, at))
        return np.clip(at, left, right)

    shown = np.isfinite(np.asarray(found.estimate.values, float))
    estimate = np.where(shown, place(found.estimate.values), np.nan)
    low = np.where(shown, place(found.low.values), np.nan)
    high = np.where(shown, place(found.high.values), np.nan)
    ax.plot(estimate, y, "o-", color="red", lw=1.5, ms=3)
    if len(y) > 1:
        ax.fill_betweenx(y, low, high, color="red", alpha=0.2)
    if len(y) > layout.MAX_MARKED_ROWS:
        return
    ax.hlines(y, low, high, color="red", lw=1)
    for ends, edge, open_marker in ((low, left, "<"), (high, right, ">")):
        open_end = ends == edge
        ax.plot(ends[open_end], y[open_end], open_marker, color="red", ms=5)
        ax.plot(ends[shown & ~open_end], y[shown & ~open_end], "|", color="red", ms=6)


def _facets(results: xr.Dataset, axes: list[str]) -> list[tuple[str, dict]]:
    """(title, selection) per combination of the swept axes after the first two (at most
    `layout.MAX_FACETS`); one untitled facet when there are none."""
    rest = axes[2:]
    if not rest:
        return [("", {})]
    stacked = [
        dict(zip(rest, combo, strict=True))
        for combo in itertools.product(*(results[d].values for d in rest))
    ]
    return [
        (", ".join(f"{d}={fmt_value(v)}" for d, v in sel.items()), sel)
        for sel in stacked[: layout.MAX_FACETS]
    ]


def _bar_panel(ax, mean, std, axis: str, name: str, label: str) -> None:
    """One bar per named grid point (variants), mean ± std over seeds."""
    names = [str(v) for v in mean[axis].values]
    ax.bar(names, mean.values, yerr=std.values, capsize=3, color="tab:blue")
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    if name in ("kl", "mutual_info"):  # nats span decades across remedies
        ax.set_yscale("symlog", linthresh=0.1)
    ax.set_ylabel(label)


def _line_panel(ax, mean, std, axis: str, name: str, label: str, boundaries) -> None:
    """Mean ± std over seeds along one numeric axis; with linear-Gaussian ``boundaries``
    (β = λ_i/σ²) drawn as dotted lines and the analytic active-unit count."""
    x = mean[axis].values
    ax.errorbar(x, mean.values, yerr=std.values, marker="o", capsize=3)
    ax.set_xlabel(axis)
    ax.set_ylabel(label)
    if boundary.is_log_axis(x):
        ax.set_xscale("log")
        layout.thin_ticks(
            ax, "x", layout.AxisLayout.of(x)
        )  # its default labels overprint in 1–2 decades
    if name == "active_units" and boundaries:
        betas = np.geomspace(x.min(), x.max(), 200)
        counts = [sum(b < c for c in boundaries) for b in betas]
        ax.plot(betas, counts, "k--", label="analytic (λ_i > βσ²)")
        ax.legend(fontsize=8)
    for b in boundaries:
        ax.axvline(b, color="grey", lw=0.8, ls=":")


def _reference_boundaries(results: xr.Dataset, axes: list[str]) -> list[float]:
    """The family's known boundaries along the first swept axis (VAE, linear-Gaussian
    data over β: λ_i/σ²), drawn as dashed lines; none when it knows none there."""
    family = families.of(results)
    if not axes or not family.reference_boundaries:
        return []
    reference = families.resolve(family.reference_boundaries)(results, axes[0])
    if reference is None:
        return []
    return [float(v) for v in np.asarray(reference[1].values, float) if np.isfinite(v)]


def _found_boundary(results: xr.Dataset, axes: list[str]) -> xr.Dataset | None:
    """The boundary of the family's main order parameter (VAE: I(x; z) falling to
    ``collapse_kl_eps``) along the first swept axis, when it is numeric with 2 values or
    more; None otherwise."""
    if not axes or axes[0] not in boundary.numeric_axes(results):
        return None
    return boundary.estimate(results, axes[0])


def phase_diagram(results: xr.Dataset, path: Path) -> Path:
    """The family's panels (`family.Family.panels`; VAE: KL, active units, I(x; z) and
    collapse state) over the swept axes, mean ± std over seeds, with the estimated
    boundary along the first axis (`vaecollapse.boundary`) and its interval band (named in the
    title over heatmaps, where a legend would hide cells). The layout follows the grid: a
    heatmap
    over the first two swept axes, one row of panels (a facet) per combination of any
    further axes — never averaged over them; bars for named variants; a line along one
    numeric axis (with the closed-form boundaries λ_i/σ² for linear-Gaussian data over
    β); one bar when nothing but seeds is swept."""
    axes = swept_axes(results)
    panels = families.of(results).panels
    facets = _facets(results, axes) if len(axes) >= 2 else [("", {})]
    fig, grid = plt.subplots(
        len(facets),
        len(panels),
        figsize=(4.6 * len(panels), 3.8 * len(facets)),
        squeeze=False,
    )
    boundaries = _reference_boundaries(results, axes)
    found = _found_boundary(results, axes)
    limits = {name: (None, None) for name, _ in panels}  # one colour scale across facets
    if len(facets) > 1:
        for name, _ in panels:
            every = seed_stats(results[name].astype(float))[0].values
            limits[name] = (np.nanmin(every), np.nanmax(every))
    for row, (facet, selection) in zip(grid, facets, strict=True):
        for ax, (name, label) in zip(row, panels, strict=True):
            mean, std = seed_stats(results[name].astype(float).sel(selection))
            if len(axes) >= 2:
                _heatmap_panel(fig, ax, mean, std, axes[0], axes[1], label, limits[name])
                here = None if found is None else found.sel(selection)
                _boundary_overlay(ax, here, axes[1], results[axes[0]].values)
                for b in boundaries:
                    ax.axvline(b, color="white", lw=1, ls="--")
            elif len(axes) == 1 and mean[axes[0]].dtype.kind in "US":
                _bar_panel(ax, mean, std, axes[0], name, label)
            elif len(axes) == 1:
                _line_panel(ax, mean, std, axes[0], name, label, boundaries)
                _boundary_overlay(ax, found, None)
            else:
                ax.bar([0], [float(mean)], yerr=[float(std)])
                ax.set_ylabel(label)
            ax.set_title(f"{label}\n{facet}" if facet else label, fontsize=9)
    what = "collapse phase diagram (mean ± std over seeds)"
    if len(axes) >= 2 and found is not None and np.isfinite(found.estimate.values).any():
        what += (
            f"; red: boundary along {axes[0]} and its interval over seeds"  # a legend hides cells
        )
    if grid[0][0].get_legend_handles_labels()[0]:
        grid[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(title(results, what))
    return save(fig, path, tight=True)


def colour_axis(results: xr.Dataset) -> str | None:
    axes = swept_axes(results)
    return axes[0] if axes else None


MAX_RUN_LINES = 30  # individual runs drawn on a curve figure; more become bands
BAND = (0.1, 0.5, 0.9)  # quantiles of a colour group's band: 10 %, median, 90 %
MAX_BAR_GROUPS = 8


class Colours:
    """Runs coloured by the first swept axis (`colour_axis`): numeric values through a
    (log, where they span a decade) scale, names one colour each. ``values`` and
    ``rgba`` are per run, in the order of `run_values`."""

    def __init__(self, results: xr.Dataset):
        self.axis = colour_axis(results)
        if self.axis is None:
            self.values = np.zeros(max(run_grid(results).size, 1))
            self.rgba = np.tile(matplotlib.colors.to_rgba("tab:blue"), (len(self.values), 1))
            self.mappable = None
            return
        names = results[self.axis].values
        self.numeric = names.dtype.kind in "fiu"
        coords = names.astype(float) if self.numeric else np.arange(len(names), dtype=float)
        scale = (
            matplotlib.colors.LogNorm
            if self.numeric and boundary.is_log_axis(names)
            else matplotlib.colors.Normalize
        )
        top = coords.max() if len(coords) > 1 else coords.min() + 1
        self.mappable = matplotlib.cm.ScalarMappable(
            norm=scale(vmin=coords.min(), vmax=top), cmap=plt.get_cmap("plasma")
        )
        self.names, self.coords = names, coords
        per_run = xr.broadcast(results[self.axis], run_grid(results))[0]
        index = {v: c for v, c in zip(names.tolist(), coords, strict=True)}
        self.values = np.array([index[v] for v in run_values(per_run).tolist()])
        self.rgba = self.mappable.to_rgba(self.values)

    def colorbar(self, fig, ax) -> None:
        if self.mappable is None:
            return
        bar = fig.colorbar(self.mappable, ax=ax, label=self.axis)
        if not self.numeric:
            bar.set_ticks(self.coords, labels=[str(v) for v in self.names])


def run_grid(results: xr.Dataset) -> xr.DataArray:
    """Zeros over the grid axes (`results.run_dims`): one element per run."""
    dims = run_dims(results)
    return xr.DataArray(
        np.zeros([results.sizes[d] for d in dims]),
        coords={d: results[d].values for d in dims},
        dims=dims,
    )


def iter_runs(results: xr.Dataset, limit: int | None = None):
    """Yield (label, per-run Dataset) for the first ``limit`` grid points (all: None)."""
    grid_dims = run_dims(results)
    stacked = results.stack(run=grid_dims) if grid_dims else results.expand_dims(run=[0])
    for i in range(min(stacked.sizes["run"], limit or stacked.sizes["run"])):
        run = stacked.isel(run=i)
        label = ", ".join(f"{d}={fmt_value(run[d].values)}" for d in grid_dims)
        yield label, run


def run_values(da: xr.DataArray) -> np.ndarray:
    """``da`` with its grid axes (the leading ones) flattened into one
    leading run axis, C order: ``[runs, ...]``."""
    grid_dims = [d for d in da.dims if d not in _INNER_DIMS]
    inner = [d for d in da.dims if d in _INNER_DIMS]
    values = da.transpose(*grid_dims, *inner).values
    return values.reshape(-1, *values.shape[len(grid_dims) :])


_INNER_DIMS = {"step", "latent", "rank", "unit", "mu_bin", "sigma_bin", "example", "frame", "pixel"}


def curves(ax, x: np.ndarray, rows: np.ndarray, colours: Colours, step: bool = False):
    """Every run as a line when there are at most `MAX_RUN_LINES`; else, per colour
    group, its median and 10–90 % band over runs, with `MAX_RUN_LINES` runs (evenly
    picked) drawn thin. ``rows`` is ``[runs, len(x)]``. Cost ∝ groups, not runs."""
    drawstyle = "steps-mid" if step else "default"
    runs = len(rows)
    shown = np.arange(runs) if runs <= MAX_RUN_LINES else np.linspace(0, runs - 1, MAX_RUN_LINES)
    shown = shown.astype(int)
    lines = matplotlib.collections.LineCollection(
        [np.column_stack([x, rows[i]]) for i in shown],
        colors=colours.rgba[shown],
        linewidths=1.0 if runs <= MAX_RUN_LINES else 0.5,
        alpha=0.8 if runs <= MAX_RUN_LINES else 0.35,
    )
    ax.add_collection(lines)
    ax.autoscale_view()
    if runs <= MAX_RUN_LINES:
        return
    for value in np.unique(colours.values):
        group = rows[colours.values == value]
        low, mid, high = np.nanquantile(group, BAND, axis=0)
        colour = colours.rgba[np.argmax(colours.values == value)]
        ax.plot(x, mid, color=colour, lw=1.8, drawstyle=drawstyle)
        ax.fill_between(x, low, high, color=colour, alpha=0.18, step="mid" if step else None)


def curves_note(results: xr.Dataset) -> str:
    runs = results.kl.size
    if runs <= MAX_RUN_LINES:
        return ""
    return f" ({runs} runs: median and 10–90 % per colour, {MAX_RUN_LINES} runs drawn)"


def first_seed(results: xr.Dataset) -> xr.Dataset:
    """The runs of the first seed (all runs when seeds are not swept)."""
    return results.isel(seed=0) if "seed" in results.dims else results
