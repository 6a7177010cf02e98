"""The family contract and registry: the one interface through which the engine knows a
kind of model.

A *family* is one kind of model whose collapse is mapped — a VAE's posterior collapse
(`families.vae`), representation collapse in self-supervised learning (`families.ssl`),
mode collapse in GANs (`families.gan`). The engine (sweep → ``results.nc`` → boundary →
refine → report) reads everything family-specific from its `Family`:

- ``order_parameters``: the measures that fall to ~0 when the degenerate solution wins
  (VAE: I(x; z), KL, KL per latent dim), each an `OrderParameter` with its default
  threshold, for a per-unit form the dim it runs over (one boundary per rank), and how a
  boundary reads it between grid points (``boundary_rule``: `INTERPOLATE`, the default,
  or the VAE KL's `TO_ZERO`);
- ``panels``: the phase diagram's panels (variable, label), order parameters first;
- ``summary_columns`` / ``seed_columns``: the per-run and per-grid-point tables of
  ``summary.md``;
- ``figures``: its own figures, name → `Figure` (applies?, draw), drawn after the
  engine's phase diagram;
- ``state``: the variable holding each run's collapse state (codes and names in
  ``state_names``) and ``onset``: the one holding its onset step; ``states_at``
  (optional): the state rule read at another threshold (`vaecollapse boundary
  --sensitivity`).

This module and the families' schemas import no JAX (the reading side needs them); a
family's writing side (training, evaluation) is named by import path and loaded only
when a sweep runs. `register` adds a family from anywhere, including outside the
package: a module that registers one on import, named by ``config.family_module``, is
imported wherever a config or results file names the family (`of_config`).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from vaecollapse.registry import resolve

DEFAULT = "vae"  # the family of a config or results file that names none
# How a boundary reads an order parameter between grid points (`OrderParameter.boundary_rule`,
# `vaecollapse.boundary`): INTERPOLATE, the ε crossing interpolated between the last grid
# point above ε and the first at or below it, never past the grid (bounded measures: a
# fraction of modes, std·√d, RankMe ≥ 1); TO_ZERO, the line through the last two points
# above ε extrapolated to zero, clipped to the bracketing chord and to one grid step past
# the grid (a measure linear in the axis, or its log, down to a continuous boundary at
# zero: the linear VAE's KL_i = ½ log(λ_i/(βσ²))).
INTERPOLATE, TO_ZERO = "interpolate", "to_zero"
BOUNDARY_RULES = (INTERPOLATE, TO_ZERO)


class Trace(NamedTuple):
    """One logged quantity of a run: per logged interval, an array of ``shape`` (dims
    ``dims`` in ``results.nc``, after ``step``), ``dtype``, ``fill`` before it is logged."""

    shape: tuple[int, ...] = ()
    dims: tuple[str, ...] = ()
    dtype: str = "float32"
    fill: float = float("nan")


@dataclass(frozen=True)
class OrderParameter:
    """A measure that falls to ~0 at collapse.

    Attributes:
      label: how a person reads it (axis labels, legends).
      threshold: the default ε below which a run counts as collapsed: a number, or the
        name of the config field that holds it (``"collapse_kl_eps"``).
      per_unit: the dim it runs over when it is per unit (``"latent"``: one value per
        latent dim, ranked per run for per-unit boundaries); None for one value per run.
      boundary_rule: how a boundary reads it between grid points (`BOUNDARY_RULES`):
        `INTERPOLATE` (the default: the ε crossing between the two grid points that
        bracket it, no extrapolation past the grid) or `TO_ZERO` (extrapolated to where
        the measure reaches zero: only for a measure that falls to zero linearly in the
        axis, or in its log, at a continuous boundary, as the VAE's KL does).
    """

    label: str
    threshold: float | str
    per_unit: str | None = None
    boundary_rule: str = INTERPOLATE

    def __post_init__(self):
        if self.boundary_rule not in BOUNDARY_RULES:
            raise ValueError(
                f"boundary_rule={self.boundary_rule!r} is invalid: allowed: "
                f"{', '.join(BOUNDARY_RULES)}"
            )

    def default_threshold(self, config: Mapping[str, Any]) -> float:
        """ε for results made with ``config`` (the dict of ``results.attrs["config"]``)."""
        if isinstance(self.threshold, str):
            return float(config[self.threshold])
        return float(self.threshold)


@dataclass(frozen=True)
class Figure:
    """A family's figure: ``applies(results) -> bool`` and ``draw(results, path) -> path``,
    each a callable or an ``"module:attribute"`` path loaded when first used."""

    draw: Callable | str
    applies: Callable | str = "vaecollapse.family:always"

    def resolve(self) -> tuple[Callable, Callable]:
        return resolve(self.applies), resolve(self.draw)


def always(results) -> bool:
    """The default `Figure.applies`: the figure applies to every results file."""
    del results
    return True


class Trainer(NamedTuple):
    """A family's writing side for one static config: pure functions the sweep maps over
    runs (`sweep.map_runs`) and the data they take.

    Attributes:
      init: ``key -> state``; the state has ``params``, ``diverged`` and ``diverged_step``.
      advance: ``(state, hparams, key, train_data) -> (state, row)``: one logged
        interval; ``row`` holds one value (of shape ``trace[name].shape``) per trace.
      evaluate: ``(state, key, hparams, traces, eval_data, steps) -> dict``: the final
        measures of one run; ``traces`` holds the traces named in ``evaluate_traces``.
      trace: name -> `Trace`, what ``advance`` logs (``results.nc``: ``NAME_trace``).
      evaluate_traces: the traces ``evaluate`` reads (e.g. KL, for the onset).
      train_data / eval_data: the arrays ``advance`` / ``evaluate`` take.
      trace_bytes: device bytes of one run's traces per logged interval (memory plan).
    """

    init: Callable
    advance: Callable
    evaluate: Callable
    trace: Mapping[str, Trace]
    evaluate_traces: tuple[str, ...]
    train_data: Any
    eval_data: Any
    trace_bytes: int


@dataclass(frozen=True)
class Family:
    """One kind of model whose collapse is mapped (module docstring).

    Attributes:
      name: what ``config.family`` says.
      order_parameters: name -> `OrderParameter`, the main one first (the report's
        boundary and the phase diagram's boundary use it).
      panels: (variable, label) of the phase diagram's panels.
      summary_columns: (variable, title, format or None) of the per-run table.
      seed_columns: (variable, title) of the mean ± std over seeds table.
      figures: name -> `Figure`.
      state: the variable of each run's collapse state; ``state_names`` its codes' names.
      onset: the variable of each run's collapse onset step (−1: never).
      legend: ``fn(results) -> str``, what the summary's columns mean.
      derived: name -> ``fn(results) -> DataArray``, variables the tables show that the
        results do not hold (VAE: KL as a share of the loss).
      variable_dims: final variable -> the names of its dims after the grid's (none
        listed: a scalar per run).
      config: the import path of the family's config module (no JAX), which holds its
        swept hyperparameters ``HPARAMS`` (name -> `vaecollapse.config.Hparam`), its
        config section ``defaults(c)`` (every field its trainer reads, written into
        `vaecollapse.config.base_config`), and its checks ``check_fields(config)`` (the
        whole sweep's config) and ``check_point(c)`` (one compile's), each raising
        ValueError in one line; "": none (the family reads the engine's fields and the
        hyperparameters it names in ``hparams``).
      hparams: swept hyperparameters of other families it reads too (its own are its
        config module's ``HPARAMS``; ``seed`` and ``learning_rate`` every one's).
      reference_boundaries: ``fn(results, along) -> (measure, DataArray) | None``: a
        known boundary to compare the estimate with (VAE: the linear VAE's closed form
        per latent dim along β), drawn on the phase diagram and tabled; optional.
      sections: ``fn(results) -> str``, the family's own Markdown sections of
        ``summary.md`` after the engine's tables; optional.
      states_at: ``fn(results, measure, threshold) -> DataArray``: each run's state code
        (``state_names``) as the family's state rule reads it with ``measure``'s
        threshold set to ``threshold`` (VAE: every latent dim's KL against ε), or None
        where its rule does not read ``measure``; optional — without it (or for None)
        `vaecollapse.sensitivity.states_at` reads the order parameter alone
        (`vaecollapse boundary --sensitivity`).
      make_trainer: ``fn(config, dataset) -> Trainer``, the writing side (a
        ``"module:function"`` path, loaded only to train).
      check_data: ``fn(config, dataset)``, raising ValueError in one line on data the
        family cannot use (before anything compiles); optional.
      result_bytes: ``fn(config, dataset) -> int``, bytes of one run's results
        (preflight's disk estimate).
      finish: ``fn(config, dataset, variables) -> (variables, coords, attrs)``: the
        family's additions to ``results.nc`` (``variables``: name -> (dims, array) over
        the grid, as assembled; an added ``None`` drops that variable); optional.
    """

    name: str
    order_parameters: Mapping[str, OrderParameter]
    panels: tuple[tuple[str, str], ...]
    summary_columns: tuple[tuple[str, str, str | None], ...]
    seed_columns: tuple[tuple[str, str], ...]
    figures: Mapping[str, Figure] = field(default_factory=dict)
    state: str = "collapse_state"
    state_names: Mapping[int, str] = field(
        default_factory=lambda: {0: "healthy", 1: "partial", 2: "full"}
    )
    onset: str = "collapse_onset_step"
    legend: Callable | str = ""
    derived: Mapping[str, Callable | str] = field(default_factory=dict)
    variable_dims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    config: str = ""
    hparams: tuple[str, ...] = ()
    reference_boundaries: Callable | str = ""
    sections: Callable | str = ""
    states_at: Callable | str = ""
    make_trainer: Callable | str = ""
    check_data: Callable | str = ""
    result_bytes: Callable | str = ""
    finish: Callable | str = ""

    def trainer(self, config, dataset) -> Trainer:
        """The writing side for one static ``config`` on ``dataset`` (loads JAX)."""
        return resolve(self.make_trainer)(config, dataset)

    def describe(self, results) -> str:
        """The family's part of ``summary.md``'s legend: what its columns mean."""
        return resolve(self.legend)(results) if self.legend else ""

    def with_derived(self, results):
        """``results`` with the family's derived variables (name -> fn(results)) added."""
        return results.assign({k: resolve(fn)(results) for k, fn in self.derived.items()})

    @property
    def main_order_parameter(self) -> str:
        return next(iter(self.order_parameters))


_FAMILIES: dict[str, Family | str] = {
    "vae": "vaecollapse.families.vae:FAMILY",
    "ssl": "vaecollapse.families.ssl:FAMILY",
    "gan": "vaecollapse.families.gan:FAMILY",
}


def register(family: Family) -> Family:
    """Add ``family`` to the registry (replacing one of the same name); return it."""
    _FAMILIES[family.name] = family
    return family


def names() -> tuple[str, ...]:
    """The registered families' names."""
    return tuple(_FAMILIES)


def get(name: str, module: str = "") -> Family:
    """The family called ``name``, importing ``module`` first when given (a family from
    outside the package registers itself there: ``config.family_module``).

    Raises:
      ValueError: no such family (the message names the registered ones).
    """
    if module:
        importlib.import_module(module)
    if name not in _FAMILIES:
        raise ValueError(f"family={name!r} is invalid: allowed: {', '.join(_FAMILIES)}")
    family = _FAMILIES[name]
    if isinstance(family, str):
        family = _FAMILIES[name] = resolve(family)
    return family


def of(results) -> Family:
    """The family of a results Dataset (its config's ``family``; `DEFAULT` when absent,
    as in files written before families existed)."""
    return of_config(config_of(results))


def of_config(config: Mapping[str, Any]) -> Family:
    """The family a config (a ConfigDict or its dict) names, importing its
    ``family_module`` first when set."""
    return get(config.get("family", DEFAULT), config.get("family_module", ""))


def config_of(results) -> dict[str, Any]:
    """The config a results Dataset was made with, as a dict; empty for a Dataset without
    a ``config`` attribute (one built by hand: the default family, `DEFAULT`)."""
    return json.loads(results.attrs.get("config", "{}"))
