"""Figures of a sweep's results (`vaecollapse.results`): what a person looks at first.

Each function draws one figure from the results Dataset into a PNG and returns its
path: `phase_diagram` (KL, active units, MI and collapse state over the swept axes,
mean over seeds with the seed spread), `kl_curves` (KL over training, the "falls to ~0
early and stays" symptom), `kl_per_dim_bars`, `rate_distortion` (Alemi et al. 2018),
`probe_curves`, `encoder_histograms` (μ and σ across inputs), `picture_grid`
(reconstructions against the data average, interpolations, prior samples) and, for
``linear_gaussian`` data, `analytic_comparison` with the closed form (Lucas et al.
2019). `vaecollapse.report` draws them all and writes ``summary.md``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.collections
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from vaecollapse import analytic, boundary
from vaecollapse.results import swept_axes

PANELS = (
    ("kl", "KL (nats)"),
    ("active_units", "active units"),
    ("mutual_info", "I(x; z) (nats)"),
    ("collapse_state", "collapse state (0 healthy, 2 full)"),
)


def fmt_value(value) -> str:
    """A coordinate value as a tick or legend label: numbers compactly, names as is."""
    value = np.asarray(value).item()
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _seed_stats(da: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    if "seed" in da.dims:
        return da.mean("seed"), da.std("seed")
    return da, xr.zeros_like(da)


def _save(fig, path: Path, tight: bool = False, dpi: int = 110, **savefig) -> Path:
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi, **savefig)
    plt.close(fig)
    return path


def _title(results: xr.Dataset, what: str) -> str:
    return f"{results.attrs.get('experiment', '')}: {what}"


def analytic_boundaries(results: xr.Dataset) -> list[float]:
    """β values where a latent dim collapses (λ_i/σ², largest first), for linear-Gaussian
    data: λ_i of the training data's covariance where the results hold them, else the
    nominal spectrum of the config."""
    config = json.loads(results.attrs["config"])
    if config["data"]["name"] != "linear_gaussian":
        return []
    sigma2 = config["model"]["sigma2"]
    latent = config["model"]["latent_dim"]
    spectrum = results.attrs.get("train_eigenvalues", config["data"]["eigenvalues"])
    eig = sorted(np.atleast_1d(spectrum).tolist(), reverse=True)[:latent]
    return [e / sigma2 for e in eig]


def analytic_kl(results: xr.Dataset, betas=None) -> xr.DataArray | None:
    """Optimal KL per latent dim (`analytic.linear_vae_kl_per_dim`, largest first) at each
    grid point's β, aligned with ``kl_per_dim``; None unless the data are linear-Gaussian
    and β is swept. Learned dims are compared after sorting (the optimum is unique only up
    to a permutation of the dims). ``betas``: other β values to evaluate it at."""
    config = json.loads(results.attrs["config"])
    if config["data"]["name"] != "linear_gaussian" or "beta" not in results.dims:
        return None
    latent = results.sizes["latent"]
    eig = np.asarray(config["data"]["eigenvalues"])

    def optimal(beta):
        kl = analytic.linear_vae_kl_per_dim(eig, config["model"]["sigma2"], float(beta))
        return np.sort(np.asarray(kl))[::-1][:latent]

    betas = results.beta.values if betas is None else np.asarray(betas)
    values = np.stack([optimal(b) for b in betas])
    return xr.DataArray(values, coords={"beta": betas, "latent": results.latent.values})


def learned_kl_sorted(results: xr.Dataset) -> xr.DataArray:
    """``kl_per_dim`` sorted largest first along ``latent`` for every run."""
    values = -np.sort(-results.kl_per_dim.values, axis=-1)
    return results.kl_per_dim.copy(data=values)


def analytic_comparison(results: xr.Dataset, path: Path) -> Path:
    """Learned KL per dim (every run) against the linear VAE's closed form, over β."""
    optimal = analytic_kl(results)
    betas = results.beta.values
    curve = analytic_kl(results, np.geomspace(betas.min() / 2, betas.max() * 2, 200))
    learned = learned_kl_sorted(results)
    fig, ax = plt.subplots(figsize=(6, 4))
    for j in range(results.sizes["latent"]):
        colour = f"C{j}"
        ax.plot(curve.beta, curve.isel(latent=j), "-", color=colour, label=f"dim {j} optimum")
        runs = learned.isel(latent=j)
        others = [d for d in runs.dims if d != "beta"]
        flat = runs.transpose("beta", *others).values.reshape(runs.sizes["beta"], -1)
        betas = np.repeat(runs.beta.values[:, None], flat.shape[1], axis=1)
        ax.plot(betas.ravel(), flat.ravel(), "o", color=colour, ms=3, alpha=0.6, rasterized=True)
    ax.set_xscale("log")
    ax.set_xlabel("β")
    ax.set_ylabel("KL per dim (nats), sorted")
    deviation = float(np.nanmax(np.abs(learned - optimal)))
    ax.set_title(f"learned (dots) vs closed form (lines); max |Δ| = {deviation:.3f} nats")
    ax.legend(fontsize=7)
    return _save(fig, path, tight=True)


MAX_ANNOTATED_CELLS = 64  # per-cell numbers only on panels with at most this many cells
MAX_TICKS = 8
MAX_FACETS = 8


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

    def position(self, values) -> np.ndarray:
        """Plot coordinates of axis values (between grid values: interpolated)."""
        if self.at_values:
            return np.asarray(values, float)
        grid = np.sort(self.values.astype(float))
        return np.interp(values, grid, np.arange(len(grid), dtype=float))


def _thin_ticks(ax, which: str, layout: _AxisLayout) -> None:
    """At most `MAX_TICKS` labelled ticks at grid values (every k-th)."""
    values = layout.values
    numeric = values.dtype.kind in "fiu"
    keep = slice(None, None, max(1, int(np.ceil(len(values) / MAX_TICKS))))
    labels = [f"{v:.3g}" if numeric else str(v) for v in values[keep]]
    getattr(ax, f"set_{which}ticks")(layout.ticks[keep], labels)
    getattr(ax, f"{which}axis").set_minor_locator(matplotlib.ticker.NullLocator())


def _heatmap_panel(
    fig, ax, mean, std, x_axis: str, y_axis: str, label: str, limits=(None, None)
) -> None:
    """Mean over seeds over two swept axes (`_AxisLayout` places the cells), thinned tick
    labels, mean ± std written in each cell when the panel has at most
    `MAX_ANNOTATED_CELLS` cells; ``limits`` (vmin, vmax) share a colour scale across
    facets."""
    m = mean.transpose(y_axis, x_axis)
    s = std.transpose(y_axis, x_axis)
    x, y = _AxisLayout.of(m[x_axis].values), _AxisLayout.of(m[y_axis].values)
    values = m.values[np.ix_(y.order, x.order)]
    vmin, vmax = limits
    mesh = ax.pcolormesh(
        x.edges, y.edges, values, cmap="viridis", shading="flat", vmin=vmin, vmax=vmax
    )
    if x.log:
        ax.set_xscale("log")
    if y.log:
        ax.set_yscale("log")
    _thin_ticks(ax, "x", x)
    _thin_ticks(ax, "y", y)
    ax.set_xlabel(x_axis)
    ax.set_ylabel(y_axis)
    if m.size <= MAX_ANNOTATED_CELLS:
        for (i, j), value in np.ndenumerate(m.values):
            ax.text(
                x.ticks[j],
                y.ticks[i],
                f"{value:.2g}\n±{s.values[i, j]:.1g}",
                ha="center",
                va="center",
                fontsize=7,
                color="k" if mesh.norm(value) > 0.6 else "w",  # readable on viridis
            )
    fig.colorbar(mesh, ax=ax, label=label)


def _boundary_overlay(ax, found: xr.Dataset | None, y_axis: str | None, x_values=None) -> None:
    """The estimated boundary (median over seeds) and its 90 % band: against the other
    axis on a heatmap (placed as `_heatmap_panel` places cells; ``x_values`` the grid
    values of the boundary's axis), as a vertical line and band on a line plot."""
    if found is None:
        return
    style = dict(color="red", lw=1.5, label="boundary (90 % band)")
    if y_axis is None:
        if str(found.status.values) == boundary.BRACKETED:
            ax.axvline(float(found.estimate), **style)
            ax.axvspan(float(found.low), float(found.high), color="red", alpha=0.15)
        return
    x = _AxisLayout.of(np.asarray(x_values))
    y = _AxisLayout.of(found[y_axis].values).ticks
    estimate = x.position(found.estimate.values)
    low, high = x.position(found.low.values), x.position(found.high.values)
    ax.errorbar(
        estimate, y, xerr=[estimate - low, high - estimate], fmt="o-", ms=3, capsize=3, **style
    )
    if len(y) > 1:
        ax.fill_betweenx(y, low, high, color="red", alpha=0.2)


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
    if name == "active_units" and boundaries:
        betas = np.geomspace(x.min(), x.max(), 200)
        counts = [sum(b < c for c in boundaries) for b in betas]
        ax.plot(betas, counts, "k--", label="analytic (λ_i > βσ²)")
        ax.legend(fontsize=8)
    for b in boundaries:
        ax.axvline(b, color="grey", lw=0.8, ls=":")


def _found_boundary(results: xr.Dataset, axes: list[str]) -> xr.Dataset | None:
    """The whole-latent boundary (I(x; z) falling to ``collapse_kl_eps``) along the first
    swept axis, when it is numeric with 2 values or more; None otherwise."""
    if not axes or axes[0] not in boundary.numeric_axes(results):
        return None
    return boundary.estimate(results, axes[0], "mutual_info")


def phase_diagram(results: xr.Dataset, path: Path) -> Path:
    """KL, active units, I(x; z) and collapse state over the swept axes (`PANELS`),
    mean ± std over seeds, with the estimated boundary along the first axis
    (`vaecollapse.boundary`) and its 90 % band. The layout follows the grid: a heatmap
    over the first two swept axes, one row of panels (a facet) per combination of any
    further axes — never averaged over them; bars for named variants; a line along one
    numeric axis (with the closed-form boundaries λ_i/σ² for linear-Gaussian data over
    β); one bar when nothing but seeds is swept."""
    axes = swept_axes(results)
    facets = _facets(results, axes) if len(axes) >= 2 else [("", {})]
    fig, grid = plt.subplots(
        len(facets),
        len(PANELS),
        figsize=(4.6 * len(PANELS), 3.8 * len(facets)),
        squeeze=False,
    )
    boundaries = analytic_boundaries(results) if axes[:1] == ["beta"] else []
    found = _found_boundary(results, axes)
    limits = {name: (None, None) for name, _ in PANELS}  # one colour scale across facets
    if len(facets) > 1:
        for name, _ in PANELS:
            every = _seed_stats(results[name].astype(float))[0].values
            limits[name] = (np.nanmin(every), np.nanmax(every))
    for row, (facet, selection) in zip(grid, facets, strict=True):
        for ax, (name, label) in zip(row, PANELS, strict=True):
            mean, std = _seed_stats(results[name].astype(float).sel(selection))
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
    if grid[0][0].get_legend_handles_labels()[0]:
        grid[0][0].legend(fontsize=7, loc="best")
    fig.suptitle(_title(results, "collapse phase diagram (mean ± std over seeds)"))
    return _save(fig, path, tight=True)


def _colour_axis(results: xr.Dataset) -> str | None:
    axes = swept_axes(results)
    return axes[0] if axes else None


MAX_RUN_LINES = 30  # individual runs drawn on a curve figure; more become bands
BAND = (0.1, 0.5, 0.9)  # quantiles of a colour group's band: 10 %, median, 90 %
MAX_BAR_GROUPS = 8


class _Colours:
    """Runs coloured by the first swept axis (`_colour_axis`): numeric values through a
    (log, where they span a decade) scale, names one colour each. ``values`` and
    ``rgba`` are per run, in the order of `run_values`."""

    def __init__(self, results: xr.Dataset):
        self.axis = _colour_axis(results)
        if self.axis is None:
            self.values = np.zeros(max(results.kl.size, 1))
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
        per_run = xr.broadcast(results[self.axis], results.kl)[0]
        index = {v: c for v, c in zip(names.tolist(), coords, strict=True)}
        self.values = np.array([index[v] for v in run_values(per_run).tolist()])
        self.rgba = self.mappable.to_rgba(self.values)

    def colorbar(self, fig, ax) -> None:
        if self.mappable is None:
            return
        bar = fig.colorbar(self.mappable, ax=ax, label=self.axis)
        if not self.numeric:
            bar.set_ticks(self.coords, labels=[str(v) for v in self.names])


def iter_runs(results: xr.Dataset, limit: int | None = None):
    """Yield (label, per-run Dataset) for the first ``limit`` grid points (all: None)."""
    grid_dims = list(results.kl.dims)
    stacked = results.stack(run=grid_dims) if grid_dims else results.expand_dims(run=[0])
    for i in range(min(stacked.sizes["run"], limit or stacked.sizes["run"])):
        run = stacked.isel(run=i)
        label = ", ".join(f"{d}={fmt_value(run[d].values)}" for d in grid_dims)
        yield label, run


def run_values(da: xr.DataArray) -> np.ndarray:
    """``da`` with its grid axes (those of ``kl``: the leading ones) flattened into one
    leading run axis, C order: ``[runs, ...]``."""
    grid_dims = [d for d in da.dims if d not in _INNER_DIMS]
    inner = [d for d in da.dims if d in _INNER_DIMS]
    values = da.transpose(*grid_dims, *inner).values
    return values.reshape(-1, *values.shape[len(grid_dims) :])


_INNER_DIMS = {"step", "latent", "mu_bin", "sigma_bin", "example", "frame", "pixel"}


def _curves(ax, x: np.ndarray, rows: np.ndarray, colours: _Colours, step: bool = False):
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


def _curves_note(results: xr.Dataset) -> str:
    runs = results.kl.size
    if runs <= MAX_RUN_LINES:
        return ""
    return f" ({runs} runs: median and 10–90 % per colour, {MAX_RUN_LINES} runs drawn)"


def kl_curves(results: xr.Dataset, path: Path) -> Path:
    """KL over training per run (or per colour group, `_curves`), with the collapse ε."""
    colours = _Colours(results)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    _curves(ax, results.step.values, run_values(results.kl_trace), colours)
    eps = json.loads(results.attrs["config"])["collapse_kl_eps"]
    ax.axhline(eps, color="k", ls=":", lw=1, label=f"collapse ε = {eps:g}")
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("training step")
    ax.set_ylabel("KL(q(z|x) ‖ p(z)) (nats, train batches)")
    colours.colorbar(fig, ax)
    ax.set_title(_title(results, "KL over training" + _curves_note(results)), fontsize=9)
    return _save(fig, path, tight=True)


def kl_per_dim_bars(results: xr.Dataset, path: Path) -> Path:
    """Mean ± std over seeds of the KL per latent dim (sorted), one bar group per value
    of the first swept axis (at most `MAX_BAR_GROUPS`, evenly picked), others averaged."""
    axis = _colour_axis(results)
    mean, std = _seed_stats(results.kl_per_dim)
    extra = [d for d in mean.dims if d not in (axis, "latent")]
    mean, std = mean.mean(extra), std.mean(extra)
    points = mean[axis].values if axis else [None]
    if len(points) > MAX_BAR_GROUPS:
        points = points[np.linspace(0, len(points) - 1, MAX_BAR_GROUPS).astype(int)]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(points)
    latent = results.latent.values
    for k, value in enumerate(points):
        m = mean.sel({axis: value}) if axis else mean
        s = std.sel({axis: value}) if axis else std
        order = np.argsort(-np.nan_to_num(m.values))
        ax.bar(
            latent + k * width,
            m.values[order],
            width,
            yerr=s.values[order],
            label=f"{axis}={fmt_value(value)}" if axis else None,
        )
    ax.set_xticks(latent + 0.4 - width / 2, [str(j) for j in latent])
    ax.set_xlabel("latent dim (sorted by KL within each setting)")
    ax.set_ylabel("KL per dim (nats)")
    if axis:
        ax.legend(fontsize=8)
    ax.set_title(_title(results, "per-dimension KL (inactive units sit at 0)"))
    return _save(fig, path, tight=True)


def rate_distortion(results: xr.Dataset, path: Path) -> Path:
    """KL against reconstruction NLL, one point per run (one rasterised scatter, small
    markers past `MAX_RUN_LINES` runs), with the best z-independent decoder."""
    colours = _Colours(results)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    many = results.kl.size > MAX_RUN_LINES
    ax.scatter(
        run_values(results.kl),
        run_values(results.recon),
        c=colours.rgba,
        s=6 if many else 30,
        alpha=0.5 if many else 1.0,
        rasterized=many,
    )
    colours.colorbar(fig, ax)
    ax.axhline(
        results.attrs["marginal_nll"], color="k", ls="--", lw=1, label="best z-independent decoder"
    )
    ax.set_xlabel("rate: KL (nats)")
    ax.set_ylabel("distortion: reconstruction NLL (nats)")
    ax.legend(fontsize=8)
    ax.set_title(_title(results, f"rate–distortion plane ({results.kl.size} runs)"))
    return _save(fig, path, tight=True)


def probe_curves(results: xr.Dataset, path: Path) -> Path:
    """Active units and I(x; z) over training (on a fixed training subsample)."""
    colours = _Colours(results)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    step = results.step.values
    _curves(axes[0], step, run_values(results.active_units_trace).astype(float), colours)
    _curves(axes[1], step, run_values(results.mutual_info_trace), colours)
    axes[0].set_ylabel("active units")
    axes[1].set_ylabel("I(x; z) (nats)")
    if "mi_bound" in results.attrs:
        bound = float(results.attrs["mi_bound"])
        axes[1].axhline(bound, color="k", ls="--", lw=1, label=f"I(x; topic) = {bound:.2f}")
        axes[1].legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("training step")
    colours.colorbar(fig, axes)
    what = "active units and mutual information over training"
    fig.suptitle(_title(results, what + _curves_note(results)))
    return _save(fig, path)


def encoder_histograms(results: xr.Dataset, path: Path) -> Path:
    """μ_j(x) and σ_j(x) across eval inputs and dims: the "μ ≈ 0, σ ≈ 1 for every x"
    symptom shows as a spike at the prior's values."""
    colours = _Colours(results)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    _curves(axes[0], results.mu_bin.values, run_values(results.mu_hist), colours, step=True)
    _curves(axes[1], results.sigma_bin.values, run_values(results.sigma_hist), colours, step=True)
    for ax, prior, name in zip(
        axes, (0.0, 1.0), ("posterior mean μ", "posterior std σ"), strict=True
    ):
        ax.axvline(prior, color="k", ls=":", lw=1, label=f"prior: {name.split()[-1]} = {prior:g}")
        ax.set_xlabel(f"{name} (per input and latent dim)")
        ax.set_ylabel("fraction of (input, dim) pairs")
        ax.legend(fontsize=8)
    colours.colorbar(fig, axes)
    fig.suptitle(_title(results, "encoder outputs across inputs" + _curves_note(results)))
    return _save(fig, path)


def first_seed(results: xr.Dataset) -> xr.Dataset:
    """The runs of the first seed (all runs when seeds are not swept)."""
    return results.isel(seed=0) if "seed" in results.dims else results


def picture_grid(results: xr.Dataset, variable: str, what: str, path: Path) -> Path:
    """One row of decoded images per grid point (first seed, at most 16), the data on
    top, laid out as one mosaic (one image drawn, whatever the number of pictures)."""
    height, width = tuple(results.attrs["data_shape"])[:2]
    rows = [("data", results.eval_images.values)]
    if variable == "recon_examples":  # what a decoder that ignores z outputs
        rows.append(
            ("data average", np.repeat(results.mean_image.values[None], len(rows[0][1]), 0))
        )
    rows += [(label, run[variable].values) for label, run in iter_runs(first_seed(results), 16)]
    cols, gap = rows[0][1].shape[0], 1
    mosaic = np.full((len(rows) * (height + gap), cols * (width + gap)), np.nan)
    for r, (_, images) in enumerate(rows):
        for c, image in enumerate(images):
            top, left = r * (height + gap), c * (width + gap)
            mosaic[top : top + height, left : left + width] = image.reshape(height, width)
    fig, ax = plt.subplots(figsize=(1.1 * cols + 2.2, 1.1 * len(rows)))
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white")
    ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    centres = np.arange(len(rows)) * (height + gap) + (height - 1) / 2
    ax.set_yticks(centres, [label for label, _ in rows], fontsize=7)
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.suptitle(_title(results, what))
    return _save(fig, path, dpi=90, bbox_inches="tight")
