"""Run a whole hyperparameter grid as one compiled, vmapped, sharded program.

Grid = product of ``config.sweep`` axes (dynamic: arrays, vmapped) × product of
``config.sweep_static`` axes (one compile each). Each static point's runs go through
``jit(vmap(train))`` in chunks of at most ``config.sweep_chunk`` runs, the run axis
sharded over ``jax.devices()``. The host only loops over static points, chunks and
logged intervals; it syncs once per logged interval (for the progress bar and trace).
Mid-chunk state is checkpointed with orbax every ``config.checkpoint_every`` steps,
finished chunks are saved atomically, and a re-run resumes where it stopped.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import orbax.checkpoint as ocp
import xarray as xr
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P
from tqdm.auto import tqdm

from vaecollapse import config as config_lib
from vaecollapse import data, devices, diagnostics, models, train
from vaecollapse import workdir as workdir_lib

EVAL_SALT = 0x5EED  # eval keys are fold_in(run key, EVAL_SALT), apart from training keys


@dataclass(frozen=True)
class Grid:
    """The dynamic part of a sweep: named axes and the flat list of runs.

    ``hparams[name]`` is ``[num_runs]`` for every hyperparameter (swept or default);
    runs are in C order over ``axes`` (last axis fastest).
    """

    axes: dict[str, tuple]
    hparams: dict[str, np.ndarray]

    @property
    def num_runs(self) -> int:
        return math.prod(len(v) for v in self.axes.values())

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.axes.values())


def make_grid(
    config: ml_collections.ConfigDict,
    variants: list[tuple[str, dict[str, Any]]] | None = None,
) -> Grid:
    """The runs of the ``config.sweep`` product — crossed, when given, with named
    ``variants`` (a leading ``variant`` axis whose hyperparameter overrides apply first)."""
    axes = {name: tuple(values) for name, values in config.sweep.items()}
    overrides = dict(variants or [])
    if variants is not None:
        axes = {"variant": tuple(overrides), **axes}
    points = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    hparams = {}
    for name, default in config.hparams.items():
        column = [
            p.get(name, overrides.get(p.get("variant"), {}).get(name, default)) for p in points
        ]
        hparams[name] = np.asarray(column, np.int32 if name == "seed" else np.float32)
    return Grid(axes=axes, hparams=hparams)


def sweep_plan(config: ml_collections.ConfigDict) -> list[tuple[dict[str, Any], Grid]]:
    """(static point, its vmapped grid) for every compile of the sweep."""
    if config.variants:
        return [
            (point, make_grid(config, members))
            for point, members in config_lib.variant_groups(config)
        ]
    grid = make_grid(config)
    return [(point, grid) for point in config_lib.static_points(config)]


def run_bytes(config: ml_collections.ConfigDict, dataset: data.Dataset) -> int:
    """Estimated device memory of one run: 4× its training state (state, donated
    update, gradients, optimizer scratch) plus its trace. Activations are per run
    group, not per run, and are left out."""
    model = models.build(config.model, dataset.meta)
    fns = train.make_train_fns(config, model, dataset)
    hparams = {k: jnp.zeros((), jnp.int32 if k == "seed" else jnp.float32) for k in config.hparams}
    train_data = (
        jax.ShapeDtypeStruct(dataset.train.shape, dataset.train.dtype),
        jax.ShapeDtypeStruct(dataset.train.shape[:1], jnp.int32),
    )
    state = jax.eval_shape(fns.init, hparams, jax.random.PRNGKey(0), train_data)
    state_bytes = sum(x.size * x.dtype.itemsize for x in jax.tree_util.tree_leaves(state))
    num_logs = config.train.steps // config.train.log_every
    return 4 * state_bytes + 4 * num_logs * (4 + config.model.latent_dim)


def memory_budget(devices: list) -> int:
    """Half the free memory of ``devices`` (accelerator memory, or host RAM on CPU)."""
    stats = devices[0].memory_stats() or {}
    if "bytes_limit" in stats:
        return len(devices) * (stats["bytes_limit"] - stats.get("bytes_in_use", 0)) // 2
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2


def chunk_size(
    config: ml_collections.ConfigDict, num_runs: int, num_devices: int, per_run: int, budget: int
) -> int:
    """Runs per compiled call, a multiple of the device count: ``sweep_chunk`` if set,
    else as many as fit in ``budget`` bytes at ``per_run`` bytes each."""
    limit = config.sweep_chunk or max(1, budget // per_run)
    size = min(limit, num_runs)
    return math.ceil(size / num_devices) * num_devices


def _pad_runs(arrays: dict[str, np.ndarray], start: int, size: int) -> dict[str, np.ndarray]:
    """Rows ``start:start+size``, padded by repeating the last run (dropped later)."""
    out = {}
    for name, column in arrays.items():
        rows = column[start : start + size]
        pad = size - len(rows)
        out[name] = np.concatenate([rows, np.repeat(rows[-1:], pad, axis=0)]) if pad else rows
    return out


def map_runs(fn: Callable, mesh: Mesh, group: int, *, shared: int = 0, donate: bool = False):
    """``jit`` of ``fn`` mapped over the leading run axis of its arguments.

    The run axis is sharded over ``mesh``; on each device the runs go in groups of
    ``group`` (vmapped), one group after another (``lax.map``), so a group's state stays
    in cache for all its steps. ``group`` = 0 vmaps all of a device's runs at once. The
    last ``shared`` arguments are replicated (data), not mapped. Outputs are sharded
    over runs. Every run's result is that of ``fn`` on its own slice.
    """

    def local(*args):
        mapped, rest = args[: len(args) - shared], args[len(args) - shared :]
        per_device = jax.tree_util.tree_leaves(mapped)[0].shape[0]
        size = min(group, per_device) if group > 0 else per_device
        return jax.lax.map(lambda a: fn(*a, *rest), mapped, batch_size=size)

    def sharded(*args):
        specs = (P("runs"),) * (len(args) - shared) + (P(),) * shared
        return jax.shard_map(
            local, mesh=mesh, in_specs=specs, out_specs=P("runs"), check_vma=False
        )(*args)

    return jax.jit(sharded, donate_argnums=(0,) if donate else ())


class ChunkRunner:
    """Compiled init/advance/evaluate for one static grid point (compiled once)."""

    def __init__(self, config: ml_collections.ConfigDict, dataset: data.Dataset, mesh: Mesh):
        self.config = config
        model = models.build(config.model, dataset.meta)
        fns = train.make_train_fns(config, model, dataset)
        evaluate = diagnostics.make_evaluate(config, model)
        self.runs = NamedSharding(mesh, P("runs"))
        replicated = NamedSharding(mesh, P())
        self.train_data = jax.device_put(
            train.data_arrays(dataset.train, dataset.train_labels), replicated
        )
        n_eval = config.train.eval_examples
        self.eval_data = jax.device_put(
            train.data_arrays(
                dataset.test[:n_eval],
                None if dataset.test_labels is None else dataset.test_labels[:n_eval],
            ),
            replicated,
        )
        self.num_logs = config.train.steps // config.train.log_every
        self.steps = (np.arange(self.num_logs, dtype=np.int32) + 1) * config.train.log_every
        group = devices.run_group(config.run_group, mesh.devices.flat[0].platform)
        self.init = map_runs(fns.init, mesh, group, shared=1)
        self.advance = map_runs(fns.advance, mesh, group, shared=1, donate=True)
        self.evaluate = map_runs(evaluate, mesh, group, shared=2)

    def run(self, hparams: dict[str, np.ndarray], ckpt_dir: Path, progress: tqdm) -> dict:
        """Train and evaluate one chunk of runs, resuming from ``ckpt_dir`` if present."""
        cfg = self.config
        size = len(hparams["seed"])
        h = jax.device_put({k: jnp.asarray(v) for k, v in hparams.items()}, self.runs)
        keys = jax.device_put(jax.vmap(jax.random.PRNGKey)(jnp.asarray(hparams["seed"])), self.runs)
        state = self.init(h, keys, self.train_data)
        trace = _empty_trace(size, self.num_logs, cfg.model.latent_dim)
        manager = ocp.CheckpointManager(
            ckpt_dir.absolute(),
            options=ocp.CheckpointManagerOptions(max_to_keep=1, enable_async_checkpointing=False),
        )
        start = manager.latest_step() or 0  # checkpoint step = logged intervals done
        if start:
            restored = manager.restore(
                start, args=ocp.args.StandardRestore({"state": state, "trace": trace})
            )
            state, trace = (
                restored["state"],
                {k: np.asarray(v) for k, v in restored["trace"].items()},
            )
            progress.update(size * start * cfg.train.log_every)
        logs_per_ckpt = max(1, cfg.checkpoint_every // cfg.train.log_every)
        for i in range(start, self.num_logs):
            state, row = self.advance(state, h, keys, self.train_data)
            for name, value in jax.device_get(row).items():
                trace[name][:, i] = value
            progress.update(size * cfg.train.log_every)
            if (i + 1) % logs_per_ckpt == 0 and i + 1 < self.num_logs:
                manager.save(i + 1, args=ocp.args.StandardSave({"state": state, "trace": trace}))
        manager.close()
        eval_keys = jax.vmap(lambda k: jax.random.fold_in(k, EVAL_SALT))(keys)
        kl_trace = jax.device_put(jnp.asarray(trace["kl"]), self.runs)
        metrics = self.evaluate(state.params, eval_keys, h, kl_trace, self.eval_data, self.steps)
        out = {f"{k}_trace": v for k, v in trace.items()}
        fate = {"diverged": state.diverged, "diverged_step": state.diverged_step}
        out.update(jax.device_get({**metrics, **fate}))  # the chunk's one final transfer
        return out


def _empty_trace(size: int, num_logs: int, latent_dim: int) -> dict[str, np.ndarray]:
    scalars = ("loss", "recon", "kl", "beta", "mutual_info")
    trace = {k: np.full((size, num_logs), np.nan, np.float32) for k in scalars}
    trace["active_units"] = np.full((size, num_logs), -1, np.int32)
    trace["kl_per_dim"] = np.full((size, num_logs, latent_dim), np.nan, np.float32)
    return trace


def run_sweep(
    config: ml_collections.ConfigDict,
    workdir: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
) -> xr.Dataset:
    """Train every grid point of ``config``; write and return ``workdir/results.nc``.

    Re-running with the same config and workdir resumes from the last checkpoint and
    gives the same results as an uninterrupted run.
    """
    config_lib.validate(config)
    dataset = data.load(config.data)
    if config.train.batch_size > len(dataset.train):
        raise ValueError(
            f"config.train.batch_size={config.train.batch_size} is invalid: must be <= the "
            f"{len(dataset.train)} training examples of data {config.data.name!r}"
        )
    started = time.time()
    plan = sweep_plan(config)
    devices = jax.devices()
    mesh = Mesh(np.array(devices), ("runs",))
    per_run = max(run_bytes(c, dataset) for c in config_lib.iter_static_configs(config))
    budget = memory_budget(devices)
    sizes = [chunk_size(config, g.num_runs, len(devices), per_run, budget) for _, g in plan]
    num_chunks = [math.ceil(g.num_runs / size) for (_, g), size in zip(plan, sizes, strict=True)]
    if progress:
        print(
            f"vaecollapse: {sum(g.num_runs for _, g in plan)} runs in {len(plan)} static "
            f"point(s) on {len(devices)} {devices[0].device_kind} device(s); "
            f"~{per_run / 2**20:.2f} MiB per run, budget {budget / 2**20:.0f} MiB -> "
            f"{sum(num_chunks)} chunk(s) of <= {max(sizes)} runs"
            + ("" if config.sweep_chunk else " (set sweep_chunk to override)"),
            file=sys.stderr,
        )
    total = sum(n * size for n, size in zip(num_chunks, sizes, strict=True)) * config.train.steps
    with (
        workdir_lib.claim(workdir, config, overwrite=overwrite) as wd,
        tqdm(
            total=total, unit="run-step", unit_scale=True, disable=not progress, smoothing=0.1
        ) as bar,
    ):
        per_point = []
        for p, (point, grid) in enumerate(plan):
            static_cfg = config_lib.with_static(config, point)
            runner = None  # compiled lazily: a fully finished point needs no compile
            chunks = []
            size = sizes[p]
            for c in range(num_chunks[p]):
                bar.set_description(f"point {p + 1}/{len(plan)} chunk {c + 1}/{num_chunks[p]}")
                done = wd / "chunks" / f"point{p}_chunk{c}.npz"
                if done.exists():
                    chunks.append(workdir_lib.load_npz(done))
                    bar.update(size * config.train.steps)
                    continue
                runner = runner or ChunkRunner(static_cfg, dataset, mesh)
                ckpt = wd / "checkpoints" / f"point{p}_chunk{c}"
                result = runner.run(_pad_runs(grid.hparams, c * size, size), ckpt, bar)
                workdir_lib.save_npz(done, result)
                shutil.rmtree(ckpt, ignore_errors=True)
                chunks.append(result)
            per_point.append(
                {k: np.concatenate([ch[k] for ch in chunks])[: grid.num_runs] for k in chunks[0]}
            )
        results = assemble(config, plan, per_point, dataset)
        results.attrs["wall_time_s"] = time.time() - started
        results.attrs["device_kind"] = devices[0].device_kind
        results.attrs["num_devices"] = len(devices)
        with workdir_lib.atomic_path(wd / "results.nc") as tmp:
            results.to_netcdf(tmp, engine="netcdf4")
    return results


def _grid_axes(config: ml_collections.ConfigDict, plan) -> dict[str, tuple]:
    """Every results axis of the grid, in order: static axes then dynamic ones, or
    ``variant`` then the dynamic ones."""
    sweep_axes = {name: tuple(values) for name, values in config.sweep.items()}
    if config.variants:
        return {"variant": tuple(name for name, _ in config.variants), **sweep_axes}
    return {**dict(config.sweep_static.items()), **plan[0][1].axes}


def _runs_in_grid_order(config, plan, per_point, name, latent) -> np.ndarray:
    """One variable of every run, ``[runs, ...]`` in the C order of `_grid_axes`."""
    arrays = [_pad_latent(p[name], name, latent) for p in per_point]
    if not config.variants:
        return np.concatenate(arrays)
    by_variant = {}  # each point's runs are variant-major
    for (_, grid), array in zip(plan, arrays, strict=True):
        rows = array.reshape(len(grid.axes["variant"]), -1, *array.shape[1:])
        by_variant.update(zip(grid.axes["variant"], rows, strict=True))
    return np.concatenate([by_variant[name] for name, _ in config.variants])


def assemble(
    config: ml_collections.ConfigDict,
    plan: list[tuple[dict[str, Any], Grid]],
    per_point: list[dict[str, np.ndarray]],
    dataset: data.Dataset,
) -> xr.Dataset:
    """Labelled results: the grid axes (`_grid_axes`), then ``step``/``latent``/…"""
    axes = _grid_axes(config, plan)
    latent = max(p["kl_per_dim"].shape[-1] for p in per_point)
    steps = (np.arange(config.train.steps // config.train.log_every) + 1) * config.train.log_every
    grid_dims = list(axes)
    grid_shape = tuple(len(v) for v in axes.values())
    variables = {}
    for name in per_point[0]:
        runs = _runs_in_grid_order(config, plan, per_point, name, latent)
        extra_dims = _extra_dims(name, runs.ndim - 1)
        variables[name] = (grid_dims + extra_dims, runs.reshape(grid_shape + runs.shape[1:]))
    coords = {name: _coord(values) for name, values in axes.items()}
    centres = lambda edges: (edges[1:] + edges[:-1]) / 2  # noqa: E731
    coords.update(
        step=steps,
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
        format_version=workdir_lib.FORMAT_VERSION,
        config=workdir_lib.config_json(config),
        experiment=config.name,
        data_name=config.data.name,
        data_shape=list(dataset.meta["shape"]),
        data_kind=dataset.meta["kind"],
        marginal_nll=diagnostics.marginal_nll(
            dataset.train, dataset.test[: config.train.eval_examples], dataset.meta["kind"]
        ),
        versions=json.dumps(_versions()),
    )
    if "mi_bound" in dataset.meta:  # I(x; generating factor), e.g. log K topics
        results.attrs["mi_bound"] = dataset.meta["mi_bound"]
    return results


_PER_DIM = {"kl_per_dim", "unit_activity", "dim_active"}


_EXTRA_DIMS = {
    "recon_examples": ["example", "pixel"],
    "interpolation": ["frame", "pixel"],
    "prior_samples": ["example", "pixel"],
    "mu_hist": ["mu_bin"],
    "sigma_hist": ["sigma_bin"],
}


def _extra_dims(name: str, ndim: int) -> list[str]:
    """Names of a variable's dims after the grid's (``ndim`` of them)."""
    if name.endswith("_trace"):
        return ["step", "latent"][:ndim]
    if name in _EXTRA_DIMS:
        return _EXTRA_DIMS[name]
    return ["latent"] if name in _PER_DIM else []


def _pad_latent(array: np.ndarray, name: str, latent: int) -> np.ndarray:
    """Pad a per-dim array to ``latent`` dims (static latent_dim axes differ)."""
    if name not in _PER_DIM and name != "kl_per_dim_trace":
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


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    names = ("vaecollapse", "jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "numpy")
    return {n: version(n) for n in names}
