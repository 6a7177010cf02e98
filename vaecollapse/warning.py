"""Early warning of full collapse, from the first part of a run's training.

Rule: at the first logged step at or past `FRACTION` (20 %) of training, warn that the
run will end fully collapsed (every latent dim's KL below ε, `diagnostics.collapse_state`)
when the probe's I(x; z) is below `THRESHOLD` nats. The threshold ships with the
package; it was fitted by ``python benchmarks/early_warning.py`` on the ``demo`` and
``linear_phase`` grids (the midpoint of the gap that best separates the runs that ended
fully collapsed, by balanced accuracy) on 2026-11-27, when "fully collapsed" meant no
active unit, and is evaluated on ``image_phase``, which it never saw (docs/vae.md,
"Early warning", with the refit under today's state). Pure NumPy.
"""

from __future__ import annotations

import math

import numpy as np

FRACTION = 0.2
THRESHOLD = 0.0325  # nats of I(x; z); benchmarks/early_warning.py, fitted on demo + linear_phase


def warning_index(num_logs: int) -> int:
    """Index of the logged step at which the warning is given (the first at or past
    `FRACTION` of training)."""
    return max(1, math.ceil(FRACTION * num_logs)) - 1


def early_warning(mi_trace: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """True where a run is predicted to end fully collapsed: ``mi_trace`` ``[..., T]``
    (I(x; z) at each logged step) below ``threshold`` at `warning_index`."""
    mi_trace = np.asarray(mi_trace)
    return mi_trace[..., warning_index(mi_trace.shape[-1])] < threshold


def fit(mi_at_warning: np.ndarray, ended_full: np.ndarray) -> float:
    """The threshold that best separates runs that ended fully collapsed (below it) from
    the others by balanced accuracy: the midpoint of the best gap between sorted values."""
    mi, full = np.asarray(mi_at_warning, float).ravel(), np.asarray(ended_full, bool).ravel()
    values = np.sort(np.unique(mi))
    candidates = (values[1:] + values[:-1]) / 2 if len(values) > 1 else values
    best, best_score = float(candidates[0]), -1.0
    for threshold in candidates:
        warn = mi < threshold
        hit = warn[full].mean() if full.any() else 1.0
        quiet = (~warn[~full]).mean() if (~full).any() else 1.0
        if (hit + quiet) / 2 > best_score:
            best, best_score = float(threshold), (hit + quiet) / 2
    return best


def scores(warn: np.ndarray, ended_full: np.ndarray, warn_step: int, onset: np.ndarray) -> dict:
    """How a warning did against the outcome: accuracy, false-alarm rate (warned, did
    not end fully collapsed, over those), missed rate (ended full, not warned, over
    those), and the median lead time (measured onset − warning step) of the warned
    collapses with an onset."""
    warn, full = np.asarray(warn, bool).ravel(), np.asarray(ended_full, bool).ravel()
    onset = np.asarray(onset).ravel()
    leads = onset[warn & full & (onset >= 0)] - warn_step
    return {
        "runs": int(warn.size),
        "ended_full": int(full.sum()),
        "warned": int(warn.sum()),
        "accuracy": float((warn == full).mean()),
        "false_alarm_rate": float((warn & ~full).sum() / max((~full).sum(), 1)),
        "missed_rate": float((~warn & full).sum() / max(full.sum(), 1)),
        "median_lead_steps": float(np.median(leads)) if leads.size else float("nan"),
    }
