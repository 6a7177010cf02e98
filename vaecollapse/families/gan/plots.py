"""The GAN family's own figures: generated samples over the modes, and the modes each run
covers over training (reading side, no JAX)."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from vaecollapse import plots
from vaecollapse.families import gan
from vaecollapse.results import run_dims, swept_axes

MAX_PANELS = 12


def _runs(results: xr.Dataset) -> list[dict]:
    """The runs shown: the first seed at each point of the other axes (at most
    `MAX_PANELS`), as ``sel`` dicts."""
    axes = swept_axes(results)
    points = itertools.product(*(results[a].values for a in axes))
    out = []
    for values in itertools.islice(points, MAX_PANELS):
        where = dict(zip(axes, values, strict=True))
        if "seed" in run_dims(results):
            where["seed"] = results.seed.values[0]
        out.append(where)
    return out


def _label(where: dict) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in where.items())


def _panels(n: int, size: float = 3.0):
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    return fig, axes.ravel()[:n]


def samples(results: xr.Dataset, path: Path) -> Path:
    """Generated samples (dots) of one seed per grid point over the mode centres (red
    rings of radius 3 std: a sample inside one is high quality), titled with the run's
    modes captured of K and share of high-quality samples."""
    runs = _runs(results)
    centres = results.mode_centres.values
    radius = gan.HQ_STDS * float(results.attrs.get("mode_std", 0.0))
    span = np.abs(centres).max() * 1.5 + 0.2
    fig, axes = _panels(len(runs))
    for ax, where in zip(axes, runs, strict=True):
        run = results.sel(where)
        xy = run.eval_samples.values[: gan.PLOT_SAMPLES]
        ax.scatter(xy[:, 0], xy[:, 1], s=2, alpha=0.5, color="tab:blue", lw=0)
        for cx, cy in centres:
            ax.add_patch(
                plt.Circle((cx, cy), max(radius, span / 200), fill=False, color="r", lw=0.8)
            )
        ax.set_xlim(-span, span)
        ax.set_ylim(-span, span)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=6)
        ax.set_title(
            f"{_label(where)}\nmodes {int(run.modes_captured)}/{len(centres)}, "
            f"HQ {float(run.high_quality):.0%}",
            fontsize=7,
        )
    fig.suptitle(plots.title(results, "generated samples over the modes (red: 3 std)"), fontsize=9)
    return plots.save(fig, path, tight=True)


def mode_trace(results: xr.Dataset, path: Path) -> Path:
    """Per run (one seed per grid point), each mode's high-quality samples over its fair
    share (colour, capped at 2) at every logged step: a mode the generator drops goes
    dark; one it hops to lights up (mode hopping)."""
    digits = results.attrs.get("data_name") == "stacked_digits"  # every sample counts
    counted = "samples" if digits else "high-quality samples"
    traced = gan.DIGITS_TRACE_SAMPLES if digits else gan.TRACE_SAMPLES
    runs = _runs(results)
    steps = results.step.values
    fig, axes = _panels(len(runs))
    image = None
    for ax, where in zip(axes, runs, strict=True):
        trace = results.mode_mass_trace.sel(where).transpose("mode", "step").values
        image = ax.imshow(
            np.minimum(trace, 2.0),
            aspect="auto",
            origin="lower",
            cmap="magma",
            vmin=0,
            vmax=2,
            extent=(steps[0], steps[-1], -0.5, trace.shape[0] - 0.5),
            interpolation="nearest",
        )
        ax.set_xlabel("step", fontsize=7)
        ax.set_ylabel("mode", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_title(_label(where), fontsize=7)
    if image is not None:
        fig.colorbar(image, ax=list(axes), label=f"{counted} / fair share", shrink=0.8)
    fig.suptitle(
        plots.title(results, f"modes over training ({traced} samples per step)"),
        fontsize=9,
    )
    return plots.save(fig, path)


def digit_samples(results: xr.Dataset, path: Path) -> Path:
    """Stacked digits: the first generated images of one seed per grid point, an 8 × 8
    mosaic of 8×8 RGB images (channel c one digit), titled with the run's modes captured of
    1,000 and reverse KL."""
    runs = _runs(results)
    fig, axes = _panels(len(runs))
    for ax, where in zip(axes, runs, strict=True):
        run = results.sel(where)
        images = np.clip(run.eval_digits.values, 0, 1).reshape(-1, 8, 8, 3)
        side = math.isqrt(len(images))
        tiles = images[: side * side].reshape(side, side, 8, 8, 3)
        ax.imshow(tiles.transpose(0, 2, 1, 3, 4).reshape(side * 8, side * 8, 3))
        ax.axis("off")
        ax.set_title(
            f"{_label(where)}\nmodes {int(run.modes_captured)}/1000, "
            f"rKL {float(run.reverse_kl):.2f}",
            fontsize=7,
        )
    fig.suptitle(plots.title(results, "generated stacked digits (channel = digit)"), fontsize=9)
    return plots.save(fig, path, tight=True)
