"""Run a whole hyperparameter grid as one compiled, vmapped, sharded program.

`grid.plan` says which runs compile together (one compile per static point). Each
static point's runs go through ``jit(vmap(train))`` in chunks of at most
``config.sweep_chunk`` runs, the run axis sharded over ``jax.devices()``. The host
only loops over static points, chunks and logged intervals; it syncs once per logged
interval (for the progress bar and trace). Mid-chunk state is checkpointed with orbax
every ``config.checkpoint_every`` steps, finished chunks are saved atomically, and a
re-run resumes where it stopped; `results.write` saves the labelled results.

Across processes (`multihost`, after ``jax.distributed.initialize``) the mesh holds
every process's devices, each process builds only its own shards, every host decision
is taken alike by all, and process 0 alone writes chunks, results and the progress bar.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import orbax.checkpoint as ocp
import xarray as xr
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P
from tqdm.auto import tqdm

from vaecollapse import assemble, data, devices, families, grid, multihost, preflight, results
from vaecollapse import workdir as workdir_lib

EVAL_SALT = 0x5EED  # eval keys are fold_in(run key, EVAL_SALT), apart from training keys


class Interrupted(Exception):  # noqa: N818 (a stop asked for, not an error)
    """The sweep stopped when asked (``stop`` set): the state at the end of the last
    logged interval is checkpointed, finished chunks are saved; re-running resumes."""


def run_bytes(config: ml_collections.ConfigDict, dataset: data.Dataset) -> int:
    """Estimated device memory of one run: 4× its training state (state, donated
    update, gradients, optimizer scratch) plus its trace. Activations are per run
    group, not per run, and are left out."""
    return _run_bytes(config, families.of_config(config).trainer(config, dataset))


def _run_bytes(config: ml_collections.ConfigDict, trainer: families.Trainer) -> int:
    state = jax.eval_shape(trainer.init, jax.random.PRNGKey(0))
    state_bytes = sum(x.size * x.dtype.itemsize for x in jax.tree_util.tree_leaves(state))
    num_logs = config.train.steps // config.train.log_every
    return 4 * state_bytes + num_logs * trainer.trace_bytes


def _result_bytes(family, config, dataset, trainer: families.Trainer) -> int:
    """Bytes of one run's results: the family's estimate, or its traces' bytes."""
    if family.result_bytes:
        return families.resolve(family.result_bytes)(config, dataset)
    return trainer.trace_bytes * (config.train.steps // config.train.log_every)


def memory_budget(device_list: list) -> int:
    """Half the free memory of ``device_list`` (accelerator memory, or host RAM on CPU)."""
    stats = device_list[0].memory_stats() or {}
    if "bytes_limit" in stats:
        return len(device_list) * (stats["bytes_limit"] - stats.get("bytes_in_use", 0)) // 2
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2


def chunk_size(
    config: ml_collections.ConfigDict, num_runs: int, num_devices: int, per_run: int, budget: int
) -> int:
    """Runs per compiled call, a multiple of the device count: ``sweep_chunk`` if set,
    else as many as fit in ``budget`` bytes at ``per_run`` bytes each."""
    limit = config.sweep_chunk or max(1, budget // per_run)
    size = min(limit, num_runs)
    return math.ceil(size / num_devices) * num_devices


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

    def __init__(
        self,
        config: ml_collections.ConfigDict,
        dataset: data.Dataset,
        mesh: Mesh,
        trainer: families.Trainer | None = None,
    ):
        self.config = config
        trainer = trainer or families.of_config(config).trainer(config, dataset)
        self.trace_spec, self.evaluate_traces = trainer.trace, trainer.evaluate_traces
        self.runs = NamedSharding(mesh, P("runs"))
        replicated = NamedSharding(mesh, P())
        self.train_data = multihost.put(trainer.train_data, replicated)
        self.eval_data = multihost.put(trainer.eval_data, replicated)
        self.steps = results.logged_steps(config)
        self.num_logs = len(self.steps)
        group = devices.run_group(config.run_group, mesh.devices.flat[0].platform)
        self.init = map_runs(trainer.init, mesh, group)
        self.advance = map_runs(trainer.advance, mesh, group, shared=1, donate=True)
        self.evaluate = map_runs(trainer.evaluate, mesh, group, shared=2)

    def run(
        self,
        hparams: dict[str, np.ndarray],
        ckpt_dir: Path,
        progress: tqdm,
        stop: threading.Event | None = None,
    ) -> dict:
        """Train and evaluate one chunk of runs, resuming from ``ckpt_dir`` if present.

        Raises:
          Interrupted: ``stop`` was set; checked at the end of every logged interval,
            whose state is then checkpointed.
        """
        cfg = self.config
        size = len(hparams["seed"])
        h = multihost.put(hparams, self.runs)
        keys = multihost.put(jax.vmap(jax.random.PRNGKey)(jnp.asarray(hparams["seed"])), self.runs)
        state = self.init(keys)
        trace = {
            name: np.full((size, self.num_logs, *t.shape), t.fill, t.dtype)
            for name, t in self.trace_spec.items()
        }
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
            for name, value in multihost.fetch(row).items():
                trace[name][:, i] = value
            progress.update(size * cfg.train.log_every)
            if i + 1 == self.num_logs:  # trained: evaluate and finish the chunk
                break
            stopping = multihost.agree(stop is not None and stop.is_set())
            if (i + 1) % logs_per_ckpt == 0 or stopping:
                manager.save(i + 1, args=ocp.args.StandardSave({"state": state, "trace": trace}))
            if stopping:
                manager.close()
                raise Interrupted(f"step {(i + 1) * cfg.train.log_every}/{cfg.train.steps}")
        manager.close()
        eval_keys = jax.vmap(lambda k: jax.random.fold_in(k, EVAL_SALT))(keys)
        traces = multihost.put({k: trace[k] for k in self.evaluate_traces}, self.runs)
        metrics = self.evaluate(state, eval_keys, h, traces, self.eval_data, self.steps)
        out = {f"{k}_trace": v for k, v in trace.items()}
        fate = {"diverged": state.diverged, "diverged_step": state.diverged_step}
        out.update(multihost.fetch({**metrics, **fate}))  # the chunk's one final transfer
        return out


def run_sweep(
    config: ml_collections.ConfigDict,
    workdir: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
    stop: threading.Event | None = None,
) -> xr.Dataset:
    """Train every grid point of ``config``; write and return ``workdir/results.nc``.

    Re-running with the same config and workdir resumes from the last checkpoint and
    gives the same results as an uninterrupted run; on a workdir refined since
    (`vaecollapse.refine`) it returns the refined results as they are.

    Raises:
      Interrupted: ``stop`` was set (e.g. by Ctrl-C in the CLI): the sweep stopped at the
        end of the current logged interval, with that state checkpointed.
    """
    grid.validate(config)
    dataset = data.load(config.data)
    if config.train.batch_size > len(dataset.train):
        raise ValueError(
            f"config.train.batch_size={config.train.batch_size} is invalid: must be <= the "
            f"{len(dataset.train)} training examples of data {config.data.name!r}"
        )
    family = families.of_config(config)
    if family.check_data:
        families.resolve(family.check_data)(config, dataset)
    started = time.time()
    plan = grid.plan(config)
    device_list = jax.devices()
    mesh = Mesh(np.array(device_list), ("runs",))
    statics = list(grid.static_configs(config))
    trainers = [family.trainer(c, dataset) for c in statics]  # shapes only, nothing traced
    per_run = max(_run_bytes(c, t) for c, t in zip(statics, trainers, strict=True))
    budget = memory_budget(jax.local_devices()) * jax.process_count()
    num_devices = len(device_list)
    sizes = [chunk_size(config, p.grid.num_runs, num_devices, per_run, budget) for p in plan]
    sizes = [int(s) for s in multihost.same(np.asarray(sizes))]  # process 0's plan for all
    primary = multihost.is_primary()  # prints the estimates, with or without the bar
    progress = progress and primary
    num_chunks = [math.ceil(p.grid.num_runs / size) for p, size in zip(plan, sizes, strict=True)]
    num_runs = sum(p.grid.num_runs for p in plan)
    if primary:
        print(
            f"vaecollapse: {num_runs} runs in {len(plan)} static "
            f"point(s) on {num_devices} {device_list[0].device_kind} device(s)"
            f"{f' in {jax.process_count()} processes' if jax.process_count() > 1 else ''}; "
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
        needed = preflight.disk_needed(
            per_run,
            max(sizes),
            num_runs,
            max(
                _result_bytes(family, c, dataset, t) for c, t in zip(statics, trainers, strict=True)
            ),
        )
        multihost.together(lambda: preflight.check(wd, needed), "the preflight check")
        if primary:
            print(f"vaecollapse: writes up to ~{needed / 2**20:.1f} MiB to {wd}", file=sys.stderr)
        if multihost.same((wd / results.FILENAME).exists()):
            done = results.load(wd)
            if done.attrs.get("refine_rounds"):  # re-assembling would drop the refined runs
                return done
        spent = _spent_before(wd)  # earlier processes' time on this workdir

        def account() -> None:  # after each chunk, and when this process stops or fails
            if multihost.is_primary():
                _record_spent(wd, spent + time.time() - started)

        try:
            per_point = _train_points(
                config, plan, statics, trainers, sizes, num_chunks, dataset, mesh, wd, bar, stop,
                account,
            )  # fmt: skip
        finally:  # an interrupted or crashed process's time counts when the sweep resumes
            account()
        out = assemble.assemble(config, plan, per_point, dataset, trainers[0].trace)
        out.attrs["wall_time_s"] = spent + time.time() - started
        out.attrs["device_kind"] = device_list[0].device_kind
        out.attrs["num_devices"] = num_devices
        out.attrs["num_processes"] = jax.process_count()
        if multihost.is_primary():
            results.write(out, wd)
        multihost.barrier("results written")  # none returns before results.nc exists
    return out


# in workdir/chunks: the seconds the processes before this one spent on the sweep (each
# up to its last finished chunk, or to its stop or failure), so that a resumed sweep's
# ``wall_time_s`` is the whole sweep's
SPENT = "wall_time_s.txt"


def _spent_before(wd: Path) -> float:
    path = wd / "chunks" / SPENT
    return float(multihost.same(np.float64(path.read_text() if path.exists() else 0.0)))


def _record_spent(wd: Path, seconds: float) -> None:
    (wd / "chunks").mkdir(parents=True, exist_ok=True)
    (wd / "chunks" / SPENT).write_text(repr(float(seconds)))


def _train_points(
    config, plan, statics, trainers, sizes, num_chunks, dataset, mesh, wd, bar, stop, saved
):
    """Every chunk of every static point, trained (or loaded where a finished chunk was
    saved; ``saved()`` after each new one); returns each point's runs, concatenated."""
    per_point = []
    for p, point in enumerate(plan):
        static_cfg = statics[p]  # `grid.static_configs` is in plan order
        runner = None  # compiled lazily: a fully finished point needs no compile
        chunks = []
        size = sizes[p]
        for c in range(num_chunks[p]):
            where = f"point {p + 1}/{len(plan)} chunk {c + 1}/{num_chunks[p]}"
            bar.set_description(where)
            done = wd / "chunks" / f"point{p}_chunk{c}.npz"
            if multihost.same(done.exists()):  # process 0 wrote it
                chunks.append(workdir_lib.load_npz(done))
                bar.update(size * config.train.steps)
                continue
            runner = runner or ChunkRunner(static_cfg, dataset, mesh, trainers[p])
            ckpt = wd / "checkpoints" / f"point{p}_chunk{c}"
            if multihost.agree(stop is not None and stop.is_set()):
                raise Interrupted(f"{where}, before it started")
            try:
                chunk_runs = grid.pad_runs(point.grid.hparams, c * size, size)
                result = runner.run(chunk_runs, ckpt, bar, stop)
            except Interrupted as stopped:
                raise Interrupted(f"{where}, {stopped}") from None
            if multihost.is_primary():
                workdir_lib.save_npz(done, result)
                shutil.rmtree(ckpt, ignore_errors=True)
            saved()
            chunks.append(result)
        per_point.append(
            {k: np.concatenate([ch[k] for ch in chunks])[: point.grid.num_runs] for k in chunks[0]}
        )
    return per_point
