"""The writing side of the results format: a sweep's runs, labelled as `results` describes.

`assemble` turns the per-compile ``{variable: [runs, ...]}`` arrays of `sweep.run_sweep`
into the xarray Dataset that `results.write` saves: the grid axes of the config and its
plan (`grid_axes`), the dims of each variable (its family's `Trainer.trace` and
``variable_dims``), the attributes every results file has, and what the family adds
(`family.Family.finish`). It needs the plan and the dataset, so it lives apart from
`results`, which reads without them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import ml_collections
import numpy as np
import xarray as xr

from vaecollapse import data, families, grid, results
from vaecollapse import workdir as workdir_lib


def grid_axes(config: ml_collections.ConfigDict, plan: Sequence[grid.StaticPoint]) -> dict:
    """Every grid axis of the results, in order: static axes then dynamic ones, or
    ``variant`` then the dynamic ones."""
    sweep_axes = {name: tuple(values) for name, values in config.sweep.items()}
    if config.variants:
        return {"variant": tuple(name for name, _ in config.variants), **sweep_axes}
    return {**dict(config.sweep_static.items()), **plan[0].grid.axes}


def _runs_in_grid_order(config, plan, arrays) -> np.ndarray:
    """One variable of every run (``arrays``: one per compile, in its grid's run order),
    ``[runs, ...]`` in the C order of `grid_axes`."""
    if not config.variants:
        return np.concatenate(arrays)
    by_variant = {}  # each point's runs are variant-major
    for point, array in zip(plan, arrays, strict=True):
        variants = point.grid.axes["variant"]
        rows = array.reshape(len(variants), -1, *array.shape[1:])
        by_variant.update(zip(variants, rows, strict=True))
    return np.concatenate([by_variant[name] for name, _ in config.variants])


def _pad(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Arrays of one variable from several compiles, padded to a common trailing size
    (a per-unit variable when a static axis such as ``latent_dim`` changes the number
    of units): NaN, or False for booleans."""
    size = max(a.shape[-1] if a.ndim > 1 else 0 for a in arrays)
    out = []
    for a in arrays:
        pad = size - a.shape[-1] if a.ndim > 1 else 0
        fill = False if a.dtype == bool else np.nan
        out.append(
            np.pad(a, [(0, 0)] * (a.ndim - 1) + [(0, pad)], constant_values=fill) if pad else a
        )
    return out


def _coord(values: tuple) -> np.ndarray:
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(values)
    return np.asarray([str(v) for v in values])


def variable_dims(
    family: families.Family, trace: Mapping[str, families.Trace], name: str
) -> list[str]:
    """Names of a variable's dims after the grid's: ``step`` and the trace's own for a
    ``NAME_trace``, the family's ``variable_dims`` otherwise (none: a scalar per run)."""
    if name.endswith("_trace") and name[: -len("_trace")] in trace:
        return ["step", *trace[name[: -len("_trace")]].dims]
    return list(family.variable_dims.get(name, ()))


def measure_runs(
    variable: tuple, measure, unit_dims: Mapping[str, str] | None = None
) -> dict[str, tuple[list[str], np.ndarray]]:
    """A family's per-run measures (its `family.Family.finish`): ``variable`` is
    ``(dims, values)`` of one array per run, the grid's dims then two of the run's own;
    ``measure(run) -> {name: value}`` measures one run; each name comes back stacked over
    the grid, ``(dims, values)``, with the dim ``unit_dims[name]`` after the grid's for a
    per-unit value (a vector per run). Integers stay integers (as int32), the rest float64."""
    dims, values = variable
    grid_dims = list(dims[:-2])
    values = np.asarray(values)
    per_run = [measure(run) for run in values.reshape(-1, *values.shape[-2:])]
    unit_dims = unit_dims or {}
    out = {}
    for name in per_run[0]:
        value = np.asarray([m[name] for m in per_run])
        value = value.astype(np.int32 if np.issubdtype(value.dtype, np.integer) else np.float64)
        unit = [unit_dims[name]] if name in unit_dims else []
        out[name] = ([*grid_dims, *unit], value.reshape(*values.shape[:-2], *value.shape[1:]))
    return out


def assemble(
    config: ml_collections.ConfigDict,
    plan: Sequence[grid.StaticPoint],
    per_point: Sequence[dict[str, np.ndarray]],
    dataset: data.Dataset,
    trace: Mapping[str, families.Trace],
) -> xr.Dataset:
    """The labelled results of a sweep.

    Args:
      config: the sweep's config (finalised).
      plan: its compiles (`grid.plan`).
      per_point: for each compile, ``{variable: [runs, ...]}`` in its grid's run order.
      dataset: the data the runs were trained and evaluated on.
      trace: what the family's `family.Trainer` logs (the dims of the traces).
    """
    family = families.of_config(config)
    axes = grid_axes(config, plan)
    grid_dims = list(axes)
    grid_shape = tuple(len(v) for v in axes.values())
    variables = {}
    for name in per_point[0]:
        runs = _runs_in_grid_order(config, plan, _pad([p[name] for p in per_point]))
        dims = grid_dims + variable_dims(family, trace, name)
        variables[name] = (dims, runs.reshape(grid_shape + runs.shape[1:]))
    coords = {name: _coord(values) for name, values in axes.items()}
    coords["step"] = results.logged_steps(config)
    attrs = dict(
        format_version=results.FORMAT_VERSION,
        config=workdir_lib.config_json(config),
        experiment=config.name,
        data_name=config.data.name,
        data_shape=list(dataset.meta["shape"]),
        data_kind=dataset.meta["kind"],
        versions=json.dumps(results.versions()),
    )
    if family.finish:
        extra, extra_coords, extra_attrs = families.resolve(family.finish)(
            config, dataset, variables
        )
        variables.update(extra)  # a None drops a variable the family measured from
        variables = {k: v for k, v in variables.items() if v is not None}
        coords.update(extra_coords)
        attrs.update(extra_attrs)
    out = xr.Dataset(variables, coords=coords)
    out.attrs.update(attrs)
    return out
