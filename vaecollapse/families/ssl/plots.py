"""The SSL family's own figure: the embedding spectrum (reading side, no JAX)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from vaecollapse import plots
from vaecollapse.families import ssl
from vaecollapse.results import run_dims, swept_axes


def spectrum(results: xr.Dataset, path: Path) -> Path:
    """Singular values of the centred eval embeddings over the largest, by rank, on a log
    scale: one line per run, coloured by the first numeric swept axis (seeds aside), one
    panel per value of a named axis (variants) if there is one (Jing et al. 2022's
    embedding spectrum: dimensional collapse is a spectrum falling off a cliff)."""
    axes = swept_axes(results)
    numeric = [a for a in axes if results[a].dtype.kind in "fiu"]
    named = [a for a in axes if results[a].dtype.kind not in "fiu"]
    axis = numeric[0] if numeric else None
    facet = named[0] if named else None
    panels = [None] if facet is None else list(results[facet].values)
    every = results[axis].values.astype(float) if axis is not None else np.zeros(1)
    norm = matplotlib.colors.Normalize(every.min(), max(every.max(), every.min() + 1e-12))
    cmap = plt.get_cmap("plasma")
    fig, axs = plt.subplots(
        1, len(panels), figsize=(4.2 + 2.8 * len(panels), 4.5), squeeze=False, sharey=True
    )
    for ax, value in zip(axs[0], panels, strict=True):
        part = results if facet is None else results.sel({facet: value})
        grid = [d for d in run_dims(results) if d != facet]
        values = part.spectrum.transpose(*grid, "rank").values.reshape(-1, part.sizes["rank"])
        colour = np.zeros(len(values))
        if axis is not None:
            per_run = xr.broadcast(part[axis], part.spectrum.isel(rank=0))[0]
            colour = per_run.transpose(*grid).values.ravel().astype(float)
        rank = np.arange(values.shape[1])
        for row, c in zip(values, colour, strict=True):
            ax.plot(rank, np.maximum(row, 1e-8), color=cmap(norm(c)), lw=1, alpha=0.8)
        ax.axhline(ssl.SPECTRUM_THRESHOLD, color="k", ls=":", lw=1, label="collapse ε")
        ax.set_yscale("log")
        ax.set_xlabel("rank k")
        if facet is not None:
            ax.set_title(f"{facet} = {value}", fontsize=9)
    axs[0][0].set_ylabel("σ_k / σ_1 (centred eval embeddings)")
    axs[0][0].legend(fontsize=8)
    if axis is not None:
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(mappable, ax=axs[0].tolist(), label=axis)
    fig.suptitle(plots.title(results, "embedding spectrum, one line per run"), fontsize=9)
    return plots.save(fig, path, bbox_inches="tight")
