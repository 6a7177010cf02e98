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
    scale: one line per run, coloured by the first swept axis (Jing et al. 2022's
    embedding spectrum: dimensional collapse is a spectrum falling off a cliff)."""
    grid = run_dims(results)
    values = results.spectrum.transpose(*grid, "rank").values.reshape(-1, results.sizes["rank"])
    axes = swept_axes(results)
    axis = axes[0] if axes else None
    colour = np.zeros(len(values))
    if axis is not None and results[axis].dtype.kind in "fiu":
        per_run = xr.broadcast(results[axis], results.spectrum.isel(rank=0))[0]
        colour = per_run.transpose(*grid).values.ravel().astype(float)
    norm = matplotlib.colors.Normalize(colour.min(), max(colour.max(), colour.min() + 1e-12))
    cmap = plt.get_cmap("plasma")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    rank = np.arange(values.shape[1])
    for row, c in zip(values, colour, strict=True):
        ax.plot(rank, np.maximum(row, 1e-8), color=cmap(norm(c)), lw=1, alpha=0.8)
    ax.axhline(ssl.SPECTRUM_THRESHOLD, color="k", ls=":", lw=1, label="collapse ε")
    ax.set_yscale("log")
    ax.set_xlabel("rank k")
    ax.set_ylabel("σ_k / σ_1 (centred eval embeddings)")
    if axis is not None and results[axis].dtype.kind in "fiu":
        mappable = matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(mappable, ax=ax, label=axis)
    ax.legend(fontsize=8)
    ax.set_title(plots._title(results, "embedding spectrum, one line per run"), fontsize=9)
    return plots._save(fig, path, tight=True)
