"""Which runs compile together: the plan of a sweep.

A sweep is the product of the ``config.sweep`` axes (dynamic: arrays, vmapped, one
compile) × the product of the ``config.sweep_static`` axes (one compile each), or a
list of named ``config.variants`` grouped by the static fields they set. `plan` returns
one `StaticPoint` per compile: the static values written into the config and the
`Grid` of runs vmapped under them. Runs are in C order over the grid's axes (last
fastest); `pad_runs` cuts them into equal chunks for the compiled call. Host-side
planning in NumPy: importing it loads no JAX.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import ml_collections
import numpy as np

from vaecollapse import config as config_lib

Variant = tuple[str, dict[str, Any]]  # (name, hyperparameter overrides)


def hparam_dtype(name: str) -> np.dtype:
    """The dtype of a hyperparameter's arrays (`config.hparams_table`: ``seed`` is the one
    int32, a PRNG seed); float32 for a name not there (`validate` refuses those)."""
    hparam = config_lib.HPARAMS.get(name)
    return np.dtype(hparam.dtype if hparam is not None else "float32")


def default_hparams(values: Mapping[str, Any] | None = None) -> dict[str, np.ndarray]:
    """One run's hyperparameters as NumPy scalar arrays of their dtypes (`hparam_dtype`),
    which jitted code takes as it takes JAX arrays: ``values`` (e.g. ``config.hparams``)
    over `config.HPARAM_DEFAULTS`."""
    merged = {**config_lib.HPARAM_DEFAULTS, **dict(values or {})}
    return {k: np.asarray(v, hparam_dtype(k)) for k, v in merged.items()}


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


class StaticPoint(NamedTuple):
    """One compile of a sweep: the static field values and the runs vmapped under them."""

    values: dict[str, Any]  # {model/train field: value}; {} when nothing is static
    grid: Grid


def make_grid(config: ml_collections.ConfigDict, variants: list[Variant] | None = None) -> Grid:
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
        hparams[name] = np.asarray(column, hparam_dtype(name))
    return Grid(axes=axes, hparams=hparams)


def variant_groups(config: ml_collections.ConfigDict) -> list[tuple[dict[str, Any], list[Variant]]]:
    """``variants`` grouped by their static fields: ``[(static values, [(name, hparam
    overrides), ...]), ...]`` in first-appearance order; one group is one compile."""
    groups: list[tuple[dict[str, Any], list[Variant]]] = []
    hparams = config_lib.hparams_table()  # built from the families once, not per field
    for name, fields in config.variants:
        fields = dict(fields)
        static = {k: v for k, v in fields.items() if k not in hparams}
        dynamic = {k: v for k, v in fields.items() if k in hparams}
        for values, members in groups:
            if values == static:
                members.append((name, dynamic))
                break
        else:
            groups.append((static, [(name, dynamic)]))
    return groups


def plan(config: ml_collections.ConfigDict) -> list[StaticPoint]:
    """Every compile of the sweep: one `StaticPoint` per combination of the
    ``sweep_static`` axes, or per group of variants sharing their static fields."""
    if config.variants:
        return [
            StaticPoint(values, make_grid(config, members))
            for values, members in variant_groups(config)
        ]
    grid = make_grid(config)
    axes = dict(config.sweep_static.items())
    return [
        StaticPoint(dict(zip(axes, combo, strict=True)), grid)
        for combo in itertools.product(*axes.values())
    ]


def with_static(
    config: ml_collections.ConfigDict, values: Mapping[str, Any]
) -> ml_collections.ConfigDict:
    """A copy of ``config`` with one static point's values written into their sections."""
    out = ml_collections.ConfigDict(config.to_dict())
    for field, value in values.items():
        out[config_lib.static_section(config, field)][field] = value
    return out


def static_configs(config: ml_collections.ConfigDict) -> Iterator[ml_collections.ConfigDict]:
    """The config of each compile, in `plan` order."""
    for point in plan(config):
        yield with_static(config, point.values)


def validate(config: ml_collections.ConfigDict) -> None:
    """Check a whole sweep before anything is compiled: the config's fields
    (`config.check_fields`), then every static point's config (`config.check_point`).

    Raises:
      ValueError: naming the first bad field, its value and what is allowed.
    """
    config_lib.check_fields(config)
    for static in static_configs(config):
        config_lib.check_point(static)


def pad_runs(columns: Mapping[str, np.ndarray], start: int, size: int) -> dict[str, np.ndarray]:
    """Rows ``start:start+size`` of every column, padded to ``size`` rows by repeating
    the last run (the padded runs are computed and dropped)."""
    out = {}
    for name, column in columns.items():
        rows = column[start : start + size]
        pad = size - len(rows)
        out[name] = np.concatenate([rows, np.repeat(rows[-1:], pad, axis=0)]) if pad else rows
    return out
