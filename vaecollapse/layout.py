"""Text on the engine's figures that stays legible at any grid size: tick labels thinned
to the room the axis has (`FittingTicks`, `thin_ticks`, computed in pixels from the
figure's own renderer by `AxisLayout`) and the numbers in a heatmap's cells, drawn only
where they fit (`CellNumber`). `vaecollapse.plots` draws with them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.backends.backend_agg
import matplotlib.text
import matplotlib.ticker
import numpy as np

from vaecollapse import boundary

MAX_ANNOTATED_CELLS = 64  # per-cell numbers only on panels with at most this many cells
MAX_TICKS = 8  # labelled ticks no closer than 1/MAX_TICKS of the axis
MAX_FACETS = 8
TEXT_PAD_PX = 3  # room kept clear around a tick label or a cell's number, in pixels
MAX_MARKED_ROWS = 20  # boundary intervals capped row by row on heatmaps up to this many rows


@dataclass(frozen=True)
class AxisLayout:
    """Where a heatmap axis puts its grid values: at the values themselves (log-scaled
    when they span a decade, or evenly spaced), else — names, or numbers spaced unevenly
    such as free bits (0, 0.25, 1) — at 0, 1, … with equal cells."""

    values: np.ndarray
    at_values: bool
    log: bool

    @classmethod
    def of(cls, values: np.ndarray) -> AxisLayout:
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


def pixels(ax, which: str, values) -> np.ndarray:
    """Screen positions (pixels) of data values along the x or y axis of ``ax``."""
    points = np.ones((len(values), 2))  # 1: inside a log scale's domain as a linear one's
    points[:, int(which == "y")] = values
    return ax.transData.transform(points)[:, int(which == "y")]


class FittingTicks(matplotlib.ticker.Locator):
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
        at = pixels(ax, which, self.ticks)
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


def thin_ticks(ax, which: str, layout: AxisLayout) -> None:
    """Ticks at grid values, labelled, where they fit (`FittingTicks`); no minor ticks
    (the cells show the grid, and a tick per value costs on grids of thousands of runs)."""
    axis = getattr(ax, f"{which}axis")
    axis.set_major_locator(FittingTicks(layout.ticks, layout.labels))
    names = dict(zip(layout.ticks.tolist(), layout.labels, strict=True))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: names.get(v, "")))
    axis.set_minor_locator(matplotlib.ticker.NullLocator())


class CellNumber(matplotlib.text.Text):
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
