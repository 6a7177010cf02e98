"""Phase diagrams stay readable on any grid: no two drawn text labels overlap (tick
labels, per-cell numbers, axis labels, titles, colorbars, legend), and the boundary
overlay stays on the plot whatever `boundary.estimate` returns."""

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.text import Text

from vaecollapse import families, layout, plots

# experiments/image_phase.py with --config.quick=True (β 0.25, 1, 4 × context dropout 0,
# 0.5, 1) after `vaecollapse refine WORKDIR --points 4 --rounds 1`, which added β 0.63,
# 1.587, 1.7 and 2.891 (run by hand): cells of very unequal width.
REFINED_BETA = (0.25, 0.63, 1.0, 1.587, 1.7, 2.891, 4.0)
QUICK_CONTEXT = (0.0, 0.5, 1.0)


def _results(seeds: int = 2, **axes) -> xr.Dataset:
    """Results-shaped data over one or two named axes (β first) and ``seeds`` seeds,
    smooth with a little seed noise: KL and I(x; z) fall with β, fewer active units and
    more collapse past β ≈ 1.5 (later along a second axis)."""
    shape = [len(v) for v in axes.values()]
    beta = np.asarray(axes["beta"], float)[:, None]
    other = np.linspace(0.0, 1.0, shape[1])[None, :] if len(shape) > 1 else 0.0
    noise = 0.02 * np.random.default_rng(0).random([*shape, seeds])
    kl = 3.0 * np.maximum(0.0, np.log((1.5 + other) / beta)).reshape(shape)[..., None] + noise
    dims = [*axes, "seed"]
    data = {
        "kl": (dims, kl),
        "mutual_info": (dims, 0.8 * kl),
        "active_units": (dims, np.round(np.minimum(8.0, 4.0 * kl)).astype(int)),
        "collapse_state": (dims, np.digitize(-kl, [-1.0, -0.05]).astype(int)),
        "diverged": (dims, np.zeros(kl.shape, bool)),
    }
    config = json.dumps({"collapse_kl_eps": 0.05, "data": {"name": "digits"}})
    coords = {**{k: np.asarray(v) for k, v in axes.items()}, "seed": np.arange(seeds)}
    return xr.Dataset(data, coords=coords, attrs={"config": config, "experiment": "layout"})


GRIDS = {
    "refined_image_phase_quick": dict(beta=REFINED_BETA, context_dropout=QUICK_CONTEXT),
    "12x11": dict(beta=np.geomspace(0.05, 20.0, 12), context_dropout=np.linspace(0, 1, 11)),
    "30x30": dict(beta=np.geomspace(0.01, 100.0, 30), learning_rate=np.geomspace(1e-4, 1e-2, 30)),
    "refined_beta_only": dict(beta=REFINED_BETA),  # line plots, log β within two decades
}


@pytest.fixture
def drawn_text(monkeypatch):
    """(string, window extent, whether a cell's number) of every Text that is actually
    drawn, as it is drawn (savefig's dpi); `Text.draw` draws nothing for an invisible or
    empty text. A text drawn again (savefig may draw once to lay out) counts once."""
    drawn = {}
    draw = Text.draw

    def record(self, renderer):
        if self.get_visible() and self.get_text():
            box = self.get_window_extent(renderer)
            drawn[id(self)] = (self.get_text(), box, isinstance(self, layout.CellNumber))
        return draw(self, renderer)

    monkeypatch.setattr(Text, "draw", record)
    return drawn


def _overlaps(drawn) -> list[tuple[str, str]]:
    """Pairs of drawn texts whose extents overlap by more than half a pixel both ways."""
    boxes = np.array([[b.x0, b.y0, b.x1, b.y1] for _, b, _ in drawn])
    wide = np.minimum(boxes[:, None, 2], boxes[None, :, 2]) - np.maximum(
        boxes[:, None, 0], boxes[None, :, 0]
    )
    tall = np.minimum(boxes[:, None, 3], boxes[None, :, 3]) - np.maximum(
        boxes[:, None, 1], boxes[None, :, 1]
    )
    i, j = np.nonzero(np.triu((wide > 0.5) & (tall > 0.5), k=1))
    return [(drawn[a][0], drawn[b][0]) for a, b in zip(i, j, strict=True)]


@pytest.mark.parametrize("grid", GRIDS)
def test_phase_diagram_text_never_overlaps(grid, drawn_text, monkeypatch, tmp_path):
    figures, save = [], plots.save
    monkeypatch.setattr(
        plots, "save", lambda fig, *a, **k: save(figures.append(fig) or fig, *a, **k)
    )
    res = _results(**GRIDS[grid])
    plots.phase_diagram(res, tmp_path / f"{grid}.png")
    assert len(drawn_text) > 40  # titles, labels, ticks of 4 panels and 4 colorbars
    assert _overlaps(list(drawn_text.values())) == []
    for ax in figures[0].axes[: len(families.get("vae").panels)]:
        ticks = [drawn_text.get(id(tick.label1)) for tick in ax.xaxis.majorTicks]
        shown = [text for text, _, _ in filter(None, ticks)]
        assert shown[0] == f"{res.beta.values[0]:.3g}"  # the first β is always labelled
        assert not {"1.59", "1.7"} <= set(shown)  # neighbours too close for two labels
    if grid == "refined_image_phase_quick":
        cells = [text for text, _, cell in drawn_text.values() if cell]
        assert 0 < len(cells) < 4 * res.kl.isel(seed=0).size  # numbers where they fit


def _found(status, estimate, low, high) -> xr.Dataset:
    """A `boundary.estimate`-shaped Dataset along β, one row per context dropout."""
    dims = ["context_dropout"]
    return xr.Dataset(
        {
            "estimate": (dims, np.asarray(estimate, float)),
            "low": (dims, np.asarray(low, float)),
            "high": (dims, np.asarray(high, float)),
            "status": (dims, np.asarray(status)),
        },
        coords={"context_dropout": np.linspace(0, 1, len(status))},
    )


EVERY_STATUS = dict(
    status=["bracketed", "extrapolated", "extrapolated", "beyond_high", "beyond_low", "no_data"],
    estimate=[1.2, 0.27, 5.5, np.nan, np.nan, np.nan],
    low=[1.0, -np.inf, 2.891, 4.0, -np.inf, np.nan],
    high=[1.587, 1.0, np.inf, np.inf, 0.25, np.nan],
)


def _x_drawn(ax) -> np.ndarray:
    """x of every finite vertex the overlay drew (lines, markers, segments, bands)."""
    xs = [line.get_xdata() for line in ax.lines]
    xs += [p.vertices[:, 0] for c in ax.collections[1:] for p in c.get_paths()]  # no mesh
    xs += [[p.get_x(), p.get_x() + p.get_width()] for p in ax.patches]  # axvspan
    xs = np.concatenate([np.asarray(x, float) for x in xs])
    return xs[np.isfinite(xs)]


def test_boundary_overlay_keeps_open_and_extrapolated_ends_on_the_heatmap():
    res = _results(beta=REFINED_BETA, context_dropout=np.linspace(0, 1, 6))
    mean, std = plots.seed_stats(res.kl)
    fig, ax = plt.subplots()
    plots._heatmap_panel(fig, ax, mean, std, "beta", "context_dropout", "KL")
    plots._boundary_overlay(ax, _found(**EVERY_STATUS), "context_dropout", res.beta.values)
    fig.canvas.draw()
    left, right = ax.get_xlim()
    x = _x_drawn(ax)
    assert x.size and x.min() >= left * (1 - 1e-9) and x.max() <= right * (1 + 1e-9)
    estimates = ax.lines[0].get_xdata()
    assert np.isfinite(estimates[:3]).all() and np.isnan(estimates[3:]).all()
    assert estimates[2] == pytest.approx(right)  # extrapolated past the mesh: at its edge
    plt.close(fig)


@pytest.mark.parametrize("row", range(6))
def test_boundary_overlay_on_a_line_plot_for_every_status(row):
    res = _results(beta=REFINED_BETA)
    mean, std = plots.seed_stats(res.kl)
    found = _found(**EVERY_STATUS).isel(context_dropout=row)
    fig, ax = plt.subplots()
    plots._line_panel(ax, mean, std, "beta", "kl", "KL", [])
    before = len(ax.lines)
    plots._boundary_overlay(ax, found, None)
    fig.canvas.draw()
    left, right = ax.get_xlim()
    x = _x_drawn(ax)
    assert x.min() >= left * (1 - 1e-9) and x.max() <= right * (1 + 1e-9)
    assert (len(ax.lines) > before) == (row < 3)  # a boundary line only where estimated
    plt.close(fig)
