"""Figures and summary of a sweep's ``results.nc``: what a person looks at first.

`report(workdir)` writes ``phase_diagram.png`` (KL, active units, MI and collapse
state over the swept axes, mean over seeds with the seed spread), ``kl_curves.png``
(KL over training, the "falls to ~0 early and stays" symptom), ``kl_per_dim.png``,
``rate_distortion.png`` (Alemi et al. 2018), ``au_mi_curves.png``,
``encoder_histograms.png`` (μ and σ across inputs), for images ``reconstructions.png``
(against the data average) and ``interpolations.png``, and ``summary.md`` (one row per
run).
For ``linear_gaussian`` data the analytic collapse boundaries β = λ_i/σ² are drawn.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from vaecollapse import analytic
from vaecollapse.workdir import FORMAT_VERSION

STATE_NAMES = {0: "healthy", 1: "partial", 2: "full"}
PANELS = (
    ("kl", "KL (nats)"),
    ("active_units", "active units"),
    ("mutual_info", "I(x; z) (nats)"),
    ("collapse_state", "collapse state (0 healthy, 2 full)"),
)


def load_results(workdir: str | Path) -> xr.Dataset:
    """Open ``workdir/results.nc``, refusing files written by a newer vaecollapse."""
    path = Path(workdir) / "results.nc"
    if not path.exists():
        raise FileNotFoundError(f"no results at {str(path)!r}; run `vaecollapse run` first")
    results = xr.load_dataset(path)
    version = int(results.attrs.get("format_version", -1))
    if version > FORMAT_VERSION or version < 1:
        raise ValueError(
            f"{str(path)!r} has results format_version={version}; this vaecollapse reads "
            f"format_version <= {FORMAT_VERSION}: upgrade vaecollapse"
        )
    # netCDF stores a one-element list attribute as a scalar
    results.attrs["data_shape"] = [int(n) for n in np.atleast_1d(results.attrs["data_shape"])]
    return results


def swept_axes(results: xr.Dataset) -> list[str]:
    """Grid axes other than the seed replicate axis, in file order."""
    return [d for d in results.kl.dims if d != "seed"]


def _fmt(value) -> str:
    """A coordinate value as a tick or legend label: numbers compactly, names as is."""
    value = np.asarray(value).item()
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _seed_stats(da: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    if "seed" in da.dims:
        return da.mean("seed"), da.std("seed")
    return da, xr.zeros_like(da)


def _is_log_axis(values: np.ndarray) -> bool:
    values = np.asarray(values)
    return values.dtype.kind in "fi" and values.min() > 0 and values.max() / values.min() >= 20


def _save(fig, path: Path, tight: bool = False, dpi: int = 110, **savefig) -> Path:
    if tight:
        fig.tight_layout()
    fig.savefig(path, dpi=dpi, **savefig)
    plt.close(fig)
    return path


def _title(results: xr.Dataset, what: str) -> str:
    return f"{results.attrs.get('experiment', '')}: {what}"


def _analytic_boundaries(results: xr.Dataset) -> list[float]:
    """β values where a latent dim collapses (λ_i/σ²), for linear-Gaussian data."""
    config = json.loads(results.attrs["config"])
    if config["data"]["name"] != "linear_gaussian":
        return []
    sigma2 = config["model"]["sigma2"]
    latent = config["model"]["latent_dim"]
    eig = sorted(config["data"]["eigenvalues"], reverse=True)[:latent]
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
        for column in flat.T:
            ax.plot(results.beta, column, "o", color=colour, ms=3, alpha=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("β")
    ax.set_ylabel("KL per dim (nats), sorted")
    deviation = float(np.nanmax(np.abs(learned - optimal)))
    ax.set_title(f"learned (dots) vs closed form (lines); max |Δ| = {deviation:.3f} nats")
    ax.legend(fontsize=7)
    return _save(fig, path, tight=True)


def phase_diagram(results: xr.Dataset, path: Path) -> Path:
    axes = swept_axes(results)
    fig, grid = plt.subplots(1, len(PANELS), figsize=(4.4 * len(PANELS), 3.8), squeeze=False)
    boundaries = _analytic_boundaries(results) if "beta" in axes else []
    for ax, (name, label) in zip(grid[0], PANELS, strict=True):
        mean, std = _seed_stats(results[name].astype(float))
        if len(axes) >= 2:
            x_axis, y_axis = axes[0], axes[1]
            extra = [d for d in mean.dims if d not in (x_axis, y_axis)]
            m = mean.mean(extra).transpose(y_axis, x_axis)
            s = std.mean(extra).transpose(y_axis, x_axis)
            image = ax.imshow(m.values, origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(m.sizes[x_axis]), [_fmt(v) for v in m[x_axis].values])
            ax.set_yticks(range(m.sizes[y_axis]), [_fmt(v) for v in m[y_axis].values])
            ax.set_xlabel(x_axis)
            ax.set_ylabel(y_axis)
            for (i, j), value in np.ndenumerate(m.values):
                ax.text(
                    j,
                    i,
                    f"{value:.2g}\n±{s.values[i, j]:.1g}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="k" if image.norm(value) > 0.6 else "w",  # readable on viridis
                )
            fig.colorbar(image, ax=ax, label=label)
        elif len(axes) == 1 and mean[axes[0]].dtype.kind in "US":  # named variants: bars
            names = [str(v) for v in mean[axes[0]].values]
            ax.bar(names, mean.values, yerr=std.values, capsize=3, color="tab:blue")
            ax.tick_params(axis="x", labelrotation=45, labelsize=8)
            if name in ("kl", "mutual_info"):  # nats span decades across remedies
                ax.set_yscale("symlog", linthresh=0.1)
            ax.set_ylabel(label)
        elif len(axes) == 1:
            x_axis = axes[0]
            ax.errorbar(mean[x_axis].values, mean.values, yerr=std.values, marker="o", capsize=3)
            ax.set_xlabel(x_axis)
            ax.set_ylabel(label)
            if _is_log_axis(mean[x_axis].values):
                ax.set_xscale("log")
            if name == "active_units" and boundaries:
                betas = np.geomspace(mean[x_axis].values.min(), mean[x_axis].values.max(), 200)
                ax.plot(
                    betas,
                    [sum(b < c for c in boundaries) for b in betas],
                    "k--",
                    label="analytic (λ_i > βσ²)",
                )
                ax.legend(fontsize=8)
        else:
            ax.bar([0], [float(mean)], yerr=[float(std)])
            ax.set_ylabel(label)
        for b in boundaries:
            if len(axes) == 1:
                ax.axvline(b, color="grey", lw=0.8, ls=":")
        ax.set_title(label)
    fig.suptitle(_title(results, "collapse phase diagram (mean ± std over seeds)"))
    return _save(fig, path, tight=True)


def _colour_axis(results: xr.Dataset) -> str | None:
    axes = swept_axes(results)
    return axes[0] if axes else None


def _run_colours(results: xr.Dataset):
    """Colour runs by the first swept axis: ``(colour(run), add_colorbar(fig, ax))``.

    Numeric axes map through a (log, where the values span decades) colour scale;
    named axes (a static choice such as the schedule) get one colour per name.
    """
    axis = _colour_axis(results)
    if axis is None:
        return (lambda run: None), (lambda fig, ax: None)
    values = results[axis].values
    numeric = values.dtype.kind in "fi"
    coords = values.astype(float) if numeric else np.arange(len(values), dtype=float)
    scale = (
        matplotlib.colors.LogNorm
        if numeric and _is_log_axis(values)
        else matplotlib.colors.Normalize
    )
    norm = scale(vmin=coords.min(), vmax=coords.max() if len(coords) > 1 else coords.min() + 1)
    mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=plt.get_cmap("plasma"))
    lookup = dict(zip(values.tolist(), coords, strict=True))

    def colour(run):
        return mappable.to_rgba(lookup[run[axis].values.item()])

    def add_colorbar(fig, ax):
        bar = fig.colorbar(mappable, ax=ax, label=axis)
        if not numeric:
            bar.set_ticks(coords, labels=[str(v) for v in values])

    return colour, add_colorbar


def _runs(results: xr.Dataset):
    """Yield (label, per-run Dataset) for every grid point."""
    grid_dims = [d for d in results.kl.dims]
    stacked = results.stack(run=grid_dims) if grid_dims else results.expand_dims(run=[0])
    for i in range(stacked.sizes["run"]):
        run = stacked.isel(run=i)
        label = ", ".join(f"{d}={_fmt(run[d].values)}" for d in grid_dims)
        yield label, run


def kl_curves(results: xr.Dataset, path: Path) -> Path:
    colour, add_colorbar = _run_colours(results)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for _, run in _runs(results):
        ax.plot(results.step.values, run.kl_trace.values, color=colour(run), alpha=0.8, lw=1)
    eps = json.loads(results.attrs["config"])["collapse_kl_eps"]
    ax.axhline(eps, color="k", ls=":", lw=1, label=f"collapse ε = {eps:g}")
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("training step")
    ax.set_ylabel("KL(q(z|x) ‖ p(z)) (nats, train batches)")
    add_colorbar(fig, ax)
    ax.set_title(_title(results, "KL over training"))
    return _save(fig, path, tight=True)


def kl_per_dim_bars(results: xr.Dataset, path: Path) -> Path:
    axis = _colour_axis(results)
    mean, std = _seed_stats(results.kl_per_dim)
    extra = [d for d in mean.dims if d not in (axis, "latent")]
    mean, std = mean.mean(extra), std.mean(extra)
    points = mean[axis].values if axis else [None]
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
            label=f"{axis}={_fmt(value)}" if axis else None,
        )
    ax.set_xlabel("latent dim (sorted by KL within each setting)")
    ax.set_ylabel("KL per dim (nats)")
    if axis:
        ax.legend(fontsize=8)
    ax.set_title(_title(results, "per-dimension KL (inactive units sit at 0)"))
    return _save(fig, path, tight=True)


def rate_distortion(results: xr.Dataset, path: Path) -> Path:
    colour, add_colorbar = _run_colours(results)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for _, run in _runs(results):
        ax.scatter(run.kl.values, run.recon.values, color=colour(run))
    add_colorbar(fig, ax)
    ax.axhline(
        results.attrs["marginal_nll"], color="k", ls="--", lw=1, label="best z-independent decoder"
    )
    ax.set_xlabel("rate: KL (nats)")
    ax.set_ylabel("distortion: reconstruction NLL (nats)")
    ax.legend(fontsize=8)
    ax.set_title(_title(results, "rate–distortion plane"))
    return _save(fig, path, tight=True)


def probe_curves(results: xr.Dataset, path: Path) -> Path:
    """Active units and I(x; z) over training (on a fixed training subsample)."""
    colour, add_colorbar = _run_colours(results)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for _, run in _runs(results):
        axes[0].plot(results.step, run.active_units_trace, color=colour(run), alpha=0.8, lw=1)
        axes[1].plot(results.step, run.mutual_info_trace, color=colour(run), alpha=0.8, lw=1)
    axes[0].set_ylabel("active units")
    axes[1].set_ylabel("I(x; z) (nats)")
    if "mi_bound" in results.attrs:
        bound = float(results.attrs["mi_bound"])
        axes[1].axhline(bound, color="k", ls="--", lw=1, label=f"I(x; topic) = {bound:.2f}")
        axes[1].legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("training step")
    add_colorbar(fig, axes)
    fig.suptitle(_title(results, "active units and mutual information over training"))
    return _save(fig, path)


def encoder_histograms(results: xr.Dataset, path: Path) -> Path:
    """μ_j(x) and σ_j(x) across eval inputs and dims: the "μ ≈ 0, σ ≈ 1 for every x"
    symptom shows as a spike at the prior's values."""
    colour, add_colorbar = _run_colours(results)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for _, run in _runs(results):
        axes[0].step(results.mu_bin, run.mu_hist, where="mid", color=colour(run), alpha=0.7)
        axes[1].step(results.sigma_bin, run.sigma_hist, where="mid", color=colour(run), alpha=0.7)
    for ax, prior, name in zip(
        axes, (0.0, 1.0), ("posterior mean μ", "posterior std σ"), strict=True
    ):
        ax.axvline(prior, color="k", ls=":", lw=1, label=f"prior: {name.split()[-1]} = {prior:g}")
        ax.set_xlabel(f"{name} (per input and latent dim)")
        ax.set_ylabel("fraction of (input, dim) pairs")
        ax.legend(fontsize=8)
    add_colorbar(fig, axes)
    fig.suptitle(_title(results, "encoder outputs across inputs"))
    return _save(fig, path)


def _first_seed(results: xr.Dataset) -> xr.Dataset:
    return results.isel(seed=0) if "seed" in results.dims else results


def picture_grid(results: xr.Dataset, variable: str, what: str, path: Path) -> Path:
    """One row of decoded images per grid point (first seed), the data on top."""
    shape = tuple(results.attrs["data_shape"])[:2]
    runs = list(_runs(_first_seed(results)))[:16]
    rows = [("data", results.eval_images.values)]
    if variable == "recon_examples":  # what a decoder that ignores z outputs
        rows.append(
            ("data average", np.repeat(results.mean_image.values[None], len(rows[0][1]), 0))
        )
    rows += [(label, run[variable].values) for label, run in runs]
    fig, axes = plt.subplots(
        len(rows),
        rows[0][1].shape[0],
        figsize=(1.1 * rows[0][1].shape[0] + 2.2, 1.1 * len(rows)),
        squeeze=False,
    )
    for (label, images), row in zip(rows, axes, strict=True):
        for image, ax in zip(images, row, strict=True):
            ax.imshow(image.reshape(shape), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=7)
    fig.suptitle(_title(results, what))
    return _save(fig, path, dpi=90, bbox_inches="tight")


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
    axes = swept_axes(results)
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
        cells = [_fmt(run[d].values) for d in axes]
        for name, _ in columns:
            values = run[name].values.astype(float)
            if np.isfinite(values).all():
                cells.append(f"{values.mean():.3g} ± {values.std():.2g}")
            else:
                cells.append("—")
        states = run.collapse_state.values.astype(int)
        cells.append(
            ", ".join(
                f"{STATE_NAMES[k]} {int((states == k).sum())}" for k in sorted(set(states.tolist()))
            )
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def summary_markdown(results: xr.Dataset, figures: list[Path]) -> str:
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
    for _, run in _runs(results):
        cells = [f"{run[d].values.item()}" for d in grid_dims]
        for name, _, fmt in SUMMARY_COLUMNS:
            value = run[name].values.item()
            if name == "collapse_state":
                cells.append(STATE_NAMES[int(value)])
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
    optimal = analytic_kl(results)
    if optimal is None:
        return ""
    gap = np.abs(learned_kl_sorted(results) - optimal)
    worst = gap.where(gap == gap.max(), drop=True)
    where = ", ".join(f"{d}={_fmt(worst[d].values[0])}" for d in worst.dims)
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
    for label, run in list(_runs(_first_seed(results)))[:16]:
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


def report(workdir: str | Path) -> list[Path]:
    """Draw every figure and ``summary.md`` for ``workdir/results.nc``; return the paths."""
    workdir = Path(workdir)
    results = load_results(workdir)
    figures = [
        phase_diagram(results, workdir / "phase_diagram.png"),
        kl_curves(results, workdir / "kl_curves.png"),
        kl_per_dim_bars(results, workdir / "kl_per_dim.png"),
        rate_distortion(results, workdir / "rate_distortion.png"),
        probe_curves(results, workdir / "au_mi_curves.png"),
        encoder_histograms(results, workdir / "encoder_histograms.png"),
    ]
    if analytic_kl(results) is not None:
        figures.append(analytic_comparison(results, workdir / "analytic_kl.png"))
    if "recon_examples" in results and len(results.attrs["data_shape"]) == 3:  # images
        figures += [
            picture_grid(
                results,
                "recon_examples",
                "reconstructions (top: data, then the data average)",
                workdir / "reconstructions.png",
            ),
            picture_grid(
                results,
                "interpolation",
                "decoding the line from z(x₀) to z(x₁)",
                workdir / "interpolations.png",
            ),
            picture_grid(
                results, "prior_samples", "samples from the prior", workdir / "prior_samples.png"
            ),
        ]
    summary = workdir / "summary.md"
    text = summary_markdown(results, figures) + seed_table(results) + analytic_note(results)
    if results.attrs["data_kind"] == "tokens":
        text += text_samples(results)
    summary.write_text(text)
    return [*figures, summary]
