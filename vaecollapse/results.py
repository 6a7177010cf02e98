"""The results format: ``workdir/results.nc``, one labelled xarray Dataset per sweep.

Dimensions: the grid axes, named and valued as in the config (static axes then dynamic
ones, or ``variant`` then the dynamic ones), then ``step`` (logged steps) and the dims of
the family's variables (`family.Family.variable_dims`; for the VAE ``latent``,
``example``/``frame``/``pixel`` (pictures), ``mu_bin``/``sigma_bin`` (histograms)).
For the VAE, variables are the run metrics of `diagnostics.make_evaluate` over the grid axes, the
``*_trace`` variables of training over ``step`` (and ``latent``), ``early_warning``,
``early_warning_step`` (−1 where not warned) and ``predicted_state``
(`warning.forecast`), and ``eval_images``
and ``mean_image``. Attributes: ``format_version``, the full ``config`` (JSON),
``experiment``, ``data_name``/``data_shape``/``data_kind``, ``marginal_nll``,
``versions`` (JSON), ``mi_bound`` when the data have a known generating factor, and the
run's ``wall_time_s`` (summed over the processes of a sweep that was stopped and
resumed), ``device_kind``, ``num_devices`` and ``num_processes``; for
linear-Gaussian data ``train_eigenvalues`` (the training split's covariance spectrum).

`assemble.assemble` builds it from the runs of each compile (the writing side), `write`
saves it atomically, `load` reads it back (refusing a newer format). This module is the
reading side's: NumPy and xarray, no JAX.
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

import ml_collections
import numpy as np
import xarray as xr

from vaecollapse import workdir as workdir_lib

FORMAT_VERSION = 1
FILENAME = "results.nc"


def logged_steps(config: ml_collections.ConfigDict) -> np.ndarray:
    """The step numbers of the logged intervals' ends: ``log_every, 2·log_every, …``."""
    log_every = config.train.log_every
    return (np.arange(config.train.steps // log_every, dtype=np.int32) + 1) * log_every


def write(results: xr.Dataset, workdir: str | Path) -> Path:
    """Save ``results`` as ``workdir/results.nc`` atomically; return the path."""
    path = Path(workdir) / FILENAME
    with workdir_lib.atomic_path(path) as tmp:
        results.to_netcdf(tmp, engine="netcdf4")
    return path


def load(workdir: str | Path) -> xr.Dataset:
    """Read ``workdir/results.nc``, refusing files written by a newer vaecollapse."""
    path = Path(workdir) / FILENAME
    if not path.exists():
        raise FileNotFoundError(f"no results at {str(path)!r}; run `vaecollapse run` first")
    try:
        results = xr.load_dataset(path)
    except (OSError, ValueError) as err:
        raise ValueError(
            f"{str(path)!r} cannot be read ({type(err).__name__}: {err}); it may be truncated: "
            "re-run `vaecollapse run` on its workdir to write it again"
        ) from None
    if "format_version" not in results.attrs or "config" not in results.attrs:
        raise ValueError(
            f"{str(path)!r} is not a vaecollapse results file (no format_version or config)"
        )
    version = int(results.attrs["format_version"])
    if version > FORMAT_VERSION or version < 1:
        raise ValueError(
            f"{str(path)!r} has results format_version={version}; this vaecollapse reads "
            f"format_version <= {FORMAT_VERSION}: upgrade vaecollapse"
        )
    # netCDF stores a one-element list attribute as a scalar
    results.attrs["data_shape"] = [int(n) for n in np.atleast_1d(results.attrs["data_shape"])]
    return results


def run_dims(results: xr.Dataset) -> list[str]:
    """The grid axes, seeds included, in file order: the dims of a per-run variable
    (``diverged``, which every sweep writes; else the first of ``kl``/``mutual_info``)."""
    for name in ("diverged", "kl", "mutual_info"):
        if name in results:
            return list(results[name].dims)
    raise ValueError("results hold no per-run variable (diverged, kl or mutual_info)")


def swept_axes(results: xr.Dataset) -> list[str]:
    """Grid axes other than the seed replicate axis, in file order."""
    return [d for d in run_dims(results) if d != "seed"]


def versions() -> dict[str, str]:
    """Versions of vaecollapse and its engine. Never raises: a package that is not
    installed (a source tree run without ``pip install``) reads ``unknown``, or for
    vaecollapse the git commit of its tree when there is one."""
    out = {}
    for name in ("vaecollapse", "jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = _git_commit() if name == "vaecollapse" else "unknown"
    return out


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"git {commit}" if commit else "unknown"
