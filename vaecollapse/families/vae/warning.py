"""Early warning of full collapse, from the first 10 % of a run's training.

The rule (`forecast`, one pure NumPy function shared by `monitor.CollapseMonitor` and
the sweep's ``results.nc``): at the first logged step at or past `FRACTION` (10 %) of
training, read the KL of each latent dim, KL_j = E_x KL(q(z_j|x) ‖ p(z_j)), and carry it
to the run's final β by the linear VAE's equilibrium law (`at_final_beta`). When the
carried KLs, each floored at 0, sum to less than `TOTAL_THRESHOLD` nats, warn: the run
is predicted to end fully collapsed (every dim's KL below ε at the end,
`diagnostics.collapse_state`). A run not warned is predicted partial when some dim's
carried KL is below `THRESHOLD`, healthy when none is (the codes of `states`). The
thresholds are above ε (0.05 nats per dim) because at 10 % of training a collapsing run
has not yet fallen all the way.

Why carry KL to the final β: under a KL warm-up β is still small at 10 % of training, so
every dim's KL is high, and the collapse comes once β has grown. In a linear VAE (Lucas
et al. 2019) dim j's KL at equilibrium under β is ½ log(λ_j / βσ²) (λ_j the data's
variance along it, σ² the decoder's noise), zero once βσ² ≥ λ_j; so the equilibrium at
β_final is the one at β_now less ½ log(β_final / β_now). Without a schedule still to
come (β_now = β_final) the rule is the KL at the read step itself.

`TOTAL_THRESHOLD` (and `THRESHOLD`, the same fit on the largest carried KL of a dim) was
fitted by ``python benchmarks/early_warning.py`` (``make early-warning``): the midpoint
of the gap that best separates, by balanced accuracy, the runs that ended fully
collapsed from the others in seven grids (``demo``, ``linear_phase``, ``image_phase``,
``remedies``, ``text_collapse``, ``ew_conv``, ``ew_text``). The same procedure, fitted
on six grids and scored on the seventh (leave one grid out), is what docs/vae.md
("Early warning") reports, with the other signals measured there
(trends and extrapolations of KL and I(x; z), the encoder's signal to noise, the pull
of reconstruction against KL on each dim, `diagnostics.latent_pull`), none with a better
mean or worst held-out accuracy (some warn more of the late onsets, with more false
alarms). Pure NumPy, no JAX.

What it is worth, as measured on three grids built after the rule and its thresholds
were fixed (``ew_linear_slow``, ``ew_digits_mid``, ``ew_schedules``: 110 runs, scored
once by ``python benchmarks/early_warning.py --score``; docs/vae.md, "Early warning").
Pooled, 64 % of the warned runs ended fully collapsed (precision), 56 % of the full
collapses were warned (recall; 6 of 28 of those after 30 % of training), and 27 % of the
runs that did not end full were warned (false alarms). Balanced accuracy 0.65, against
0.50 for never-warn and always-warn. On each of those grids by itself it is 0.50–0.54,
no better than a trivial rule: a slow optimiser (collapses after 10 % go unwarned), a
sigmoid β schedule (the same) and runs that hold little KL at 10 % then regrow (false
alarms) put the signal on the wrong side of the shipped threshold.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from vaecollapse import states

FRACTION = 0.1
TOTAL_THRESHOLD = 0.658  # nats, Σ_j carried KL; benchmarks/early_warning.py, 7 grids, 2026-12-01
THRESHOLD = 0.183  # nats of carried KL per dim (the predicted state); the same, max_j KL_j
RULE = "kl_total_at_final_beta"  # results.nc's early_warning_rule: written by this rule
MAX_RATIO = 10.0  # the largest β_final / β_now the KL is carried by (`at_final_beta`)
FLOOR = 1e-6  # nats: KLs below it (estimates can be ~0 or slightly negative) read as it


class Forecast(NamedTuple):
    """What `forecast` predicts, per run (``[...]``, the runs' shape)."""

    warn: np.ndarray  # bool: predicted to end fully collapsed
    step: int  # the logged step it was read at; -1 when training has not reached it
    predicted_state: np.ndarray  # int: states.HEALTHY / PARTIAL / FULL; -1 before `step`


def warning_index(steps, total_steps: int, fraction: float = FRACTION) -> int:
    """Index of the first logged step at or past ``fraction`` of ``total_steps``; -1 when
    no logged step has got there yet."""
    steps = np.asarray(steps)
    reached = np.flatnonzero(steps >= fraction * total_steps)
    return int(reached[0]) if reached.size else -1


def kl_units(kl_per_dim, kl=None) -> np.ndarray:
    """The per-unit KL ``[..., T, d]`` the rule reads: ``kl_per_dim`` floored at `FLOOR`;
    where a run has no per-dim KL (NaN in every dim: a VQ-VAE, whose one unit is its
    code information) the total ``kl`` ``[..., T]`` in the first dim, NaN in the rest."""
    per_dim = np.array(kl_per_dim, dtype=np.float64)
    if kl is not None:
        missing = without_per_dim(per_dim)
        per_dim[missing, :, 0] = np.asarray(kl, np.float64)[missing]
    return np.where(np.isnan(per_dim), np.nan, np.maximum(per_dim, FLOOR))


def without_per_dim(kl_per_dim) -> np.ndarray:
    """Runs ``[...]`` of ``kl_per_dim`` ``[..., T, d]`` that have no per-dim KL (NaN in
    every dim at every step: a VQ-VAE, whose one unit is its code information)."""
    return np.all(np.isnan(np.asarray(kl_per_dim, np.float64)), axis=(-2, -1))


def final_beta(beta):
    """The β runs end with, from their logged β ``[..., T]``: the largest their schedule
    reaches (a warm-up's or a cycle's end; a diverged run's NaN logs skipped). None for
    None."""
    return None if beta is None else np.fmax.reduce(np.asarray(beta, np.float64), axis=-1)


def at_final_beta(kl, beta_now, beta_final) -> np.ndarray:
    """KL ``[..., d]`` read under ``beta_now`` carried to ``beta_final`` (each ``[...]``)
    by the linear VAE's equilibrium KL_j = ½ log(λ_j / βσ²): KL − ½ log(β_final / β_now).

    Carried only upward in β (a falling β reads the KL as it is: a collapsed dim's
    reading says nothing of how far it would revive) and at most by a ratio of
    `MAX_RATIO` (½ log 10 ≈ 1.15 nats): the law assumes the reading is at equilibrium,
    which a β just above 0 is not, and the grids measured ratios up to 8.2. β_now = 0
    with β_final > 0 is carried by the cap; β_final = 0 (no KL pressure to come) or a
    NaN β leaves the KL unchanged."""
    now, final = np.asarray(beta_now, np.float64), np.asarray(beta_final, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(now > 0, final / np.where(now > 0, now, 1.0), np.inf)
    carried = (final > 0) & (now >= 0)  # False where either is NaN
    shift = np.where(
        carried, 0.5 * np.log(np.clip(np.where(carried, ratio, 1.0), 1.0, MAX_RATIO)), 0.0
    )
    return np.asarray(kl, np.float64) - shift[..., None]


def forecast(
    steps,
    kl_per_dim,
    total_steps: int,
    *,
    kl=None,
    beta=None,
    beta_final=None,
    threshold: float = TOTAL_THRESHOLD,
    dim_threshold: float = THRESHOLD,
    fraction: float = FRACTION,
) -> Forecast:
    """The early warning of full collapse and the predicted end state of runs.

    Args:
      steps: ``[T]`` the logged steps (increasing).
      kl_per_dim: ``[..., T, d]`` KL of each latent dim at each logged step (nats).
      total_steps: the run's length in steps.
      kl: ``[..., T]`` total KL, read only for runs without a per-dim KL (VQ-VAE).
      beta: ``[..., T]`` β at each logged step, and ``beta_final`` ``[...]`` the β the
        run ends with (the largest its schedule reaches: a warm-up's or a cycle's end):
        the KL read is carried to it (`at_final_beta`; not a VQ-VAE's, whose loss has no
        β). Without them (or equal) the KL is read as it is.
      threshold: Σ_j of the carried KL (each floored at 0; nats) below which the run is
        warned of (predicted to end in) full collapse.
      dim_threshold: carried KL (nats) below which a dim is predicted to end collapsed,
        so that a run not warned is predicted partial (some such dims) or healthy (none).
      fraction: of ``total_steps``; the rule reads the first logged step at or past it.
    """
    if (beta is None) != (beta_final is None):
        raise ValueError("beta and beta_final go together: give both or neither")
    units = kl_units(kl_per_dim, kl)
    index = warning_index(steps, total_steps, fraction)
    if index < 0:
        shape = units.shape[:-2]
        return Forecast(np.zeros(shape, bool), -1, np.full(shape, -1, np.int32))
    at = units[..., index, :]
    if beta is not None:  # a VQ-VAE's code information (no per-dim KL) has no β to carry
        final = np.where(without_per_dim(kl_per_dim), np.nan, np.asarray(beta_final, np.float64))
        at = at_final_beta(at, np.asarray(beta)[..., index], final)
    counted = ~np.isnan(at)
    total = np.where(counted, np.maximum(at, 0.0), 0.0).sum(-1)
    warn = (total < threshold) & counted.any(-1)
    num_below = (counted & (np.where(counted, at, np.inf) < dim_threshold)).sum(-1)
    state = np.where(
        warn, states.FULL, np.where(num_below > 0, states.PARTIAL, states.HEALTHY)
    ).astype(np.int32)
    return Forecast(warn, int(np.asarray(steps)[index]), state)


def as_variables(f: Forecast, dims) -> tuple[dict, dict]:
    """``results.nc``'s form of a `Forecast` over the runs' ``dims``: the variables
    ``early_warning``, ``early_warning_step`` (−1 where not warned) and
    ``predicted_state``, and the attributes ``early_warning_read_step``,
    ``early_warning_threshold`` (`TOTAL_THRESHOLD`), ``early_warning_dim_threshold``
    (`THRESHOLD`) and ``early_warning_rule`` (`RULE`)."""
    variables = {
        "early_warning": (dims, f.warn),
        "early_warning_step": (dims, np.where(f.warn, f.step, -1).astype(np.int32)),
        "predicted_state": (dims, f.predicted_state),
    }
    attrs = {
        "early_warning_read_step": f.step,
        "early_warning_threshold": TOTAL_THRESHOLD,
        "early_warning_dim_threshold": THRESHOLD,
        "early_warning_rule": RULE,
    }
    return variables, attrs


def fit(signal: np.ndarray, ended_full: np.ndarray) -> float:
    """The threshold that best separates runs that ended fully collapsed (``signal``
    below it) from the others by balanced accuracy: the midpoint of the best gap between
    sorted values."""
    value, full = np.asarray(signal, float).ravel(), np.asarray(ended_full, bool).ravel()
    values = np.sort(np.unique(value))
    candidates = (values[1:] + values[:-1]) / 2 if len(values) > 1 else values
    best, best_score = float(candidates[0]), -1.0
    for threshold in candidates:
        warn = value < threshold
        hit = warn[full].mean() if full.any() else 1.0
        quiet = (~warn[~full]).mean() if (~full).any() else 1.0
        if (hit + quiet) / 2 > best_score:
            best, best_score = float(threshold), (hit + quiet) / 2
    return best


def scores(
    warn: np.ndarray,
    ended_full: np.ndarray,
    warn_step: int,
    onset: np.ndarray,
    total_steps: int | None = None,
    late: float = 0.3,
) -> dict:
    """How a warning did against the outcome: accuracy, false-alarm rate (warned, did
    not end fully collapsed, over those), missed rate (ended full, not warned, over
    those), the median lead (measured onset − warning step) of the warned collapses with
    an onset; with ``total_steps``, the lead in % of training and, of the collapses whose
    onset is after ``late`` of training, the fraction warned and their median lead (%)."""
    warn, full = np.asarray(warn, bool).ravel(), np.asarray(ended_full, bool).ravel()
    onset = np.asarray(onset).ravel()
    hit = warn & full & (onset >= 0)
    leads = onset[hit] - warn_step
    out = {
        "runs": int(warn.size),
        "ended_full": int(full.sum()),
        "warned": int(warn.sum()),
        "accuracy": float((warn == full).mean()),
        "false_alarm_rate": float((warn & ~full).sum() / max((~full).sum(), 1)),
        "missed_rate": float((~warn & full).sum() / max(full.sum(), 1)),
        "median_lead_steps": float(np.median(leads)) if leads.size else float("nan"),
    }
    if total_steps is not None:
        is_late = full & (onset > late * total_steps)
        late_leads = onset[is_late & warn] - warn_step
        out |= {
            "median_lead_pct": 100 * out["median_lead_steps"] / total_steps,
            "late_onsets": int(is_late.sum()),
            "late_warned": float(warn[is_late].mean()) if is_late.any() else float("nan"),
            "late_median_lead_pct": (
                float(100 * np.median(late_leads) / total_steps)
                if late_leads.size
                else float("nan")
            ),
        }
    return out
