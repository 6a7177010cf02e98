"""Before the first compile: can the end of this run be written?

A sweep's last steps write ``results.nc`` (netCDF4), draw the figures (matplotlib's Agg
backend) and, on the way, checkpoints and finished chunks. `check` makes sure each of
those can happen before any training, so a run never loses its work at the very end.
The workdir's own writability is `workdir.claim`'s check.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

SAFETY = 2.0  # free disk wanted: this many times the estimate
OVERHEAD = 2**20  # bytes: results.nc's metadata, config, data pictures; config.json, locks


def disk_needed(per_run: int, chunk: int, num_runs: int, run_results: int) -> int:
    """Bytes a sweep writes at most: one chunk's checkpoint (the state of its runs), the
    finished chunks plus results.nc (each run's results twice) and a fixed `OVERHEAD`."""
    return per_run * chunk + 2 * run_results * num_runs + OVERHEAD


def check(workdir: Path, needed: int) -> None:
    """Raise ValueError, in one line, if results.nc or the figures could not be written
    at the end, or the disk under ``workdir`` has less than `SAFETY` × ``needed`` free."""
    for module, what in (("netCDF4", "results.nc"), ("matplotlib.pyplot", "the figures")):
        try:
            importlib.import_module(module)
        except Exception as err:
            raise ValueError(
                f"{module} does not import ({type(err).__name__}: {err}), so {what} could not "
                "be written after training; reinstall vaecollapse's dependencies"
            ) from None
    free = shutil.disk_usage(workdir).free
    if free < SAFETY * needed:
        raise ValueError(
            f"--workdir {str(workdir)!r} has {free / 2**20:.0f} MiB free; this sweep writes up "
            f"to ~{needed / 2**20:.0f} MiB (checkpoints, chunks, results.nc): free "
            f"{SAFETY * needed / 2**20:.0f} MiB or use a smaller grid or sweep_chunk"
        )
