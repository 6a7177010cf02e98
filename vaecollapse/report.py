"""The written report of a sweep: ``summary.md`` beside the figures of `plots`.

`report(workdir)` reads ``workdir/results.nc`` (`vaecollapse.results`), draws every
figure (`vaecollapse.plots`) and writes ``summary.md``: what each column means, one
row per run (`summary_markdown`), mean ± std over seeds per grid point (`seed_table`),
for linear-Gaussian data the gap to the closed form (`analytic_note`), and for token
data the sequences as text (`text_samples`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from vaecollapse import boundary, diagnostics, plots
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


def seed_table(results: xr.Dataset) -> str:
    """Markdown: mean ± std over seeds per point of the other axes, with the count of
    seeds in each collapse state (VQ columns only where a VQ-VAE ran)."""
    if results.sizes.get("seed", 1) < 2:
        return ""
    axes = results_lib.swept_axes(results)
    columns = [
        (name, title)
        for name, title in SEED_COLUMNS
        if name in results
        and np.isfinite(results[name].values.astype(float)).any()
        and not (name == "codes_used" and (results[name].values < 0).all())  # no VQ-VAE ran
    ]
    header = [*axes, *(title for _, title in columns), "state (seeds)"]
    lines = [
        "",
        f"## Mean ± std over {results.sizes['seed']} seeds",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    stacked = results.stack(point=axes) if axes else results.expand_dims(point=[0])
    for i in range(stacked.sizes["point"]):
        run = stacked.isel(point=i)
        cells = [plots.fmt_value(run[d].values) for d in axes]
        for name, _ in columns:
            values = run[name].values.astype(float)
            if np.isfinite(values).all():
                cells.append(f"{values.mean():.3g} ± {values.std():.2g}")
            else:
                cells.append("—")
        states = run.collapse_state.values.astype(int)
        cells.append(
            ", ".join(
                f"{diagnostics.STATE_NAMES[k]} {int((states == k).sum())}"
                for k in sorted(set(states.tolist()))
            )
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summary_markdown(results: xr.Dataset, figures: list[Path]) -> str:
    """Markdown: what the columns mean, the figures, then one row per run."""
    grid_dims = list(results.kl.dims)
    header = [*grid_dims, *(title for _, title, _ in SUMMARY_COLUMNS)]
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
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for _, run in plots.iter_runs(results):
        cells = [f"{run[d].values.item()}" for d in grid_dims]
        for name, _, fmt in SUMMARY_COLUMNS:
            value = run[name].values.item()
            if name == "collapse_state":
                cells.append(diagnostics.STATE_NAMES[int(value)])
            elif name == "diverged":
                cells.append("yes" if value else "no")
            else:
                cells.append(fmt.format(int(value) if "d" in fmt else float(value)))
        lines.append("| " + " | ".join(cells) + " |")
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
    for label, run in list(plots.iter_runs(plots.first_seed(results)))[:16]:
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


def report(workdir: str | Path) -> list[Path]:
    """Draw every figure and ``summary.md`` for ``workdir/results.nc``; return the paths."""
    workdir = Path(workdir)
    results = results_lib.load(workdir)
    figures = [
        plots.phase_diagram(results, workdir / "phase_diagram.png"),
        plots.kl_curves(results, workdir / "kl_curves.png"),
        plots.kl_per_dim_bars(results, workdir / "kl_per_dim.png"),
        plots.rate_distortion(results, workdir / "rate_distortion.png"),
        plots.probe_curves(results, workdir / "au_mi_curves.png"),
        plots.encoder_histograms(results, workdir / "encoder_histograms.png"),
    ]
    if plots.analytic_kl(results) is not None:
        figures.append(plots.analytic_comparison(results, workdir / "analytic_kl.png"))
    if "recon_examples" in results and len(results.attrs["data_shape"]) == 3:  # images
        figures += [
            plots.picture_grid(
                results,
                "recon_examples",
                "reconstructions (top: data, then the data average)",
                workdir / "reconstructions.png",
            ),
            plots.picture_grid(
                results,
                "interpolation",
                "decoding the line from z(x₀) to z(x₁)",
                workdir / "interpolations.png",
            ),
            plots.picture_grid(
                results, "prior_samples", "samples from the prior", workdir / "prior_samples.png"
            ),
        ]
    summary = workdir / "summary.md"
    boundary_text, tables = boundary_section(results, workdir)
    text = (
        summary_markdown(results, figures)
        + boundary_text
        + seed_table(results)
        + analytic_note(results)
    )
    if results.attrs["data_kind"] == "tokens":
        text += text_samples(results)
    summary.write_text(text)
    return [*figures, *tables, summary]
