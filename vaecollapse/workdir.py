"""Workdir safety: one writer at a time, one config per workdir, atomic files.

A workdir holds ``config.json`` (the config it was started with), ``.lock`` (held
by the running process), ``checkpoints/`` (orbax, mid-chunk state), ``chunks/``
(finished chunks as ``.npz``) and ``results.nc``. Every file is written to a
temporary name and renamed, so a killed process never leaves a half-written file
that is later read as valid.

Writing a file atomically needs no JAX (`results.write`, which `refine` calls on the
reading side); only `claim`, which agrees with the other processes of a run, loads
`multihost` (and with it JAX), when it is called.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np


def config_json(config: Any) -> str:
    """Canonical JSON of a ConfigDict (sorted keys), the identity of a run."""
    return json.dumps(config.to_dict(), sort_keys=True, default=list)


def config_hash(config: Any) -> str:
    return _digest(config_json(config))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


@contextlib.contextmanager
def claim(workdir: Path, config: Any, *, overwrite: bool = False) -> Iterator[Path]:
    """Lock ``workdir`` for this run and check it belongs to ``config``.

    In a multi-process run every process calls it: all must hold the same config, and
    process 0 takes the lock and checks (or, with ``overwrite``, clears) the workdir;
    an error there is raised on every process.

    Raises:
      RuntimeError: another run holds the lock.
      ValueError: the workdir cannot be made or written (a file, read-only, no access).
      ValueError: the workdir holds a different config (unless ``overwrite``, which
        deletes its previous contents).
      ValueError: the processes of a multi-process run hold different configs.
    """
    from vaecollapse import multihost  # JAX: the writing side only (module docstring)

    multihost.check_same_config(config_hash(config))
    with contextlib.ExitStack() as stack:

        def take() -> Path:
            if multihost.is_primary():
                return stack.enter_context(_claim_here(workdir, config, overwrite=overwrite))
            return Path(workdir).absolute()

        yield multihost.together(take, "claiming the workdir")


@contextlib.contextmanager
def _claim_here(workdir: Path, config: Any, *, overwrite: bool) -> Iterator[Path]:
    """`claim` in this process: the lock, the config check, ``overwrite``."""
    workdir = Path(workdir).absolute()
    if workdir.exists() and not workdir.is_dir():
        raise ValueError(f"--workdir {str(workdir)!r} is a file, not a directory; give another")
    try:
        workdir.mkdir(parents=True, exist_ok=True)
        lock = open(workdir / ".lock", "w")  # noqa: SIM115 (held for the with-block below)
    except OSError as err:
        raise ValueError(
            f"--workdir {str(workdir)!r} is not usable: {err.strerror or err}; "
            "give a directory you can write to"
        ) from None
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(
                f"workdir {str(workdir)!r} is in use by another vaecollapse process "
                f"(lock {str(workdir / '.lock')!r}); wait for it or use another --workdir"
            ) from None
        saved = workdir / "config.json"
        current = config_json(config)
        if saved.exists() and saved.read_text() != current:
            if not overwrite:
                raise ValueError(
                    f"workdir {str(workdir)!r} holds results of a different config "
                    f"(hash {_digest(saved.read_text())} "
                    f"!= {config_hash(config)}); pass --overwrite to discard them, or use "
                    f"another --workdir"
                )
            for name in ("checkpoints", "chunks"):
                shutil.rmtree(workdir / name, ignore_errors=True)
            (workdir / "results.nc").unlink(missing_ok=True)
        with atomic_path(saved) as tmp:
            tmp.write_text(current)
        yield workdir
