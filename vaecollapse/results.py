"""The results format: ``workdir/results.nc``, one labelled xarray Dataset per sweep.

Dimensions: the grid axes, named and valued as in the config (static axes then dynamic
ones, or ``variant`` then the dynamic ones), then ``step`` (logged steps), ``latent``,
``example``/``frame``/``pixel`` (pictures), ``mu_bin``/``sigma_bin`` (histograms).
Variables are the run metrics of `diagnostics.make_evaluate` over the grid axes, the
``*_trace`` variables of training over ``step`` (and ``latent``), ``early_warning`` and
``early_warning_step`` (`vaecollapse.warning`; −1 where not warned), and ``eval_images``
and ``mean_image``. Attributes: ``format_version``, the full ``config`` (JSON),
``experiment``, ``data_name``/``data_shape``/``data_kind``, ``marginal_nll``,
``versions`` (JSON), ``mi_bound`` when the data have a known generating factor, and the
run's ``wall_time_s``, ``device_kind``, ``num_devices`` and ``num_processes``; for
linear-Gaussian data ``train_eigenvalues`` (the training split's covariance spectrum).

`assemble` builds it from the runs of each compile, `write` saves it atomically,
`load` reads it back (refusing a newer format).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import ml_collections
import numpy as np
import xarray as xr

from vaecollapse import data, diagnostics, grid, warning
from vaecollapse import workdir as workdir_lib

FORMAT_VERSION = 1
FILENAME = "results.nc"

PER_DIM = frozenset({"kl_per_dim", "unit_activity", "dim_active"})
EXTRA_DIMS = {
    "recon_examples": ["example", "pixel"],
    "interpolation": ["frame", "pixel"],
    "prior_samples": ["example", "pixel"],
    "mu_hist": ["mu_bin"],
    "sigma_hist": ["sigma_bin"],
}


def grid_axes(config: ml_collections.ConfigDict, plan: Sequence[grid.StaticPoint]) -> dict:
    """Every grid axis of the results, in order: static axes then dynamic ones, or
    ``variant`` then the dynamic ones."""
    sweep_axes = {name: tuple(values) for name, values in config.sweep.items()}
    if config.variants:
        return {"variant": tuple(name for name, _ in config.variants), **sweep_axes}
    return {**dict(config.sweep_static.items()), **plan[0].grid.axes}


def _runs_in_grid_order(config, plan, per_point, name, latent) -> np.ndarray:
    """One variable of every run, ``[runs, ...]`` in the C order of `grid_axes`."""
    arrays = [_pad_latent(p[name], name, latent) for p in per_point]
    if not config.variants:
        return np.concatenate(arrays)
    by_variant = {}  # each point's runs are variant-major
    for point, array in zip(plan, arrays, strict=True):
        variants = point.grid.axes["variant"]
        rows = array.reshape(len(variants), -1, *array.shape[1:])
        by_variant.update(zip(variants, rows, strict=True))
    return np.concatenate([by_variant[name] for name, _ in config.variants])


def _extra_dims(name: str, ndim: int) -> list[str]:
    """Names of a variable's dims after the grid's (``ndim`` of them)."""
    if name.endswith("_trace"):
        return ["step", "latent"][:ndim]
    if name in EXTRA_DIMS:
        return EXTRA_DIMS[name]
    return ["latent"] if name in PER_DIM else []


def _pad_latent(array: np.ndarray, name: str, latent: int) -> np.ndarray:
    """Pad a per-dim array to ``latent`` dims (static latent_dim axes differ)."""
    if name not in PER_DIM and name != "kl_per_dim_trace":
        return array
    pad = latent - array.shape[-1]
    if not pad:
        return array
    fill = False if array.dtype == bool else np.nan
    return np.pad(array, [(0, 0)] * (array.ndim - 1) + [(0, pad)], constant_values=fill)


def _coord(values: tuple) -> np.ndarray:
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(values)
    return np.asarray([str(v) for v in values])


def logged_steps(config: ml_collections.ConfigDict) -> np.ndarray:
    """The step numbers of the logged intervals' ends: ``log_every, 2·log_every, …``."""
    log_every = config.train.log_every
    return (np.arange(config.train.steps // log_every, dtype=np.int32) + 1) * log_every


def assemble(
    config: ml_collections.ConfigDict,
    plan: Sequence[grid.StaticPoint],
    per_point: Sequence[dict[str, np.ndarray]],
    dataset: data.Dataset,
) -> xr.Dataset:
    """The labelled results of a sweep.

    Args:
      config: the sweep's config (finalised).
      plan: its compiles (`grid.plan`).
      per_point: for each compile, ``{variable: [runs, ...]}`` in its grid's run order.
      dataset: the data the runs were trained and evaluated on.
    """
    axes = grid_axes(config, plan)
    latent = max(p["kl_per_dim"].shape[-1] for p in per_point)
    grid_dims = list(axes)
    grid_shape = tuple(len(v) for v in axes.values())
    variables = {}
    for name in per_point[0]:
        runs = _runs_in_grid_order(config, plan, per_point, name, latent)
        extra_dims = _extra_dims(name, runs.ndim - 1)
        variables[name] = (grid_dims + extra_dims, runs.reshape(grid_shape + runs.shape[1:]))
    if "mutual_info_trace" in variables:  # the early warning of full collapse, per run
        _, mi_trace = variables["mutual_info_trace"]
        warned = warning.early_warning(mi_trace)
        step = int(logged_steps(config)[warning.warning_index(mi_trace.shape[-1])])
        variables["early_warning"] = (grid_dims, warned)
        variables["early_warning_step"] = (grid_dims, np.where(warned, step, -1).astype(np.int32))
    coords = {name: _coord(values) for name, values in axes.items()}
    centres = lambda edges: (edges[1:] + edges[:-1]) / 2  # noqa: E731
    coords.update(
        step=logged_steps(config),
        latent=np.arange(latent),
        mu_bin=centres(diagnostics.MU_EDGES),
        sigma_bin=centres(diagnostics.SIGMA_EDGES),
    )
    shown = dataset.test[: diagnostics.NUM_SHOWN]
    variables["eval_images"] = (["example", "pixel"], shown.reshape(len(shown), -1))
    if dataset.meta["kind"] != "tokens":
        # the best z-independent output, E[x]: what a collapsed decoder reconstructs
        variables["mean_image"] = (["pixel"], dataset.train.reshape(len(dataset.train), -1).mean(0))
    results = xr.Dataset(variables, coords=coords)
    results.attrs.update(
        format_version=FORMAT_VERSION,
        config=workdir_lib.config_json(config),
        experiment=config.name,
        data_name=config.data.name,
        data_shape=list(dataset.meta["shape"]),
        data_kind=dataset.meta["kind"],
        marginal_nll=diagnostics.marginal_nll(
            dataset.train, dataset.test[: config.train.eval_examples], dataset.meta["kind"]
        ),
        versions=json.dumps(versions()),
    )
    if "mi_bound" in dataset.meta:  # I(x; generating factor), e.g. log K topics
        results.attrs["mi_bound"] = dataset.meta["mi_bound"]
    if config.data.name == "linear_gaussian":  # the closed forms' λ_i, of the data trained on
        results.attrs["train_eigenvalues"] = train_eigenvalues(dataset.train)
    return results


def train_eigenvalues(x: np.ndarray) -> list[float]:
    """Eigenvalues of the covariance of ``x`` ``[N, D]``, largest first: the λ_i of the
    linear VAE's closed forms for the data it was trained on (the nominal spectrum up to
    sampling error, ~1 % at 20,000 examples)."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    return np.sort(np.linalg.eigvalsh(np.cov(flat, rowvar=False)))[::-1].tolist()


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
    if "format_version" not in results.attrs or "kl" not in results:
        raise ValueError(f"{str(path)!r} is not a vaecollapse results file (no format_version)")
    version = int(results.attrs["format_version"])
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
