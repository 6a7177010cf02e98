"""Command line: ``vaecollapse run CONFIG --workdir DIR [--config.a.b=value ...]`` and
``vaecollapse report DIR``.

``run`` trains the config's whole grid (`sweep.run_sweep`), then draws the report;
re-running it on the same workdir resumes. ``report`` re-draws plots and summary.md
from ``DIR/results.nc``.
"""

from __future__ import annotations

import ast
import sys

from absl import app, flags, logging
from ml_collections import config_flags

_USAGE = (
    "usage: vaecollapse run CONFIG.py --workdir DIR [--config.FIELD=VALUE ...] "
    "[--axis=NAME=(v1,v2)] [--overwrite] [--multihost] [--noprogress]\n"
    "       vaecollapse report DIR"
)

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Directory for checkpoints, results.nc and plots.")
flags.DEFINE_bool("overwrite", False, "Discard a workdir's results of a different config.")
flags.DEFINE_bool("multihost", False, "Call jax.distributed.initialize() (multi-host runs).")
flags.DEFINE_bool("progress", True, "Show a progress bar.")
flags.DEFINE_integer("cpu_devices", 0, "CPU devices to shard runs over (0: one per core).")
flags.DEFINE_bool(
    "fast_cpu_kernels",
    True,
    "Keep XLA:CPU's YNNPACK to plain dots, faster for a sweep's small matmuls "
    "(devices.FAST_CPU_FLAGS); no effect on accelerators.",
)
flags.DEFINE_bool(
    "compile_cache", True, "Cache compiled programs on disk (re-runs skip compiling)."
)
flags.DEFINE_string("compile_cache_dir", None, "Compilation cache directory (default: user cache).")
flags.DEFINE_multi_string(
    "axis",
    [],
    "Add or replace a swept axis, NAME=(v1, v2, ...); unlike --config.sweep.NAME it may "
    "name an axis the config file does not sweep.",
)
config_flags.DEFINE_config_file("config", None, "Experiment config file (get_config()).")


def with_axes(config, axes: list[str]):
    """``config`` with each ``NAME=(values)`` of ``axes`` written into ``config.sweep``."""
    for spec in axes:
        name, sep, values = spec.partition("=")
        try:
            parsed = ast.literal_eval(values) if sep else None
        except (ValueError, SyntaxError):
            parsed = None
        if not name or not isinstance(parsed, tuple | list | int | float):
            raise ValueError(f"--axis={spec!r} is invalid: expected NAME=(v1, v2, ...)")
        config.sweep[name] = tuple(parsed) if isinstance(parsed, tuple | list) else (parsed,)
    return config


def _run(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]!r}\n{_USAGE}")
    if not FLAGS.workdir:
        raise app.UsageError(f"--workdir is required\n{_USAGE}")
    import jax

    from vaecollapse import config as config_lib
    from vaecollapse import devices, plots, sweep

    devices.use_cpu_cores(FLAGS.cpu_devices or None)
    if FLAGS.fast_cpu_kernels:
        devices.use_fast_cpu_kernels()
    if FLAGS.compile_cache:
        devices.enable_compile_cache(FLAGS.compile_cache_dir)

    logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
    if FLAGS.multihost:
        jax.distributed.initialize()
    try:
        config = with_axes(config_lib.finalize(FLAGS.config), FLAGS.axis)
        sweep.run_sweep(config, FLAGS.workdir, overwrite=FLAGS.overwrite, progress=FLAGS.progress)
    except (ValueError, RuntimeError) as err:
        sys.exit(f"vaecollapse: error: {err}")
    for path in plots.report(FLAGS.workdir):
        print(path)


def run_main(argv: list[str] | None = None) -> None:
    """Entry point of the ``vaecollapse`` console script and ``python -m vaecollapse``."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 3 or argv[1] not in ("run", "report"):
        sys.exit(_USAGE)
    if argv[1] == "report":
        from vaecollapse import plots

        try:
            paths = plots.report(argv[2])
        except (ValueError, FileNotFoundError) as err:
            sys.exit(f"vaecollapse: error: {err}")
        print("\n".join(str(p) for p in paths))
        return
    app.run(_run, argv=[argv[0], f"--config={argv[2]}", *argv[3:]])
