"""The written report of a sweep: ``summary.md`` beside the figures of `plots`.

`report(workdir)` reads ``workdir/results.nc`` (`vaecollapse.results`), draws every
figure (`vaecollapse.plots`) and writes ``summary.md``: what each column means, one
row per run (`summary_markdown`), the phase boundary and how it moves at ½×, 1× and 2×
its threshold (`boundary_section`), mean ± std over seeds per grid point (`seed_table`),
for linear-Gaussian data the gap to the closed form (`analytic_note`), and for token
data the sequences as text (`text_samples`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from vaecollapse import boundary, families, plots, sensitivity
from vaecollapse import results as results_lib

MAX_SUMMARY_RUNS = 64  # per-run rows in summary.md; every run is in runs.csv
MAX_SEED_ROWS = 60  # grid points in the seed table; the nearest the transition first


def _grid_columns(da: xr.DataArray) -> dict[str, np.ndarray]:
    """The coordinates of every cell of ``da``'s dims, flattened in C order."""
    if not da.dims:
        return {}
    mesh = np.meshgrid(*(da[d].values for d in da.dims), indexing="ij")
    return {d: m.ravel() for d, m in zip(da.dims, mesh, strict=True)}


def runs_frame(results: xr.Dataset) -> pd.DataFrame:
    """One row per run: its grid coordinates, then the family's ``summary_columns`` (raw
    values; the state by name). Vectorised: no per-run Python loop."""
    family = families.of(results)
    frame = pd.DataFrame(_grid_columns(plots.run_grid(results)))
    for name, _, _ in family.summary_columns:
        values = plots.run_values(results[name]).ravel()
        if name == family.state:
            values = np.array([family.state_names[int(v)] for v in values])
        frame[name] = values
    return frame


def _markdown_rows(frame: pd.DataFrame, columns) -> list[str]:
    """Per-run table rows, formatted as ``columns`` (a family's ``summary_columns``) say."""
    formats = {name: fmt for name, _, fmt in columns}
    lines = []
    for row in frame.itertuples(index=False):
        cells = []
        for name, value in zip(frame.columns, row, strict=True):
            fmt = formats.get(name)
            if name == "diverged":
                cells.append("yes" if value else "no")
            elif fmt is None:
                cells.append(str(value.item() if hasattr(value, "item") else value))
            else:
                cells.append(fmt.format(int(value) if "d" in fmt else float(value)))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def seed_table(results: xr.Dataset) -> str:
    """Markdown: mean ± sample std (ddof 1) over seeds per point of the other axes, with
    the count of seeds in each collapse state, the family's ``seed_columns`` (with its ``derived``
    variables; VQ columns only where a VQ-VAE ran). At most `MAX_SEED_ROWS` points: past
    that, those whose main order parameter (VAE: I(x; z)) is nearest its threshold ε (in
    log) first."""
    if results.sizes.get("seed", 1) < 2:
        return ""
    family = families.of(results)
    axes = results_lib.swept_axes(results)
    results = family.with_derived(results)
    columns = [
        (name, title)
        for name, title in family.seed_columns
        if name in results
        and np.isfinite(results[name].values.astype(float)).any()
        and not (name == "codes_used" and (results[name].values < 0).all())  # no VQ-VAE ran
    ]
    header = [*axes, *(title for _, title in columns), "state (seeds)"]
    seeds = results.sizes["seed"]
    points = plots.run_grid(results).isel(seed=0, drop=True)
    cells = {d: [plots.fmt_value(v) for v in c] for d, c in _grid_columns(points).items()}
    if not axes:
        cells = {}
    for name, title in columns:
        values = results[name].astype(float)
        mean = values.mean("seed", skipna=False).transpose(*axes).values.ravel()
        std = values.std("seed", skipna=False, ddof=1).transpose(*axes).values.ravel()
        cells[title] = [
            "—" if np.isnan(m) else f"{m:.3g} ± {s:.2g}" for m, s in zip(mean, std, strict=True)
        ]
    counts = {
        k: (results[family.state] == k).sum("seed").transpose(*axes).values.ravel()
        for k in sorted(family.state_names)
    }
    num_points = points.size
    cells["state (seeds)"] = [
        ", ".join(f"{family.state_names[k]} {int(c[i])}" for k, c in counts.items() if c[i])
        for i in range(num_points)
    ]
    order = np.arange(num_points)
    note = ""
    if num_points > MAX_SEED_ROWS:
        main = family.main_order_parameter
        eps = boundary.default_threshold(results, main)
        value = results[main].mean("seed").transpose(*axes).values.ravel()
        nearness = np.abs(np.log(np.maximum(np.nan_to_num(value, nan=1e9), 1e-6) / eps))
        order = np.argsort(nearness, kind="stable")[:MAX_SEED_ROWS]
        label = family.order_parameters[main].label
        note = (
            f"\n{num_points} grid points: the {MAX_SEED_ROWS} whose mean {label} is nearest "
            f"ε = {eps:g} (the transition) first; every run is in `runs.csv`.\n"
        )
    lines = [
        "",
        f"## Mean ± std over {seeds} seeds (sample std, ddof 1)",
        note,
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for i in order:
        lines.append("| " + " | ".join(cells[h][i] for h in header) + " |")
    return "\n".join(lines) + "\n"


def summary_markdown(results: xr.Dataset, figures: list[Path], runs: pd.DataFrame) -> str:
    """Markdown: what the columns mean (the family's legend), the figures, then one row
    per run (``runs``, from `runs_frame`) when there are at most `MAX_SUMMARY_RUNS`; every
    run is in runs.csv."""
    family = families.of(results)
    header = [*results_lib.run_dims(results), *(t for _, t, _ in family.summary_columns)]
    lines = [
        f"# {results.attrs.get('experiment', 'sweep')}: collapse summary",
        "",
        family.describe(results)
        + f" Wall time {results.attrs.get('wall_time_s', float('nan')):.1f} s on "
        f"{results.attrs.get('num_devices', '?')}× {results.attrs.get('device_kind', '?')}.",
        "",
        *[f"![{p.stem}]({p.name})" for p in figures],
        "",
        f"{len(runs)} runs; states: "
        + ", ".join(f"{k} {v}" for k, v in runs[family.state].value_counts().items())
        + "; every run, one row each: [`runs.csv`](runs.csv).",
        "",
    ]
    if len(runs) <= MAX_SUMMARY_RUNS:
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += _markdown_rows(runs, family.summary_columns)
    return "\n".join(lines) + "\n"


def boundary_arguments(results: xr.Dataset):
    """What the report's boundary (``boundary.csv``) reads: ``(along, measure,
    closed_form)`` — the first numeric swept axis, and the family's main order parameter
    or, where the family knows a reference boundary there
    (`family.Family.reference_boundaries`; for linear-Gaussian data over β, every
    per-dim boundary against λ_i/σ², Lucas et al. 2019), that measure and the reference
    (else None); None when no numeric axis is swept."""
    axes = boundary.numeric_axes(results)
    if not axes:
        return None
    along = axes[0]
    family = families.of(results)
    reference = None
    if family.reference_boundaries and "config" in results.attrs:  # a hand-built one: none
        reference = families.resolve(family.reference_boundaries)(results, along)
    measure, closed_form = reference if reference is not None else (None, None)
    return along, measure or family.main_order_parameter, closed_form


def boundary_section(results: xr.Dataset, workdir: Path) -> tuple[str, list[Path]]:
    """Markdown: the collapse boundary of `boundary_arguments` (its threshold the order
    parameter's default), also written to ``workdir/boundary.csv`` (its path returned),
    with the reference and the error where there is one; then how it moves with the
    threshold (`sensitivity_section`). Empty when no numeric axis is swept."""
    arguments = boundary_arguments(results)
    if arguments is None:
        return "", []
    along, measure, closed_form = arguments
    found = boundary.estimate(results, along, measure)
    csv = boundary.write_csv(found, workdir / "boundary.csv")
    text = (
        "\n## Phase boundary (`boundary.csv`)\n\n"
        + boundary.markdown(found, closed_form)
        + "\nRefine it with `vaecollapse refine WORKDIR`.\n"
        + sensitivity_section(results, along, measure)
    )
    return text, [csv]


def sensitivity_section(results: xr.Dataset, along: str, measure: str) -> str:
    """Markdown: the boundary and the runs per state at ½×, 1× and 2× the threshold
    (`sensitivity.sensitivity`, as ``vaecollapse boundary WORKDIR --sensitivity`` prints
    them), so a reader sees which conclusions depend on it."""
    found, states = sensitivity.sensitivity(results, along, measure)
    return (
        "\n## Sensitivity to the threshold\n\n"
        + sensitivity.sensitivity_markdown(found, states, limit=20)
        + "\nEvery row: `vaecollapse boundary WORKDIR --sensitivity`.\n"
    )


# the engine's own figures, for every family; each family adds its own (`Family.figures`)
ENGINE_FIGURES = {"phase_diagram": families.Figure(plots.phase_diagram)}


def figures_of(family: families.Family) -> dict[str, families.Figure]:
    """name -> `families.Figure` of every figure a report of ``family`` may draw, each
    written to NAME.png: the engine's first, then the family's."""
    return {**ENGINE_FIGURES, **family.figures}


def check_figures(names: Sequence[str], family: families.Family | None = None) -> None:
    """Raise ValueError naming an unknown figure and the known ones (of ``family``; the
    default family when None)."""
    known = figures_of(family or families.get(families.DEFAULT))
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"figures={','.join(names)!r} is invalid: unknown {unknown}; "
            f"allowed: {', '.join(known)}"
        )


class IncompleteReportError(RuntimeError):
    """Some figures failed to draw; every other file of the report was written.

    Attributes:
      failed: figure name -> its error, one line.
      paths: the files that were written.
    """

    def __init__(self, failed: dict[str, str], paths: list[Path]):
        self.failed, self.paths = failed, paths
        names = ", ".join(failed)
        super().__init__(
            f"{len(failed)} figure{'s' if len(failed) > 1 else ''} failed ({names}); the other "
            "figures, summary.md, runs.csv and boundary.csv are written"
        )


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0] if text else ''}"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def report(
    workdir: str | Path,
    figures: Sequence[str] | None = None,
    timings: dict[str, float] | None = None,
    log: Callable[[str], None] = _stderr,
) -> list[Path]:
    """Draw the figures (all that apply, or the named ones of `figures_of` the results'
    family), write ``summary.md``, ``runs.csv`` (every run) and ``boundary.csv`` for
    ``workdir/results.nc``; return the paths. Each figure is drawn on its own: one that
    fails is named in one line to ``log`` and the rest of the report is still written.
    ``timings`` (if given) receives the seconds each step took.

    Raises:
      ValueError: an unknown figure name (before anything is drawn).
      IncompleteReportError: after writing everything else, when a figure failed.
    """
    workdir = Path(workdir)
    timings = {} if timings is None else timings

    def timed(name: str, fn: Callable, *args):
        start = time.perf_counter()
        out = fn(*args)
        timings[name] = time.perf_counter() - start
        return out

    results = timed("load", results_lib.load, workdir)
    family = families.of(results)
    check_figures(figures or [], family)
    drawn, failed = [], {}
    for name, figure in figures_of(family).items():
        if figures is not None and name not in figures:
            continue
        try:
            applies, draw = figure.resolve()
            if applies(results):
                drawn.append(timed(name, draw, results, workdir / f"{name}.png"))
        except Exception as err:  # one figure never costs the report
            plt.close("all")
            failed[name] = _one_line(err)
            log(f"vaecollapse: figure {name} failed: {failed[name]}")
    runs = timed("runs_frame", runs_frame, results)
    runs_csv = workdir / "runs.csv"
    timed("runs_csv", lambda: runs.to_csv(runs_csv, index=False, float_format="%.6g"))
    boundary_text, tables = timed("boundary", boundary_section, results, workdir)
    text = (
        timed("summary", summary_markdown, results, drawn, runs)
        + boundary_text
        + timed("seed_table", seed_table, results)
    )
    if family.sections:
        text += timed("sections", families.resolve(family.sections), results)
    summary = workdir / "summary.md"
    summary.write_text(text)
    paths = [*drawn, runs_csv, *tables, summary]
    if failed:
        raise IncompleteReportError(failed, paths)
    return paths
