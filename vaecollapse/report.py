"""The written report of a sweep: ``summary.md`` beside the figures of `plots`.

`report(workdir)` reads ``workdir/results.nc`` (`vaecollapse.results`), draws every
figure (`vaecollapse.plots`) and writes ``summary.md``: what each column means, one
row per run (`summary_markdown`), mean ± std over seeds per grid point (`seed_table`),
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

from vaecollapse import boundary, plots, states, warning
from vaecollapse import results as results_lib

SUMMARY_COLUMNS = (
    ("kl", "KL", "{:.3f}"),
    ("recon", "recon", "{:.2f}"),
    ("elbo", "ELBO", "{:.2f}"),
    ("nll_iw", "IW-NLL", "{:.2f}"),
    ("active_units", "AU", "{:d}"),
    ("mutual_info", "MI", "{:.3f}"),
    ("mean_abs_mu", "mean abs mu", "{:.3f}"),
    ("mean_sigma", "mean sigma", "{:.3f}"),
    ("latent_sensitivity", "z-sensitivity", "{:.3f}"),
    ("collapse_state", "state", None),
    ("collapse_onset_step", "onset", "{:d}"),
    ("diverged", "diverged", None),
)


SEED_COLUMNS = (
    ("kl_share", "KL % of loss"),
    ("kl", "KL"),
    ("active_units", "AU"),
    ("mutual_info", "MI"),
    ("recon", "recon"),
    ("elbo", "ELBO"),
    ("nll_iw", "IW-NLL"),
    ("codebook_perplexity", "perplexity"),
    ("codes_used", "codes used"),
    ("collapse_onset_step", "onset"),
)


MAX_SUMMARY_RUNS = 64  # per-run rows in summary.md; every run is in runs.csv
MAX_SEED_ROWS = 60  # grid points in the seed table; the nearest the transition first


def _grid_columns(da: xr.DataArray) -> dict[str, np.ndarray]:
    """The coordinates of every cell of ``da``'s dims, flattened in C order."""
    if not da.dims:
        return {}
    mesh = np.meshgrid(*(da[d].values for d in da.dims), indexing="ij")
    return {d: m.ravel() for d, m in zip(da.dims, mesh, strict=True)}


def runs_frame(results: xr.Dataset) -> pd.DataFrame:
    """One row per run: its grid coordinates, then `SUMMARY_COLUMNS` (raw values; the
    state by name). Vectorised: no per-run Python loop."""
    frame = pd.DataFrame(_grid_columns(results.kl))
    for name, _, _ in SUMMARY_COLUMNS:
        values = plots.run_values(results[name]).ravel()
        if name == "collapse_state":
            values = np.array([states.STATE_NAMES[int(v)] for v in values])
        frame[name] = values
    return frame


def _markdown_rows(frame: pd.DataFrame) -> list[str]:
    """Per-run table rows, formatted as `SUMMARY_COLUMNS` says."""
    formats = {name: fmt for name, _, fmt in SUMMARY_COLUMNS}
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
    """Markdown: mean ± std over seeds per point of the other axes, with the count of
    seeds in each collapse state (VQ columns only where a VQ-VAE ran); "KL % of loss" is
    100·KL / (recon + KL), Bowman et al.'s (2016) measure of how much z carries. At most
    `MAX_SEED_ROWS` points: past that, those whose I(x; z) is nearest the collapse
    threshold ε (in log) first."""
    if results.sizes.get("seed", 1) < 2:
        return ""
    axes = results_lib.swept_axes(results)
    results = results.assign(kl_share=100 * results.kl / (results.recon + results.kl))
    columns = [
        (name, title)
        for name, title in SEED_COLUMNS
        if name in results
        and np.isfinite(results[name].values.astype(float)).any()
        and not (name == "codes_used" and (results[name].values < 0).all())  # no VQ-VAE ran
    ]
    header = [*axes, *(title for _, title in columns), "state (seeds)"]
    seeds = results.sizes["seed"]
    points = results.kl.isel(seed=0, drop=True)
    cells = {d: [plots.fmt_value(v) for v in c] for d, c in _grid_columns(points).items()}
    if not axes:
        cells = {}
    for name, title in columns:
        values = results[name].astype(float)
        mean = values.mean("seed", skipna=False).transpose(*axes).values.ravel()
        std = values.std("seed", skipna=False).transpose(*axes).values.ravel()
        cells[title] = [
            "—" if np.isnan(m) else f"{m:.3g} ± {s:.2g}" for m, s in zip(mean, std, strict=True)
        ]
    counts = {
        k: (results.collapse_state == k).sum("seed").transpose(*axes).values.ravel()
        for k in sorted(states.STATE_NAMES)
    }
    num_points = points.size
    cells["state (seeds)"] = [
        ", ".join(f"{states.STATE_NAMES[k]} {int(c[i])}" for k, c in counts.items() if c[i])
        for i in range(num_points)
    ]
    order = np.arange(num_points)
    note = ""
    if num_points > MAX_SEED_ROWS:
        eps = boundary.default_threshold(results)
        mi = results.mutual_info.mean("seed").transpose(*axes).values.ravel()
        nearness = np.abs(np.log(np.maximum(np.nan_to_num(mi, nan=1e9), 1e-6) / eps))
        order = np.argsort(nearness, kind="stable")[:MAX_SEED_ROWS]
        note = (
            f"\n{num_points} grid points: the {MAX_SEED_ROWS} whose mean I(x; z) is nearest "
            f"ε = {eps:g} nats (the transition) first; every run is in `runs.csv`.\n"
        )
    lines = [
        "",
        f"## Mean ± std over {seeds} seeds",
        note,
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for i in order:
        lines.append("| " + " | ".join(cells[h][i] for h in header) + " |")
    return "\n".join(lines) + "\n"


def summary_markdown(results: xr.Dataset, figures: list[Path], runs: pd.DataFrame) -> str:
    """Markdown: what the columns mean, the figures, then one row per run (``runs``, from
    `runs_frame`) when there are at most `MAX_SUMMARY_RUNS`; every run is in runs.csv."""
    header = [*results.kl.dims, *(title for _, title, _ in SUMMARY_COLUMNS)]
    lines = [
        f"# {results.attrs.get('experiment', 'sweep')}: collapse summary",
        "",
        f"Data `{results.attrs['data_name']}`; nats per example on the eval split. ELBO is "
        f"the bound itself (higher is better); IW-NLL = −log p̂(x). A z-independent "
        f"decoder reaches recon {results.attrs['marginal_nll']:.2f}."
        + (
            f" The generating factor carries I(x; topic) = {results.attrs['mi_bound']:.3f} nats."
            if "mi_bound" in results.attrs
            else ""
        )
        + " State: healthy = every "
        f"latent dim active, partial, full = no active dim. mean abs mu / mean sigma: encoder "
        f"statistics (collapse: 0 and 1 for every input); z-sensitivity: mean change of the "
        f"decoded output when z is swapped between inputs (collapse: 0). Onset: first logged "
        f"step from which KL stays below ε (−1: never). Wall time "
        f"{results.attrs.get('wall_time_s', float('nan')):.1f} s on "
        f"{results.attrs.get('num_devices', '?')}× {results.attrs.get('device_kind', '?')}.",
        "",
        *[f"![{p.stem}]({p.name})" for p in figures],
        "",
        f"{len(runs)} runs; states: "
        + ", ".join(f"{k} {v}" for k, v in runs.collapse_state.value_counts().items())
        + "; every run, one row each: [`runs.csv`](runs.csv).",
        "",
    ]
    if len(runs) <= MAX_SUMMARY_RUNS:
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += _markdown_rows(runs)
    return "\n".join(lines) + "\n"


def _as_text(tokens: np.ndarray) -> str:
    """Token ids as letters (a = 0, …) when the vocabulary fits, else numbers."""
    ids = [int(t) for t in tokens]
    if max(ids) < 26:
        return "".join(chr(ord("a") + i) for i in ids)
    return " ".join(map(str, ids))


def analytic_note(results: xr.Dataset) -> str:
    """Markdown: the largest gap between learned and optimal KL per dim (linear data)."""
    optimal = plots.analytic_kl(results)
    if optimal is None:
        return ""
    gap = np.abs(plots.learned_kl_sorted(results) - optimal)
    worst = gap.where(gap == gap.max(), drop=True)
    where = ", ".join(f"{d}={plots.fmt_value(worst[d].values[0])}" for d in worst.dims)
    return (
        "\n## Against the closed form (Lucas et al. 2019)\n\n"
        f"Largest |learned − optimal| KL per dim over every run and dim: "
        f"**{float(gap.max()):.4f} nats** (at {where}); mean {float(gap.mean()):.4f} nats. "
        "See `analytic_kl.png`.\n"
    )


def text_samples(results: xr.Dataset) -> str:
    """Markdown: per grid point (first seed), the eval sequences, their reconstructions,
    the interpolation and prior samples as text (drawn with the same noise everywhere,
    so a decoder that ignores z repeats one line)."""
    lines = ["", "## Sequences as text (a = token 0, b = token 1, …)", ""]
    data = [_as_text(row) for row in results.eval_images.values]
    for label, run in plots.iter_runs(plots.first_seed(results), limit=16):
        lines += [f"### {label}", "", "| data | reconstruction | interpolation | prior sample |"]
        lines.append("|---|---|---|---|")
        columns = [data] + [
            [_as_text(row) for row in run[v].values]
            for v in ("recon_examples", "interpolation", "prior_samples")
        ]
        lines += [
            "| " + " | ".join(f"`{c}`" for c in row) + " |" for row in zip(*columns, strict=True)
        ]
        lines.append("")
    return "\n".join(lines)


def warning_note(results: xr.Dataset) -> str:
    """Markdown: how the early warning (`vaecollapse.warning`) did against the outcome."""
    if "early_warning" not in results:
        return ""
    warned = results.early_warning.values
    full = results.collapse_state.values == states.FULL
    index = warning.warning_index(results.sizes["step"])
    step = int(results.step.values[index])
    s = warning.scores(warned, full, step, results.collapse_onset_step.values)
    return (
        f"\n## Early warning\n\nAt step {step} (20 % of training), I(x; z) < "
        f"{warning.THRESHOLD:g} nats warned of full collapse in {s['warned']} of {s['runs']} "
        f"runs; {s['ended_full']} ended fully collapsed. Accuracy {s['accuracy']:.2f}, "
        f"false alarms {s['false_alarm_rate']:.2f}, missed {s['missed_rate']:.2f}, median lead "
        f"time {s['median_lead_steps']:g} steps (onset − warning step).\n"
    )


def boundary_section(results: xr.Dataset, workdir: Path) -> tuple[str, list[Path]]:
    """Markdown: the collapse boundary along the first numeric swept axis (threshold
    ``collapse_kl_eps``), also written to ``workdir/boundary.csv`` (its path returned);
    for linear-Gaussian data over β, every per-dim boundary against λ_i/σ² (Lucas et al.
    2019). Empty when no numeric axis is swept."""
    axes = boundary.numeric_axes(results)
    if not axes:
        return "", []
    along = axes[0]
    closed = plots.analytic_boundaries(results) if along == "beta" else []
    found = boundary.estimate(results, along, "kl_per_dim" if closed else "mutual_info")
    csv = boundary.write_csv(found, workdir / "boundary.csv")
    closed_form = None
    if closed:
        ranks = found.latent.values
        values = [closed[r] if r < len(closed) else np.nan for r in ranks]
        closed_form = xr.DataArray(values, coords={"latent": ranks}, dims=["latent"])
    text = (
        "\n## Phase boundary (`boundary.csv`)\n\n"
        + boundary.markdown(found, closed_form)
        + "\nRefine it with `vaecollapse refine WORKDIR`.\n"
    )
    return text, [csv]


def _is_images(results: xr.Dataset) -> bool:
    return "recon_examples" in results and len(results.attrs["data_shape"]) == 3


# name -> (applies to these results?, draw(results, path)); each writes NAME.png
FIGURES: dict[str, tuple[Callable[[xr.Dataset], bool], Callable[[xr.Dataset, Path], Path]]] = {
    "phase_diagram": (lambda r: True, plots.phase_diagram),
    "kl_curves": (lambda r: True, plots.kl_curves),
    "kl_per_dim": (lambda r: True, plots.kl_per_dim_bars),
    "rate_distortion": (lambda r: True, plots.rate_distortion),
    "au_mi_curves": (lambda r: True, plots.probe_curves),
    "encoder_histograms": (lambda r: True, plots.encoder_histograms),
    "analytic_kl": (lambda r: plots.analytic_kl(r) is not None, plots.analytic_comparison),
    "reconstructions": (
        _is_images,
        lambda r, p: plots.picture_grid(
            r, "recon_examples", "reconstructions (top: data, then the data average)", p
        ),
    ),
    "interpolations": (
        _is_images,
        lambda r, p: plots.picture_grid(
            r, "interpolation", "decoding the line from z(x₀) to z(x₁)", p
        ),
    ),
    "prior_samples": (
        _is_images,
        lambda r, p: plots.picture_grid(r, "prior_samples", "samples from the prior", p),
    ),
}


def check_figures(names: Sequence[str]) -> None:
    """Raise ValueError naming an unknown figure and the known ones."""
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(
            f"figures={','.join(names)!r} is invalid: unknown {unknown}; "
            f"allowed: {', '.join(FIGURES)}"
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
    """Draw the figures (all that apply, or the named ones of `FIGURES`), write
    ``summary.md``, ``runs.csv`` (every run) and ``boundary.csv`` for
    ``workdir/results.nc``; return the paths. Each figure is drawn on its own: one that
    fails is named in one line to ``log`` and the rest of the report is still written.
    ``timings`` (if given) receives the seconds each step took.

    Raises:
      ValueError: an unknown figure name (before anything is drawn).
      IncompleteReportError: after writing everything else, when a figure failed.
    """
    workdir = Path(workdir)
    check_figures(figures or [])
    timings = {} if timings is None else timings

    def timed(name: str, fn: Callable, *args):
        start = time.perf_counter()
        out = fn(*args)
        timings[name] = time.perf_counter() - start
        return out

    results = timed("load", results_lib.load, workdir)
    drawn, failed = [], {}
    for name, (applies, draw) in FIGURES.items():
        if (figures is None or name in figures) and applies(results):
            try:
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
        + warning_note(results)
        + analytic_note(results)
    )
    if results.attrs["data_kind"] == "tokens":
        text += text_samples(results)
    summary = workdir / "summary.md"
    summary.write_text(text)
    paths = [*drawn, runs_csv, *tables, summary]
    if failed:
        raise IncompleteReportError(failed, paths)
    return paths
