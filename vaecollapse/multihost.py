"""Several processes, one sweep: `jax.distributed` set-up and the few collectives a sweep
needs, each also correct (and collective-free) in a single process.

In a multi-process run every process runs the same host loop over the same plan; the
run axis is sharded over the global mesh of every process's devices, and each process
builds only the shards its own devices hold (`put`). Whatever the host decides — is a
chunk done, stop now, did set-up fail — every process must decide alike, or the
others wait forever in the next collective: `agree`, `same` and `together` make it so.
Process 0 alone writes results, plots and summary (`is_primary`); the workdir must be
on a filesystem every process sees (orbax checkpoints need that too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import jax
import numpy as np
from jax.experimental import multihost_utils

T = TypeVar("T")


def initialize(
    coordinator_address: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
) -> None:
    """`jax.distributed.initialize` with gloo collectives for CPU processes.

    Without arguments JAX detects the cluster itself (SLURM, Open MPI, TPU pods,
    Kubernetes). Must run before the first JAX computation.
    """
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(
        coordinator_address=coordinator_address,
        num_processes=num_processes,
        process_id=process_id,
    )


def is_primary() -> bool:
    """Whether this process writes the run's files (process 0)."""
    return jax.process_index() == 0


def put(tree: Any, sharding: jax.sharding.Sharding) -> Any:
    """Host arrays (the same on every process) as global arrays of ``sharding``; each
    process builds only the shards of its own devices."""

    def one(x):
        x = np.asarray(x)
        return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])

    return jax.tree_util.tree_map(one, tree)


def fetch(tree: Any) -> Any:
    """Global arrays as whole NumPy arrays on every process (one device-to-host transfer
    in a single process; an all-gather across processes otherwise)."""
    if jax.process_count() == 1:
        return jax.device_get(tree)
    return multihost_utils.process_allgather(tree, tiled=True)


def agree(flag: bool) -> bool:
    """True on every process if ``flag`` is true on any."""
    if jax.process_count() == 1:
        return bool(flag)
    return bool(np.any(multihost_utils.process_allgather(np.asarray(flag))))


def same(value: T) -> T:
    """Process 0's ``value`` (a bool, int or NumPy array), on every process."""
    if jax.process_count() == 1:
        return value
    out = multihost_utils.broadcast_one_to_all(np.asarray(value))
    return type(value)(out) if isinstance(value, bool | int) else out


def together(step: Callable[[], T], what: str) -> T:
    """``step()`` on every process; if it raised on any, raise on all (the process's own
    error where it failed, else one naming the process that did), so none waits on a
    collective the others never reach."""
    error = None
    try:
        out = step()
    except (ValueError, RuntimeError, OSError) as err:
        error = err
    if jax.process_count() > 1:
        failed = multihost_utils.process_allgather(np.asarray(error is not None))
        if error is None and np.any(failed):
            first = int(np.argmax(failed))
            raise RuntimeError(f"{what} failed on process {first}; its log says why")
    if error is not None:
        raise error
    return out


def check_same_config(config_hash: str) -> None:
    """Raise ValueError on every process unless all were given the same config, told
    apart by ``config_hash`` (`workdir.config_hash`, the same length on every process)."""
    if jax.process_count() == 1:
        return
    digests = multihost_utils.process_allgather(np.frombuffer(config_hash.encode(), np.uint8))
    differ = [i for i, d in enumerate(digests) if not np.array_equal(d, digests[0])]
    if differ:
        raise ValueError(
            f"processes {differ} were given a different config from process 0; launch "
            "every process with the same config file and flags"
        )


def barrier(name: str) -> None:
    """Wait until every process reaches ``name``."""
    if jax.process_count() > 1:
        multihost_utils.sync_global_devices(name)
