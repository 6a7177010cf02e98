"""Command line: ``vaecollapse run CONFIG --workdir DIR [--config.a.b=value ...]``,
``vaecollapse report DIR``, ``vaecollapse boundary DIR`` and ``vaecollapse refine DIR``.

``run`` trains the config's whole grid (`sweep.run_sweep`), then draws the report;
re-running it on the same workdir resumes. ``report`` re-draws plots and summary.md
from ``DIR/results.nc``. ``boundary`` prints and writes ``DIR/boundary.csv``
(`boundary.estimate`); ``refine`` adds grid values around the boundaries
(`refine.refine`), then re-draws the report.
"""

from __future__ import annotations

import argparse
import ast
import sys

from absl import app, flags, logging
from ml_collections import config_flags

_USAGE = (
    "usage: vaecollapse run CONFIG.py --workdir DIR [--config.FIELD=VALUE ...] "
    "[--axis=NAME=(v1,v2)] [--overwrite] [--multihost] [--noprogress]\n"
    "       vaecollapse report DIR [--figures kl_curves,phase_diagram,...]\n"
    "       vaecollapse boundary DIR [--along beta] [--measure mutual_info|kl|kl_per_dim] "
    "[--threshold X]\n"
    "       vaecollapse refine DIR [--along beta] [--points 8] [--rounds 2] [--measure M] "
    "[--threshold X]"
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
    from vaecollapse import report, sweep

    _set_up_devices(
        FLAGS.cpu_devices, FLAGS.fast_cpu_kernels, FLAGS.compile_cache, FLAGS.compile_cache_dir
    )
    if FLAGS.multihost:
        jax.distributed.initialize()
    try:
        config = with_axes(config_lib.finalize(FLAGS.config), FLAGS.axis)
        sweep.run_sweep(config, FLAGS.workdir, overwrite=FLAGS.overwrite, progress=FLAGS.progress)
    except (ValueError, RuntimeError) as err:
        sys.exit(f"vaecollapse: error: {err}")
    for path in report.report(FLAGS.workdir):
        print(path)


def _set_up_devices(cpu_devices: int, fast_cpu_kernels: bool, cache: bool, cache_dir) -> None:
    """CPU devices, XLA flags and the compile cache, before JAX starts its backends."""
    from vaecollapse import devices

    devices.use_cpu_cores(cpu_devices or None)
    if fast_cpu_kernels:
        devices.use_fast_cpu_kernels()
    if cache:
        devices.enable_compile_cache(cache_dir)
    logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO


def _boundary_parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"vaecollapse {command}")
    parser.add_argument("workdir")
    parser.add_argument("--along", default="beta", help="the ordered numeric axis")
    parser.add_argument("--measure", default="mutual_info", help="mutual_info, kl or kl_per_dim")
    parser.add_argument(
        "--threshold", type=float, default=None, help="nats (default: collapse_kl_eps)"
    )
    if command == "refine":
        parser.add_argument("--points", type=int, default=8, help="new values per round")
        parser.add_argument("--rounds", type=int, default=2, help="rounds done in all")
        parser.add_argument("--noprogress", dest="progress", action="store_false")
        parser.add_argument("--cpu_devices", type=int, default=0, help="0: one per core")
    return parser


def _boundary(args: list[str]) -> None:
    from vaecollapse import boundary, results

    opts = _boundary_parser("boundary").parse_args(args)
    found = boundary.estimate(results.load(opts.workdir), opts.along, opts.measure, opts.threshold)
    print(boundary.markdown(found))
    print(boundary.write_csv(found, f"{opts.workdir}/boundary.csv"))


def _refine(args: list[str]) -> None:
    opts = _boundary_parser("refine").parse_args(args)
    _set_up_devices(opts.cpu_devices, True, True, None)
    from vaecollapse import refine, report

    refine.refine(
        opts.workdir,
        along=opts.along,
        measure=opts.measure,
        threshold=opts.threshold,
        points=opts.points,
        rounds=opts.rounds,
        progress=opts.progress,
    )
    print("\n".join(str(p) for p in report.report(opts.workdir)))


def _report(args: list[str]) -> None:
    from vaecollapse import report

    parser = argparse.ArgumentParser(prog="vaecollapse report")
    parser.add_argument("workdir")
    parser.add_argument(
        "--figures",
        default=None,
        help=f"comma-separated, of: {', '.join(report.FIGURES)} (default: all that apply)",
    )
    opts = parser.parse_args(args)
    figures = opts.figures.split(",") if opts.figures else None
    print("\n".join(str(p) for p in report.report(opts.workdir, figures)))


COMMANDS = {"report": _report, "boundary": _boundary, "refine": _refine}


def run_main(argv: list[str] | None = None) -> None:
    """Entry point of the ``vaecollapse`` console script and ``python -m vaecollapse``."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 3 or argv[1] not in ("run", *COMMANDS):
        sys.exit(_USAGE)
    if argv[1] in COMMANDS:
        try:
            COMMANDS[argv[1]](argv[2:])
        except (ValueError, FileNotFoundError, RuntimeError) as err:
            sys.exit(f"vaecollapse: error: {err}")
        return
    app.run(_run, argv=[argv[0], f"--config={argv[2]}", *argv[3:]])
