"""The writing side of the results format: a sweep's runs, labelled as `results` describes.

`assemble` turns the per-compile ``{variable: [runs, ...]}`` arrays of `sweep.run_sweep`
into the xarray Dataset that `results.write` saves: the grid axes of the config and its
plan (`grid_axes`), the dims of each variable (`results.extra_dims`), the early warning
(`warning`), the data's pictures and the attributes. It needs the plan, the dataset and
`diagnostics`' bins, so it lives apart from `results`, which reads without them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import ml_collections
import numpy as np
import xarray as xr

from vaecollapse import data, diagnostics, grid, results, warning
from vaecollapse import workdir as workdir_lib


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


def _pad_latent(array: np.ndarray, name: str, latent: int) -> np.ndarray:
    """Pad a per-dim array to ``latent`` dims (static latent_dim axes differ)."""
    if name not in results.PER_DIM and name != "kl_per_dim_trace":
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
        dims = grid_dims + results.extra_dims(name, runs.ndim - 1)
        variables[name] = (dims, runs.reshape(grid_shape + runs.shape[1:]))
    if "mutual_info_trace" in variables:  # the early warning of full collapse, per run
        _, mi_trace = variables["mutual_info_trace"]
        warned = warning.early_warning(mi_trace)
        step = int(results.logged_steps(config)[warning.warning_index(mi_trace.shape[-1])])
        variables["early_warning"] = (grid_dims, warned)
        variables["early_warning_step"] = (grid_dims, np.where(warned, step, -1).astype(np.int32))
    coords = {name: _coord(values) for name, values in axes.items()}
    centres = lambda edges: (edges[1:] + edges[:-1]) / 2  # noqa: E731
    coords.update(
        step=results.logged_steps(config),
        latent=np.arange(latent),
        mu_bin=centres(diagnostics.MU_EDGES),
        sigma_bin=centres(diagnostics.SIGMA_EDGES),
    )
    shown = dataset.test[: diagnostics.NUM_SHOWN]
    variables["eval_images"] = (["example", "pixel"], shown.reshape(len(shown), -1))
    if dataset.meta["kind"] != "tokens":
        # the best z-independent output, E[x]: what a collapsed decoder reconstructs
        variables["mean_image"] = (["pixel"], dataset.train.reshape(len(dataset.train), -1).mean(0))
    out = xr.Dataset(variables, coords=coords)
    out.attrs.update(
        format_version=results.FORMAT_VERSION,
        config=workdir_lib.config_json(config),
        experiment=config.name,
        data_name=config.data.name,
        data_shape=list(dataset.meta["shape"]),
        data_kind=dataset.meta["kind"],
        marginal_nll=diagnostics.marginal_nll(
            dataset.train, dataset.test[: config.train.eval_examples], dataset.meta["kind"]
        ),
        versions=json.dumps(results.versions()),
    )
    if "mi_bound" in dataset.meta:  # I(x; generating factor), e.g. log K topics
        out.attrs["mi_bound"] = dataset.meta["mi_bound"]
    if config.data.name == "linear_gaussian":  # the closed forms' λ_i, of the data trained on
        out.attrs["train_eigenvalues"] = train_eigenvalues(dataset.train)
    return out


def train_eigenvalues(x: np.ndarray) -> list[float]:
    """Eigenvalues of the covariance of ``x`` ``[N, D]``, largest first: the λ_i of the
    linear VAE's closed forms for the data it was trained on (the nominal spectrum up to
    sampling error, ~1 % at 20,000 examples)."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    return np.sort(np.linalg.eigvalsh(np.cov(flat, rowvar=False)))[::-1].tolist()
