"""The config schema: the engine's fields, the family's section, and validation.

Experiments call `base_config(family)` and override fields; `experiment_config` loads one
of ``experiments/``. The engine's fields are the data, the training loop's length, batch
and optimiser, the sweep (axes, static axes, variants, chunking) and the logging; the
family's config module (`family.Family.config`) adds its section with complete defaults,
its swept hyperparameters and its checks. `check_fields` and `check_point` name the bad
field, its value and what is allowed; `grid.validate` runs them over a whole sweep before
anything compiles.

It imports no implementation module (only ml_collections, `choices` and the family
registry; a family's config module when its table or section is asked for), so reading a
config, or checking one, loads no JAX. The swept hyperparameters are one table,
`hparams_table()` (also `HPARAMS`: the engine's and every registered family's, built when
read): defaults, rules, dtypes and families are derived from it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ml_collections

from vaecollapse import choices, families


@dataclasses.dataclass(frozen=True)
class Hparam:
    """A hyperparameter that may be swept (vmapped): a scalar of every run's ``hparams``.

    ``rule`` accepts its valid values (finite numbers; None: all of them) and ``allowed``
    says which in words (`check_hparam`'s message); ``dtype``: its array's (`grid`);
    ``family``: the kind of model that reads it (`ANY_FAMILY`: every kind); a family may
    read others' too (`family.Family.hparams`).
    """

    default: float
    rule: Callable[[float], bool] | None = None
    allowed: str = ""
    dtype: str = "float32"
    family: str = "vae"


ANY_FAMILY = "*"  # `Hparam.family` of the hyperparameters every family reads
# `Hparam.family` of the engine's hyperparameters a family reads only when it names them
# in `family.Family.hparams` (the remedy window: `optim.window_hparams`)
OPT_IN = ""


# The hyperparameters every family reads; each family's own are in its config module
# (`family.Family.config`). `seed` is the one int32, from which the run's PRNG key comes.
ENGINE_HPARAMS: dict[str, Hparam] = {
    "seed": Hparam(
        0,
        lambda v: float(v).is_integer() and v >= 0,
        "must be a non-negative integer",
        dtype="int32",
        family=ANY_FAMILY,
    ),
    "learning_rate": Hparam(1e-3, lambda v: v > 0, "must be > 0", family=ANY_FAMILY),
    # a remedy window (`optim.window_hparams`): steps [window_start, window_start +
    # window_steps) in which a family's ``window_*`` values replace its remedy's; 0 steps:
    # no window, the control in the same vmapped grid (SSL, GAN)
    "window_start": Hparam(0.0, lambda v: v >= 0, "must be >= 0 (steps)", family=OPT_IN),
    "window_steps": Hparam(0.0, lambda v: v >= 0, "must be >= 0 (steps)", family=OPT_IN),
}


def family_config(name: str):
    """The config module of the family called ``name`` (`family.Family.config`), or None
    for a family without one."""
    path = families.get(name).config
    return importlib.import_module(path) if path else None


def hparams_table() -> dict[str, Hparam]:
    """The swept hyperparameters, each written once: name -> `Hparam`, the engine's and
    every registered family's (`family.Family.config`); the pure code reads them from
    ``hparams[name]``."""
    table = dict(ENGINE_HPARAMS)
    for name in families.names():
        module = family_config(name)
        for key, hparam in getattr(module, "HPARAMS", {}).items():
            table[key] = dataclasses.replace(hparam, family=name)
    return table


def __getattr__(name: str):
    if name == "HPARAMS":
        return hparams_table()
    if name == "HPARAM_DEFAULTS":
        return {key: h.default for key, h in hparams_table().items()}
    raise AttributeError(f"module 'vaecollapse.config' has no attribute {name!r}")


# Static axes (one compile each) name fields of config.model or config.train.
STATIC_FIELDS = ("model", "train")


def base_config(family: str = families.DEFAULT) -> ml_collections.ConfigDict:
    """The defaults of ``family`` (default: the VAE, an MLP VAE on binarised digits): the
    engine's fields, one run, no sweep axes, then the family's section
    (`family.Family.config`'s ``defaults``) and its hyperparameters' defaults."""
    c = ml_collections.ConfigDict()
    c.name = "vaecollapse"
    c.quick = False  # --config.quick=True applies quick_overrides: a small, fast version
    c.quick_overrides = ()  # ((dotted field, value), ...)
    c.family = family  # the kind of collapse mapped (`vaecollapse.families`)
    c.family_module = ""  # a module that registers a family from outside the package
    c.data = ml_collections.ConfigDict(
        {
            "name": "digits",
            "binarize": True,
            "test_fraction": 0.2,
            "split_seed": 0,
            "data_dir": "",  # tfds data directory ("": tfds's default, ~/tensorflow_datasets)
        }
    )
    c.model = ml_collections.ConfigDict()  # the family's architecture (its `defaults`)
    c.train = ml_collections.ConfigDict(
        {
            "steps": 2000,
            "batch_size": 64,
            "log_every": 50,
            "optimizer": "adam",
            "lr_schedule": "constant",
            "eval_examples": 512,
        }
    )
    c.hparams = ml_collections.ConfigDict(
        {name: h.default for name, h in hparams_table().items() if reads(family, name, h)}
    )
    c.sweep = ml_collections.ConfigDict()
    c.sweep_static = ml_collections.ConfigDict()
    # Named variants ((name, ((field, value), ...)), ...): a list of grid points that is not
    # a product (e.g. one remedy each), crossed with the config.sweep axes. Fields are
    # hyperparameters (vmapped: variants differing only there share one compile) or
    # model/train fields (static: one compile per distinct set).
    c.variants = ()
    c.sweep_chunk = 0  # max runs per compiled call; 0: as many as fit in half the free memory
    # Runs vmapped together per device, groups in turn; 0: all at once; -1: automatic
    # (`devices.run_group`: 4 on CPU, where a group's state stays in cache, else all).
    c.run_group = -1
    c.checkpoint_every = 500
    c.diagnostics = ml_collections.ConfigDict(
        {
            "trace_examples": 256,
            # keep what the measures read (SSL eval embeddings, GAN samples) in results.nc
            "keep_eval_arrays": True,
        }
    )
    module = family_config(family)
    if module is not None:
        module.defaults(c)
    return c


def reads(family: str, name: str, hparam: Hparam) -> bool:
    """Whether ``family`` reads hyperparameter ``name``: its own, every family's
    (`ANY_FAMILY`) and those it borrows (`family.Family.hparams`)."""
    return hparam.family in (ANY_FAMILY, family) or name in families.get(family).hparams


def finalize(
    config: ml_collections.ConfigDict, explicit: frozenset[str] = frozenset()
) -> ml_collections.ConfigDict:
    """Apply ``quick_overrides`` when ``config.quick`` is set; return the config to run.

    ``explicit``: fields the user set on the command line (``train.steps``); a quick
    override of one of them, or of a section holding one, gives way to it.
    """
    out = ml_collections.ConfigDict(config.to_dict())
    if out.quick:
        for field, value in out.quick_overrides:
            if any(f == field or f.startswith(f"{field}.") for f in explicit):
                continue
            *sections, leaf = field.split(".")
            node = out
            for section in sections:
                node = node[section]
            if leaf not in node and sections[:1] not in (["sweep"], ["sweep_static"]):
                fail("quick_overrides", field, "names no existing config field")
            node[leaf] = value
    return out


EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent / "experiments"


def experiment_config(name: str | Path, *, quick: bool = False) -> ml_collections.ConfigDict:
    """The config of an experiment file: ``name`` is a path to a ``get_config()`` file or
    the name of one in the repository's ``experiments/`` (``"demo"``). ``quick`` applies
    its ``quick_overrides`` (`finalize`). The file's folder goes first on ``sys.path`` (as
    for a script), so the import paths it names (``model.name = "models:make"``) may be
    modules beside it.

    Raises:
      FileNotFoundError: no such file (the message lists the known experiments).
      ValueError: the file does not load (a syntax error, with its line) or defines no
        ``get_config``.
    """
    path = Path(name)
    if path.suffix != ".py" and not path.is_file():
        path = EXPERIMENTS_DIR / f"{name}.py"
    if not path.is_file():
        known = sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.py"))
        raise FileNotFoundError(
            f"config file {str(name)!r} not found; known experiments: {known} "
            f"(in {str(EXPERIMENTS_DIR)!r})"
        )
    folder = str(path.resolve().parent)  # its own modules importable, as for a script
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(f"vaecollapse_experiment_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        raise ValueError(
            f"config file {str(path)!r} has a syntax error at line {err.lineno}: {err.msg}"
        ) from None
    except Exception as err:
        raise ValueError(
            f"config file {str(path)!r} failed to load: {type(err).__name__}: {err}"
        ) from None
    if not callable(getattr(module, "get_config", None)):
        raise ValueError(f"config file {str(path)!r} defines no get_config(); see experiments/")
    config = module.get_config()
    config.quick = quick
    return finalize(config)


def fail(field: str, value: Any, allowed: str) -> None:
    """Raise the one-line ValueError of a bad config field: ``config.FIELD=VALUE is
    invalid: ALLOWED``."""
    raise ValueError(f"config.{field}={value!r} is invalid: {allowed}")


def check_hparam(name: str, value: Any, where: str) -> None:
    """Raise ValueError naming ``where`` and ``value`` unless it is a finite number the
    hyperparameter's rule (`HPARAMS`) accepts."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        fail(where, value, "must be a finite number")
    hparam = hparams_table().get(name)
    if hparam is not None and hparam.rule is not None and not hparam.rule(value):
        fail(where, value, hparam.allowed)


def static_section(config: ml_collections.ConfigDict, field: str) -> str:
    """The section (``model`` or ``train``) a static field (axis or variant field) sets."""
    sections = [s for s in STATIC_FIELDS if field in config[s]]
    if len(sections) != 1:
        allowed = sorted(set(config.model) | set(config.train))
        fail(f"sweep_static.{field}", None, f"not a model/train field; allowed: {allowed}")
    return sections[0]


def can_be_nonzero(config: ml_collections.ConfigDict, name: str) -> bool:
    """Whether a run of ``config`` may have hyperparameter ``name`` non-zero: by default,
    swept, or set by a variant (a term weighted by it need not be compiled otherwise)."""
    return (
        config.hparams.get(name, 0.0) != 0
        or name in config.sweep
        or any(name in dict(fields) for _, fields in config.variants)
    )


def family_hparams(config: ml_collections.ConfigDict) -> tuple[str, ...]:
    """The hyperparameters ``config``'s family reads: its own, every family's
    (`ANY_FAMILY`) and those it borrows (`family.Family.hparams`)."""
    family = families.of_config(config)
    return tuple(name for name, h in hparams_table().items() if reads(family.name, name, h))


def check_fields(config: ml_collections.ConfigDict) -> None:
    """Check everything but the static points' own configs (`grid.validate` checks the
    whole sweep): swept and default hyperparameters, static axes, variants, sweep
    settings, then the family's own (its config module's ``check_fields``). Raise
    ValueError naming the first bad field, its value and what is allowed."""
    try:
        families.of_config(config)
    except ImportError as err:
        fail("family_module", config.family_module, f"cannot be imported ({err})")
    except ValueError:
        fail("family", config.family, f"allowed: {', '.join(families.names())}")
    table = hparams_table()
    readable = family_hparams(config)
    for name, values in config.sweep.items():
        if name not in table:
            fail(f"sweep.{name}", values, f"not a hyperparameter; allowed: {list(table)}")
        if name not in readable:
            fail(
                f"sweep.{name}",
                values,
                f"not read by family {config.family!r} (a no-op axis); allowed: {list(readable)}",
            )
        if not isinstance(values, tuple | list) or len(values) == 0:
            fail(f"sweep.{name}", values, "must be a non-empty tuple of values")
        if len(set(values)) != len(values):
            fail(f"sweep.{name}", values, "has duplicate values")
        for v in values:
            check_hparam(name, v, f"sweep.{name}")
    for name, value in config.hparams.items():
        if name not in table:
            fail(f"hparams.{name}", value, f"unknown; allowed: {list(table)}")
        check_hparam(name, value, f"hparams.{name}")
    for axis, values in config.sweep_static.items():
        static_section(config, axis)
        if not isinstance(values, tuple | list) or len(values) == 0:
            fail(f"sweep_static.{axis}", values, "must be a non-empty tuple of values")
        if axis in config.sweep:
            fail(f"sweep_static.{axis}", values, "is also a dynamic sweep axis")
    _validate_variants(config, table)
    if not isinstance(config.run_group, int) or config.run_group < -1:
        fail(
            "run_group",
            config.run_group,
            "must be an integer >= -1 (-1: automatic, 0: all at once)",
        )
    if not isinstance(config.sweep_chunk, int) or config.sweep_chunk < 0:
        fail("sweep_chunk", config.sweep_chunk, "must be a non-negative integer (0: automatic)")
    if not isinstance(config.checkpoint_every, int) or config.checkpoint_every <= 0:
        fail("checkpoint_every", config.checkpoint_every, "must be a positive integer")
    module = family_config(families.of_config(config).name)
    if module is not None and hasattr(module, "check_fields"):
        module.check_fields(config)


def _validate_variants(config: ml_collections.ConfigDict, table: dict[str, Hparam]) -> None:
    if not config.variants:
        return
    if config.sweep_static:
        fail("variants", "...", "cannot be combined with sweep_static (put those in variants)")
    if "variant" in config.sweep:
        fail("sweep.variant", config.sweep.variant, "'variant' is the variants' axis name")
    names = []
    for entry in config.variants:
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            fail("variants", entry, "each entry must be (name, ((field, value), ...))")
        name, fields = entry
        names.append(name)
        for field, value in fields:
            if field in config.sweep:
                fail(f"variants[{name!r}].{field}", value, "is also a dynamic sweep axis")
            if field in table:
                check_hparam(field, value, f"variants[{name!r}].{field}")
            else:
                static_section(config, field)
    if len(set(names)) != len(names):
        fail("variants", names, "variant names must be unique")


def check_import_path(field: str, name: str) -> bool:
    """Whether a config's ``name`` (of a model, a dataset, a network) is an import path
    ``"package.module:function"`` — any name holding a colon — naming a user's code, which
    is imported and checked against its contract only when it is built; raise the one-line
    error of a malformed one (no module, no function, a second colon)."""
    if not isinstance(name, str) or ":" not in name:
        return False
    module, _, attribute = name.partition(":")
    if not module or not attribute or ":" in attribute:
        fail(field, name, "an import path is 'package.module:function'")
    return True


def check_point(c: ml_collections.ConfigDict) -> None:
    """Check one compile's config (static values written in): the engine's fields (data,
    optimiser, learning-rate schedule, the loop's sizes), then the family's (its config
    module's ``check_point``: names, sizes, divisibility)."""
    # an import path: `data.load` imports and checks it
    if not check_import_path("data.name", c.data.name) and c.data.name not in choices.DATA:
        fail(
            "data.name",
            c.data.name,
            f"allowed: {', '.join(choices.DATA)}, or an import path 'package.module:function'",
        )
    if c.train.optimizer not in choices.OPTIMIZERS:
        fail("train.optimizer", c.train.optimizer, f"allowed: {', '.join(choices.OPTIMIZERS)}")
    if c.train.lr_schedule not in choices.LR_SCHEDULES:
        fail(
            "train.lr_schedule", c.train.lr_schedule, f"allowed: {', '.join(choices.LR_SCHEDULES)}"
        )
    for field in ("steps", "batch_size", "log_every", "eval_examples"):
        value = c.train[field]
        if not isinstance(value, int) or value <= 0:
            fail(f"train.{field}", value, "must be a positive integer")
    if c.train.steps % c.train.log_every:
        fail(
            "train.steps",
            c.train.steps,
            f"must be a multiple of train.log_every={c.train.log_every}",
        )
    module = family_config(families.of_config(c).name)
    if module is not None and hasattr(module, "check_point"):
        module.check_point(c)
