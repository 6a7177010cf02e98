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

import functools
import itertools
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.backends.backend_agg
import matplotlib.collections
import matplotlib.patheffects
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from vaecollapse import boundary, families
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


MAX_ANNOTATED_CELLS = 64  # per-cell numbers only on panels with at most this many cells
MAX_TICKS = 8  # labelled ticks no closer than 1/MAX_TICKS of the axis
MAX_FACETS = 8
TEXT_PAD_PX = 3  # room kept clear around a tick label or a cell's number, in pixels
MAX_MARKED_ROWS = 20  # boundary intervals capped row by row on heatmaps up to this many rows


@dataclass(frozen=True)
class _AxisLayout:
    """Where a heatmap axis puts its grid values: at the values themselves (log-scaled
    when they span a decade, or evenly spaced), else — names, or numbers spaced unevenly
    such as free bits (0, 0.25, 1) — at 0, 1, … with equal cells."""

    values: np.ndarray
    at_values: bool
    log: bool

    @classmethod
    def of(cls, values: np.ndarray) -> _AxisLayout:
        if values.dtype.kind not in "fiu" or len(values) < 2:
            return cls(values, False, False)
        if boundary.is_log_axis(values):
            return cls(values, True, True)
        steps = np.diff(np.sort(values.astype(float)))
        return cls(values, bool(np.allclose(steps, steps[0], rtol=0.05)), False)

    @property
    def ticks(self) -> np.ndarray:
        """Plot position of each grid value, in the given order: the value, or its rank
        (names: their index)."""
        if self.at_values:
            return self.values.astype(float)
        if self.values.dtype.kind in "fiu":
            return np.argsort(np.argsort(self.values)).astype(float)
        return np.arange(len(self.values), dtype=float)

    @property
    def edges(self) -> np.ndarray:
        """Cell edges: midpoints between grid values (geometric on a log axis)."""
        t = np.log(self.ticks) if self.log else self.ticks
        order = np.argsort(t)
        t = t[order]
        inner = (t[1:] + t[:-1]) / 2 if len(t) > 1 else np.array([])
        first = 2 * t[0] - inner[0] if len(t) > 1 else t[0] - 0.5
        last = 2 * t[-1] - inner[-1] if len(t) > 1 else t[0] + 0.5
        mids = np.concatenate([[first], inner, [last]])
        return np.exp(mids) if self.log else mids

    @property
    def order(self) -> np.ndarray:
        return np.argsort(self.ticks)

    @property
    def centres(self) -> np.ndarray:
        """Middle of each cell as drawn, in sorted order (geometric on a log axis)."""
        e = self.edges
        return np.sqrt(e[1:] * e[:-1]) if self.log else (e[1:] + e[:-1]) / 2

    @property
    def labels(self) -> list[str]:
        """Tick label of each grid value, in the given order."""
        numeric = self.values.dtype.kind in "fiu"
        return [f"{v:.3g}" if numeric else str(v) for v in self.values]

    def position(self, values) -> np.ndarray:
        """Plot coordinates of axis values (between grid values: interpolated)."""
        if self.at_values:
            return np.asarray(values, float)
        grid = np.sort(self.values.astype(float))
        return np.interp(values, grid, np.arange(len(grid), dtype=float))


def _pixels(ax, which: str, values) -> np.ndarray:
    """Screen positions (pixels) of data values along the x or y axis of ``ax``."""
    points = np.ones((len(values), 2))  # 1: inside a log scale's domain as a linear one's
    points[:, int(which == "y")] = values
    return ax.transData.transform(points)[:, int(which == "y")]


class _FittingTicks(matplotlib.ticker.Locator):
    """Ticks at as many grid values as there is room to label where the axis is drawn
    (unequal cells, such as a refined grid's, crowd some labels and not others): the
    first value, the last where it clears the first, then, walking the axis, each value
    whose label, at its rendered size, clears its labelled neighbours' by `TEXT_PAD_PX`
    and sits at least 1/`MAX_TICKS` of the axis from them (a long axis reads as a scale,
    not a row of numbers). Chosen where the ticks are drawn, so after any layout; kept
    while the axes' size, limits and dpi stay the same (matplotlib asks for the ticks
    many times per draw)."""

    def __init__(self, ticks: np.ndarray, labels: list[str]):
        order = np.argsort(ticks)
        self.ticks = np.asarray(ticks, float)[order]
        self.labels = [labels[i] for i in order]
        self._chosen = (None, None)

    def __call__(self):
        ax, which = self.axis.axes, self.axis.axis_name
        figure = ax.get_figure(root=True)
        key = (ax.bbox.bounds, tuple(self.axis.get_view_interval()), figure.dpi)
        if self._chosen[0] != key:
            self._chosen = (key, self.ticks[self._choose(ax, which, figure)])
        return self._chosen[1]

    def _choose(self, ax, which: str, figure) -> list[int]:
        renderer = matplotlib.backends.backend_agg.RendererAgg(1, 1, figure.dpi)  # any format
        probe = matplotlib.text.Text(figure=figure)
        probe.update_from(self.axis.get_major_ticks(1)[0].label1)
        at = _pixels(ax, which, self.ticks)
        spacing = (ax.bbox.width if which == "x" else ax.bbox.height) / MAX_TICKS

        @functools.cache
        def half(i: int) -> float:
            probe.set_text(self.labels[i])
            box = probe.get_window_extent(renderer)
            return (box.width if which == "x" else box.height) / 2

        def clear(i: int, j: int) -> bool:
            gap = abs(at[i] - at[j])
            return gap >= spacing and gap >= half(i) + half(j) + TEXT_PAD_PX

        order = np.argsort(at).tolist()  # screen order (an inverted axis runs backwards)
        keep, ends = order[:1], [i for i in order[-1:] if clear(i, order[0])]
        for i in order[1:-1]:
            if clear(i, keep[-1]) and all(clear(i, j) for j in ends):
                keep.append(i)
        return sorted(keep + ends)


def _thin_ticks(ax, which: str, layout: _AxisLayout) -> None:
    """Ticks at grid values, labelled, where they fit (`_FittingTicks`); no minor ticks
    (the cells show the grid, and a tick per value costs on grids of thousands of runs)."""
    axis = getattr(ax, f"{which}axis")
    axis.set_major_locator(_FittingTicks(layout.ticks, layout.labels))
    names = dict(zip(layout.ticks.tolist(), layout.labels, strict=True))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: names.get(v, "")))
    axis.set_minor_locator(matplotlib.ticker.NullLocator())


class _CellNumber(matplotlib.text.Text):
    """A heatmap cell's number, drawn only where it fits inside its cell (``cell``: x0,
    x1, y0, y1 in data coordinates) with `TEXT_PAD_PX` to spare, at the size the panel
    is drawn at: narrow cells of a refined grid stay blank rather than overprinted."""

    def __init__(self, cell: tuple[float, float, float, float], *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cell = cell

    def draw(self, renderer) -> None:
        x0, x1, y0, y1 = self.cell
        corners = self.axes.transData.transform([(x0, y0), (x1, y1)])
        low, high = corners.min(axis=0) + TEXT_PAD_PX, corners.max(axis=0) - TEXT_PAD_PX
        box = self.get_window_extent(renderer)
        if box.x0 >= low[0] and box.y0 >= low[1] and box.x1 <= high[0] and box.y1 <= high[1]:
            super().draw(renderer)


def _heatmap_panel(
    fig, ax, mean, std, x_axis: str, y_axis: str, label: str, limits=(None, None)
) -> None:
    """Mean over seeds over two swept axes (`_AxisLayout` places the cells), tick labels
    where they fit (`_thin_ticks`), mean ± std (just the mean where the std is 0, as with
    one seed) in each cell that has room for it (`_CellNumber`) when the panel has at
    most `MAX_ANNOTATED_CELLS` cells; ``limits`` (vmin, vmax) share a colour scale
    across facets."""
    m = mean.transpose(y_axis, x_axis)
    s = std.transpose(y_axis, x_axis)
    x, y = _AxisLayout.of(m[x_axis].values), _AxisLayout.of(m[y_axis].values)
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
    _thin_ticks(ax, "x", x)
    _thin_ticks(ax, "y", y)
    ax.set_xlabel(x_axis)
    ax.set_ylabel(y_axis)
    if m.size <= MAX_ANNOTATED_CELLS:
        xe, ye, xc, yc = x.edges, y.edges, x.centres, y.centres
        halo = matplotlib.patheffects.withStroke  # in the cell's colour: over the boundary
        for (i, j), value in np.ndenumerate(values):
            text = f"{value:.2g}" + (f"\n±{spread[i, j]:.1g}" if spread[i, j] else "")
            ax.add_artist(
                _CellNumber(
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
    `MAX_MARKED_ROWS` rows; beyond, where they would merge into a block, the band
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
    x = _AxisLayout.of(np.asarray(x_values))
    y = _AxisLayout.of(found[y_axis].values).ticks
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
    if len(y) > MAX_MARKED_ROWS:
        return
    ax.hlines(y, low, high, color="red", lw=1)
    for ends, edge, open_marker in ((low, left, "<"), (high, right, ">")):
        open_end = ends == edge
        ax.plot(ends[open_end], y[open_end], open_marker, color="red", ms=5)
        ax.plot(ends[shown & ~open_end], y[shown & ~open_end], "|", color="red", ms=6)


def _facets(results: xr.Dataset, axes: list[str]) -> list[tuple[str, dict]]:
    """(title, selection) per combination of the swept axes after the first two (at most
    `MAX_FACETS`); one untitled facet when there are none."""
    rest = axes[2:]
    if not rest:
        return [("", {})]
    stacked = [
        dict(zip(rest, combo, strict=True))
        for combo in itertools.product(*(results[d].values for d in rest))
    ]
    return [
        (", ".join(f"{d}={fmt_value(v)}" for d, v in sel.items()), sel)
        for sel in stacked[:MAX_FACETS]
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
        _thin_ticks(ax, "x", _AxisLayout.of(x))  # its default labels overprint in 1–2 decades
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
    """The family's panels (`families.Family.panels`; VAE: KL, active units, I(x; z) and
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
