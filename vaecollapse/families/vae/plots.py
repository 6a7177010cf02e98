"""The VAE's figures: KL over training (`kl_curves`, the "falls to ~0 early and stays"
symptom), KL per latent dim (`kl_per_dim_bars`), the rate–distortion plane
(`rate_distortion`, Alemi et al. 2018), the probes over training (`probe_curves`),
encoder statistics across inputs (`encoder_histograms`), pictures for image data
(`picture_grid`: reconstructions against the data average, interpolations, prior
samples) and, for ``linear_gaussian`` data over β, the learned KL per dim against the
closed form (`analytic_comparison`, Lucas et al. 2019; `analytic_kl`,
`analytic_boundaries`). Drawn with the engine's helpers (`vaecollapse.plots`); NumPy,
xarray and matplotlib only.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from vaecollapse import plots
from vaecollapse.families.vae import analytic


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
    return plots.save(fig, path, tight=True)


def kl_curves(results: xr.Dataset, path: Path) -> Path:
    """KL over training per run (or per colour group, `plots.curves`), with the collapse ε."""
    colours = plots.Colours(results)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plots.curves(ax, results.step.values, plots.run_values(results.kl_trace), colours)
    eps = json.loads(results.attrs["config"])["collapse_kl_eps"]
    ax.axhline(eps, color="k", ls=":", lw=1, label=f"collapse ε = {eps:g}")
    ax.set_yscale("symlog", linthresh=0.01)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel("training step")
    ax.set_ylabel("KL(q(z|x) ‖ p(z)) (nats, train batches)")
    colours.colorbar(fig, ax)
    ax.set_title(plots.title(results, "KL over training" + plots.curves_note(results)), fontsize=9)
    return plots.save(fig, path, tight=True)


def kl_per_dim_bars(results: xr.Dataset, path: Path) -> Path:
    """Mean ± std over seeds of the KL per latent dim (sorted), one bar group per value
    of the first swept axis (at most `plots.MAX_BAR_GROUPS`, evenly picked), others averaged."""
    axis = plots.colour_axis(results)
    mean, std = plots.seed_stats(results.kl_per_dim)
    extra = [d for d in mean.dims if d not in (axis, "latent")]
    mean, std = mean.mean(extra), std.mean(extra)
    points = mean[axis].values if axis else [None]
    if len(points) > plots.MAX_BAR_GROUPS:
        points = points[np.linspace(0, len(points) - 1, plots.MAX_BAR_GROUPS).astype(int)]
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
            label=f"{axis}={plots.fmt_value(value)}" if axis else None,
        )
    ax.set_xticks(latent + 0.4 - width / 2, [str(j) for j in latent])
    ax.set_xlabel("latent dim (sorted by KL within each setting)")
    ax.set_ylabel("KL per dim (nats)")
    if axis:
        ax.legend(fontsize=8)
    ax.set_title(plots.title(results, "per-dimension KL (inactive units sit at 0)"))
    return plots.save(fig, path, tight=True)


def rate_distortion(results: xr.Dataset, path: Path) -> Path:
    """KL against reconstruction NLL, one point per run (one rasterised scatter, small
    markers past `plots.MAX_RUN_LINES` runs), with the best z-independent decoder."""
    colours = plots.Colours(results)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    many = results.kl.size > plots.MAX_RUN_LINES
    ax.scatter(
        plots.run_values(results.kl),
        plots.run_values(results.recon),
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
    ax.set_title(plots.title(results, f"rate–distortion plane ({results.kl.size} runs)"))
    return plots.save(fig, path, tight=True)


def probe_curves(results: xr.Dataset, path: Path) -> Path:
    """Active units and I(x; z) over training (on a fixed training subsample)."""
    colours = plots.Colours(results)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    step = results.step.values
    plots.curves(axes[0], step, plots.run_values(results.active_units_trace).astype(float), colours)
    plots.curves(axes[1], step, plots.run_values(results.mutual_info_trace), colours)
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
    fig.suptitle(plots.title(results, what + plots.curves_note(results)))
    return plots.save(fig, path)


def encoder_histograms(results: xr.Dataset, path: Path) -> Path:
    """μ_j(x) and σ_j(x) across eval inputs and dims: the "μ ≈ 0, σ ≈ 1 for every x"
    symptom shows as a spike at the prior's values."""
    colours = plots.Colours(results)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    plots.curves(
        axes[0], results.mu_bin.values, plots.run_values(results.mu_hist), colours, step=True
    )
    plots.curves(
        axes[1], results.sigma_bin.values, plots.run_values(results.sigma_hist), colours, step=True
    )
    for ax, prior, name in zip(
        axes, (0.0, 1.0), ("posterior mean μ", "posterior std σ"), strict=True
    ):
        ax.axvline(prior, color="k", ls=":", lw=1, label=f"prior: {name.split()[-1]} = {prior:g}")
        ax.set_xlabel(f"{name} (per input and latent dim)")
        ax.set_ylabel("fraction of (input, dim) pairs")
        ax.legend(fontsize=8)
    colours.colorbar(fig, axes)
    fig.suptitle(plots.title(results, "encoder outputs across inputs" + plots.curves_note(results)))
    return plots.save(fig, path)


def picture_grid(results: xr.Dataset, variable: str, what: str, path: Path) -> Path:
    """One row of decoded images per grid point (first seed, at most 16), the data on
    top, laid out as one mosaic (one image drawn, whatever the number of pictures)."""
    height, width = tuple(results.attrs["data_shape"])[:2]
    rows = [("data", results.eval_images.values)]
    if variable == "recon_examples":  # what a decoder that ignores z outputs
        rows.append(
            ("data average", np.repeat(results.mean_image.values[None], len(rows[0][1]), 0))
        )
    rows += [
        (label, run[variable].values)
        for label, run in plots.iter_runs(plots.first_seed(results), 16)
    ]
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
    fig.suptitle(plots.title(results, what))
    return plots.save(fig, path, dpi=90, bbox_inches="tight")
