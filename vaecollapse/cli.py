"""Command line: ``vaecollapse run CONFIG --workdir DIR [--config.a.b=value ...]``,
``vaecollapse report DIR``, ``vaecollapse boundary DIR``, ``vaecollapse refine DIR`` and
``vaecollapse data NAME ...``.

``run`` trains the config's whole grid (`sweep.run_sweep`), then draws the report;
re-running it on the same workdir resumes. ``report`` re-draws plots and summary.md
from ``DIR/results.nc``. ``boundary`` prints and writes the boundary
(`boundary.estimate`): to ``DIR/boundary.csv`` when it is the one ``summary.md`` shows
(`report.boundary_arguments`), else to a file of its own, ``DIR/boundary_MEASURE.csv``
(`boundary_file`); with ``--sensitivity`` the boundary and the runs per state at ½×, 1×
and 2× the threshold (`sensitivity.sensitivity`, ``DIR/boundary_sensitivity*.csv``);
``refine`` adds grid values around the boundaries
(`refine.refine`), then re-draws the report; ``data`` downloads and prepares tfds
datasets (`data.tfds.prepare`).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import functools
import re
import shlex
import sys

from absl import app, flags, logging
from ml_collections import config_flags

from vaecollapse import signals

_USAGE = (
    "usage: vaecollapse run CONFIG.py --workdir DIR [--config.FIELD=VALUE ...] "
    "[--axis=NAME=(v1,v2)] [--overwrite] [--noprogress]\n"
    "         [--multihost | --coordinator_address=HOST:PORT --num_processes=N --process_id=I]\n"
    "       vaecollapse report DIR [--figures kl_curves,phase_diagram,...]\n"
    "       vaecollapse boundary DIR [--along AXIS] [--measure mutual_info|kl|kl_per_dim] "
    "[--threshold X] [--direction D] [--sensitivity [--factors 0.5,1,2]]\n"
    "       vaecollapse refine DIR [--along AXIS] [--points 8] [--rounds 2] [--values v1,v2] "
    "[--measure M] [--threshold X] [--direction D]\n"
    "       vaecollapse data NAME [NAME ...] [--data_dir DIR]   (tfds datasets; needs network)"
)

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Directory for checkpoints, results.nc and plots.")
flags.DEFINE_bool("overwrite", False, "Discard a workdir's results of a different config.")
flags.DEFINE_bool(
    "multihost",
    False,
    "Run as one process of several (jax.distributed.initialize); without the three flags "
    "below, JAX detects SLURM, Open MPI, TPU pods and Kubernetes itself.",
)
flags.DEFINE_string("coordinator_address", None, "HOST:PORT of process 0 (implies --multihost).")
flags.DEFINE_integer("num_processes", None, "Processes in all (with --coordinator_address).")
flags.DEFINE_integer("process_id", None, "This process's index, 0 .. num_processes-1.")
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


def _run(argv: list[str], explicit: frozenset[str] = frozenset()) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]!r}\n{_USAGE}")
    if not FLAGS.workdir:
        raise app.UsageError(f"--workdir is required\n{_USAGE}")
    from vaecollapse import config as config_lib
    from vaecollapse import multihost, sweep

    stop = signals.StopSignal().install()
    _set_up_devices(
        FLAGS.cpu_devices, FLAGS.fast_cpu_kernels, FLAGS.compile_cache, FLAGS.compile_cache_dir
    )
    given = [FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id]
    if any(v is not None for v in given) and any(v is None for v in given):
        sys.exit(
            "vaecollapse: error: --coordinator_address, --num_processes and --process_id go "
            "together (or give none of them and --multihost, for JAX's cluster detection)"
        )
    if FLAGS.multihost or FLAGS.coordinator_address:
        multihost.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
    try:
        config = with_axes(config_lib.finalize(FLAGS.config, explicit=explicit), FLAGS.axis)
    except ValueError as err:
        sys.exit(f"vaecollapse: error: {err}")
    _train_then_report(
        lambda event: sweep.run_sweep(
            config, FLAGS.workdir, overwrite=FLAGS.overwrite, progress=FLAGS.progress, stop=event
        ),
        FLAGS.workdir,
        stop,
    )


def _resume_command() -> str:
    return shlex.join(["vaecollapse", *sys.argv[1:]])


def _stopped(stop: signals.StopSignal, where: str, command: str) -> None:
    """One line: where it stopped and the command that goes on; exit 130 / 143."""
    by = stop.name if stop.signum else "a signal to another process of this run"
    sys.stderr.write(f"vaecollapse: stopped by {by} {where}; go on with: {command}\n")
    sys.exit(stop.exit_code)


def _train_then_report(train, workdir: str, stop: signals.StopSignal) -> None:
    """``train(stop_event)`` (a sweep or a refine), then the report. Ctrl-C or SIGTERM
    stops training at the end of the current logged interval (checkpointed), or the
    report at once; either way one line says how to go on."""
    from vaecollapse import multihost, report, sweep

    again = f"vaecollapse report {shlex.quote(workdir)}"
    try:
        stop.in_sweep = True
        train(stop.event)
        stop.in_sweep = False
        if stop.event.is_set():
            _stopped(stop, "after training (results.nc is complete), before the report", again)
        if not multihost.is_primary():  # process 0 draws the report
            return
        paths = report.report(workdir)
    except report.IncompleteReportError as err:
        _incomplete(err, workdir)
    except sweep.Interrupted as where:
        _stopped(stop, f"at {where} (checkpointed)", _resume_command())
    except KeyboardInterrupt:
        _stopped(stop, "while drawing the report (results.nc is complete)", again)
    except (ValueError, RuntimeError, FileNotFoundError) as err:
        sys.exit(f"vaecollapse: error: {_as_flag(err)}")
    print("\n".join(str(p) for p in paths))


# parameters of the library that these commands take as flags of the same name
FLAG_PARAMETERS = (
    "along",
    "measure",
    "threshold",
    "direction",
    "points",
    "rounds",
    "values",
    "figures",
    "factors",
)


def _as_flag(err: BaseException) -> str:
    """A library error (which names its parameter, ``along='gamma' is …``) as the flag
    the user typed (``--along='gamma' is …``)."""
    return re.sub(rf"^({'|'.join(FLAG_PARAMETERS)})=", r"--\1=", str(err))


def _incomplete(err, workdir: str) -> None:
    """The files a report wrote despite failed figures, then one line with the command
    that redraws them; exit 1."""
    print("\n".join(str(p) for p in err.paths))
    again = shlex.join(["vaecollapse", "report", workdir, "--figures", ",".join(err.failed)])
    sys.exit(f"vaecollapse: error: {err}; redraw them with: {again}")


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
    parser.add_argument(
        "--along", default=None, help="the ordered numeric axis (default: the first swept)"
    )
    parser.add_argument(
        "--measure",
        default=None,
        help="an order parameter of the results' family (VAE: mutual_info (default), kl, "
        "kl_per_dim)",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="default: the order parameter's (VAE: collapse_kl_eps)",
    )
    parser.add_argument(
        "--direction",
        default="auto",
        help="increasing (collapse as the axis grows), decreasing, or auto (from the data)",
    )
    if command == "boundary":
        parser.add_argument(
            "--sensitivity",
            action="store_true",
            help="the boundary and the runs per collapse state at each of --factors × the "
            "threshold (which conclusions depend on it)",
        )
        parser.add_argument(
            "--factors",
            default="0.5,1,2",
            help="multiples of the threshold for --sensitivity (default 0.5,1,2)",
        )
    if command == "refine":
        parser.add_argument("--points", type=int, default=8, help="new values per round")
        parser.add_argument("--rounds", type=int, default=2, help="rounds done in all")
        parser.add_argument(
            "--values",
            default=None,
            help="comma-separated axis values to add in one round instead of proposed ones",
        )
        parser.add_argument("--noprogress", dest="progress", action="store_false")
        parser.add_argument("--cpu_devices", type=int, default=0, help="0: one per core")
    return parser


def boundary_file(results, found, prefix: str = "boundary", direction: str = "auto") -> str:
    """The file name of the boundary ``found`` (`boundary.estimate` of ``results``, asked
    for with ``direction``): ``PREFIX.csv`` when it is the one the report writes
    (`report.boundary_arguments`, the default threshold, the direction read from the
    data), else ``PREFIX_MEASURE[_along_AXIS][_eps_X][_dir_D].csv`` (the axis when not the
    report's, the threshold when not the default, the direction when given): a second
    ``boundary --measure`` never replaces the table ``summary.md`` shows."""
    from vaecollapse import boundary, report

    a = found.attrs
    along, measure = (report.boundary_arguments(results) or (None, None))[:2]
    default = a["threshold"] == boundary.default_threshold(results, a["measure"])
    if (a["along"], a["measure"]) == (along, measure) and default and direction == "auto":
        return f"{prefix}.csv"
    parts = [prefix, a["measure"]]
    if a["along"] != along:
        parts += ["along", a["along"]]
    if not default:
        parts += ["eps", f"{a['threshold']:g}"]
    if direction != "auto":
        parts += ["dir", direction]
    return "_".join(parts) + ".csv"


def _numbers(name: str, text: str) -> tuple[float, ...]:
    try:
        return tuple(float(f) for f in text.split(","))
    except ValueError:
        raise ValueError(
            f"{name}={text!r} is invalid: expected numbers, comma-separated (0.5,1,2)"
        ) from None


def _boundary(args: list[str]) -> None:
    from pathlib import Path

    from vaecollapse import boundary, results, sensitivity

    opts = _boundary_parser("boundary").parse_args(args)
    ran = results.load(opts.workdir)
    if opts.sensitivity:
        found, states = sensitivity.sensitivity(
            ran,
            opts.along,
            opts.measure,
            opts.threshold,
            _numbers("factors", opts.factors),
            opts.direction,
        )
        name = boundary_file(ran, found.isel(factor=0), "boundary_sensitivity", opts.direction)
        path = Path(opts.workdir) / name
        sensitivity.sensitivity_frame(found).to_csv(path, index=False, float_format="%.6g")
        print(sensitivity.sensitivity_markdown(found, states, limit=10_000))
        print(path)
        return
    found = boundary.estimate(ran, opts.along, opts.measure, opts.threshold, opts.direction)
    print(boundary.markdown(found))
    name = boundary_file(ran, found, direction=opts.direction)
    print(boundary.write_csv(found, Path(opts.workdir) / name))
    if name != "boundary.csv":
        print(
            "(a boundary of its own: boundary.csv, the table summary.md shows, is left as it was)"
        )


def _refine(args: list[str]) -> None:
    opts = _boundary_parser("refine").parse_args(args)
    stop = signals.StopSignal().install()
    _set_up_devices(opts.cpu_devices, True, True, None)
    from vaecollapse import refine

    _train_then_report(
        lambda event: refine.refine(
            opts.workdir,
            along=opts.along,
            measure=opts.measure,
            threshold=opts.threshold,
            direction=opts.direction,
            points=opts.points,
            rounds=opts.rounds,
            values=None if opts.values is None else _numbers("values", opts.values),
            progress=opts.progress,
            stop=event,
        ),
        opts.workdir,
        stop,
    )


def _report(args: list[str]) -> None:
    from vaecollapse import families, report

    parser = argparse.ArgumentParser(prog="vaecollapse report")
    parser.add_argument("workdir")
    parser.add_argument(
        "--figures",
        default=None,
        help="comma-separated, of: "
        + ", ".join(report.figures_of(families.get(families.DEFAULT)))
        + " (a VAE's; default: all that apply)",
    )
    opts = parser.parse_args(args)
    figures = opts.figures.split(",") if opts.figures else None
    try:
        paths = report.report(opts.workdir, figures)
    except report.IncompleteReportError as err:
        _incomplete(err, opts.workdir)
    print("\n".join(str(p) for p in paths))


def _data(args: list[str]) -> None:
    from vaecollapse.data import tfds

    parser = argparse.ArgumentParser(prog="vaecollapse data")
    parser.add_argument(
        "names", nargs="+", help=", ".join((*tfds.IMAGE_DATASETS, *tfds.TEXT_DATASETS))
    )
    parser.add_argument("--data_dir", default=None, help="tfds data directory (default: tfds's)")
    opts = parser.parse_args(args)
    print("\n".join(tfds.prepare(opts.names, opts.data_dir)))


COMMANDS = {"report": _report, "boundary": _boundary, "refine": _refine, "data": _data}


def run_main(argv: list[str] | None = None) -> None:
    """Entry point of the ``vaecollapse`` console script and ``python -m vaecollapse``."""
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 3 or argv[1] not in ("run", *COMMANDS):
        sys.exit(_USAGE)
    if argv[1] in COMMANDS:
        stop = signals.StopSignal()
        if argv[1] != "refine":  # refine installs its own, to stop between intervals
            stop.install()
        try:
            COMMANDS[argv[1]](argv[2:])
        except (ValueError, FileNotFoundError, RuntimeError) as err:
            sys.exit(f"vaecollapse: error: {_as_flag(err)}")
        except KeyboardInterrupt:
            _stopped(stop, f"during {argv[1]} (nothing is half-written)", _resume_command())
        return
    try:
        explicit = _check_run_arguments(argv[2], argv[3:])
    except (ValueError, FileNotFoundError) as err:
        sys.exit(f"vaecollapse: error: {err}")
    app.run(
        functools.partial(_run, explicit=explicit), argv=[argv[0], f"--config={argv[2]}", *argv[3:]]
    )


def _check_run_arguments(path: str, args: list[str]) -> frozenset[str]:
    """Load the config file and check every ``--config.FIELD=`` names a field, before
    absl parses anything (whose errors are tracebacks); return those fields.

    Raises:
      FileNotFoundError / ValueError: one line naming the file or field and what to do.
    """
    from vaecollapse import config as config_lib

    config = config_lib.experiment_config(path)
    explicit = set()
    for arg in args:
        if not arg.startswith("--config."):
            continue
        field = arg[len("--config.") :].split("=", 1)[0]
        node, parts = config, field.split(".")
        for depth, part in enumerate(parts):
            keys = list(node.keys()) if hasattr(node, "keys") else []
            if part not in keys:
                where = ".".join(["config", *parts[:depth]])
                near = difflib.get_close_matches(part, keys, n=3)
                hint = f"did you mean {', '.join(map(repr, near))}?" if near else f"fields: {keys}"
                if parts[:depth] == ["sweep"]:  # a new swept axis is --axis's, not a field
                    value = arg.split("=", 1)[1] if "=" in arg else "(v1, v2)"
                    hint += f"; to sweep it, add an axis: --axis={part}={value}"
                raise ValueError(f"--config.{field}: {where} has no field {part!r}; {hint}")
            node = node[part]
        explicit.add(field)
    return frozenset(explicit)
