"""The early warning, leave one grid out (fit on all grids but one, score on that one),
and the shipped rule scored as shipped on grids that played no part in choosing it.

Reads the ``results.nc`` of finished experiment workdirs (``make early-warning-grids``
produces the ones that are not ``make`` experiments' own). For every run and every
candidate signal, the value at the first logged step at or past 5, 10 and 20 % of
training (`warning.warning_index`), from what the sweep traces: the KL of each latent
dim (``kl_per_dim_trace``; a VQ-VAE's code information as its one unit), total KL and
I(x; z) of the probe (``mutual_info_trace``). Each candidate is a rule "warn when the
signal is below θ", θ fitted by balanced accuracy (`warning.fit`) on the other grids;
one candidate is a two-feature logistic model (pure NumPy), one is parameter-free (the
KL of each dim extrapolated to the end of training against ε). The outcome is the end
state: full collapse = every dim's KL below ε at the end (``collapse_state == 2``).

The shipped rule (`warning.forecast`: Σ_j of each dim's KL carried to the final β,
floored at 0, below `warning.TOTAL_THRESHOLD` at 10 %) is scored through the product's
own function. Prints one JSON line per candidate, fraction and held-out grid, then
markdown: the shipped rule's held-out table, the same beside the trivial rules
(`BASELINES`: never warn, always warn; `skill`: accuracy, balanced accuracy, precision
and recall of "will end fully collapsed", false-alarm rate; the signal's ROC AUC),
every candidate's summary, and the threshold fitted on all grids (what
`warning.TOTAL_THRESHOLD` ships). ``--roc PATH`` draws the ROC of the main signal per
held-out grid.

``--score`` fits nothing: it scores the rule as shipped (its own thresholds) on each of
``--workdirs`` (default `UNSEEN`, the grids built after the rule was fixed) and on all
of them pooled, beside the trivial rules; with ``--roc``, each grid's ROC with the
shipped threshold's point on it.

    python benchmarks/early_warning.py [--workdirs runs/demo ...] \\
        [--roc docs/figures/early_warning_roc.png]
    python benchmarks/early_warning.py --score \\
        [--roc docs/figures/early_warning_unseen_roc.png]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from vaecollapse import results, states
from vaecollapse.families.vae import warning

WORKDIRS = [
    "runs/demo",
    "runs/linear_phase",
    "runs/image_phase",
    "runs/remedies",
    "runs/text_collapse",
    "runs/ew_conv",
    "runs/ew_text",
]
# grids built after the rule and its thresholds were fixed (2026-12-01), scored once with
# ``--score`` and never fitted on (``make early-warning-unseen``)
UNSEEN = ["runs/ew_linear_slow", "runs/ew_digits_mid", "runs/ew_schedules"]
FRACTIONS = (0.05, 0.1, 0.2)
MAIN = "kl_total_at_final_beta"  # the shipped rule's signal (nats)
EPS = 0.05  # the grids' collapse_kl_eps (checked on load)
PREVIOUS = "I(x; z) < 0.0325 nats (the rule until 2026-12-01, no refit)"
PULL = ("mu_var", "sigma_sq", "recon_pull", "kl_pull", "recon_grad")  # `diagnostics.Pull`'s traces
NO_FIT_PULL = "pull_max < 0: every dim's recon pull below β·KL pull (no fit)"
MORE = ("balanced_accuracy", "precision", "recall")  # `skill`'s, beside `warning.scores`
BOUND = 30.0  # |log| of a ratio whose numerator or denominator is 0


def load(workdir: str) -> dict:
    """One grid's runs, flattened: logged steps, total steps, per-unit KL ``[R, T, d]``,
    I(x; z) ``[R, T]``, end state and onset ``[R]``."""
    r = results.load(workdir)
    config = json.loads(r.attrs["config"])
    if config.get("collapse_kl_eps", EPS) != EPS:
        raise ValueError(f"{workdir}: collapse_kl_eps {config['collapse_kl_eps']} != {EPS}")
    dims = list(r.collapse_state.dims)

    def runs(name):
        a = r[name].transpose(*dims, ...).values
        return a.reshape(-1, *a.shape[len(dims) :])

    pulls = {
        name: runs(f"{name}_trace").astype(np.float64)
        for name in PULL
        if f"{name}_trace" in r  # results.nc written before 2026-12-02 lack them
    }
    return dict(
        name=Path(workdir).name,
        steps=r.step.values,
        total=int(config["train"]["steps"]),
        units=warning.kl_units(runs("kl_per_dim_trace"), runs("kl_trace")),
        mi=np.maximum(runs("mutual_info_trace").astype(np.float64), warning.FLOOR),
        beta=runs("beta_trace").astype(np.float64),
        # the schedule's end; NaN (no carry) for a VQ-VAE, whose loss has no β
        beta_final=np.where(
            warning.without_per_dim(runs("kl_per_dim_trace")),
            np.nan,
            warning.final_beta(runs("beta_trace")),
        ),
        state=runs("collapse_state").astype(int),
        # the sweep's own warning (`warning.forecast` as results.nc holds it), when written
        # by today's rule
        sweep_warning=(
            runs("early_warning").astype(bool)
            if "early_warning" in r and r.attrs.get("early_warning_rule") == warning.RULE
            else None
        ),
        onset=runs("collapse_onset_step").astype(int),
        **pulls,
    )


def _slope(steps: np.ndarray, y: np.ndarray, index: int) -> np.ndarray:
    """Least-squares slope per step of ``y`` ``[R, T, ...]`` over logs 0..index (0 with
    one log)."""
    if index < 1:
        return np.zeros(y.shape[:1] + y.shape[2:])
    x = steps[: index + 1].astype(np.float64)
    x = x - x.mean()
    window = y[:, : index + 1]
    return np.einsum("rt...,t->r...", window - window.mean(1, keepdims=True), x) / (x @ x)


def signals(grid: dict, fraction: float) -> tuple[int, dict[str, np.ndarray]]:
    """The warning step and each candidate's value per run (lower: collapse)."""
    steps, total = grid["steps"], grid["total"]
    i = warning.warning_index(steps, total, fraction)
    log_kl = np.log(grid["units"])  # NaN for a VQ-VAE's absent dims
    log_mi = np.log(grid["mi"])
    remaining = total - steps[i]
    slope_kl = _slope(steps, np.nan_to_num(log_kl, nan=0.0), i)
    slope_mi = _slope(steps, log_mi, i)
    top = np.nanargmax(log_kl[:, i], -1)
    rows = np.arange(len(top))
    log_total = np.log(np.nansum(grid["units"][:, i], -1))
    # KL_j carried to the final β (`warning.at_final_beta`)
    carried = warning.at_final_beta(grid["units"][:, i], grid["beta"][:, i], grid["beta_final"])
    out = {}
    if "recon_pull" in grid:
        out = pull_signals(grid, i)
    return (
        int(steps[i]),
        out
        | {
            "kl_max": np.nanmax(log_kl[:, i], -1),  # log max_j KL_j
            "kl_at_final_beta": np.nanmax(carried, -1),  # nats
            "kl_total": log_total,
            # the shipped rule's: Σ_j of the carried KL_j, each floored at 0 (nats)
            "kl_total_at_final_beta": np.nansum(np.maximum(carried, 0.0), -1),
            "mutual_info": log_mi[:, i],
            "kl_max_trend": slope_kl[rows, top] * total,  # d log KL of the top dim / d(training)
            # how far the top dim's KL has fallen from the highest any dim reached so far
            "kl_max_from_peak": np.nanmax(log_kl[:, i], -1)
            - np.nanmax(log_kl[:, : i + 1], (-2, -1)),
            "mi_trend": slope_mi * total,
            "kl_max_extrapolated": np.nanmax(log_kl[:, i] + slope_kl * remaining, -1),
            "mi_extrapolated": log_mi[:, i] + slope_mi * remaining,
        },
    )


def _log_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """log(numerator / denominator): +`BOUND` where the denominator is ≤ 0, else −`BOUND`
    where the numerator is ≤ 0 (NaN stays NaN)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.log(np.maximum(numerator, 0) / np.maximum(denominator, 0))
    # no pull inward (β = 0, free bits holding the dim): nothing to collapse it
    value = np.where(denominator <= 0, BOUND, np.where(numerator <= 0, -BOUND, value))
    return np.where(
        np.isnan(numerator) | np.isnan(denominator), np.nan, np.clip(value, -BOUND, BOUND)
    )


def pull_signals(grid: dict, i: int) -> dict[str, np.ndarray]:
    """The signals of `diagnostics.latent_pull`'s traces at log ``i`` (max over dims;
    a VQ-VAE, without them, reads as not collapsing): the encoder's signal to noise
    Var_x μ_j / E σ_j²; the ratio of reconstruction's pull on the spread of μ_j to the
    KL's at the run's final β (> 1: the dim grows under it), at the β of the read step
    (≈ 1 at equilibrium, > 1 growing), and the same from the pulls summed over the logs
    so far (less noisy); the decoder's use of z_j, its RMS gradient per unit of final β."""
    beta_final, beta_now = grid["beta_final"][:, None], grid["beta"][:, i, None]
    upto = slice(0, i + 1)
    per_dim = {
        "snr_max": _log_ratio(grid["mu_var"][:, i], grid["sigma_sq"][:, i]),
        "pull_max": _log_ratio(grid["recon_pull"][:, i], beta_final * grid["kl_pull"][:, i]),
        "pull_now_max": _log_ratio(grid["recon_pull"][:, i], beta_now * grid["kl_pull"][:, i]),
        "pull_now_sum_max": _log_ratio(
            grid["recon_pull"][:, upto].sum(1), beta_now * grid["kl_pull"][:, upto].sum(1)
        ),
        "decoder_grad_max": _log_ratio(
            grid["recon_grad"][:, i], np.broadcast_to(beta_final, grid["recon_grad"][:, i].shape)
        ),
        # the decoder's use of z_j against the most it had so far (scale-free)
        "decoder_grad_from_peak": _log_ratio(
            grid["recon_grad"][:, i], np.fmax.reduce(grid["recon_grad"][:, upto], 1)
        ),
    }
    missing = np.all(np.isnan(grid["recon_pull"][:, i]), -1)
    return {
        name: np.where(missing, BOUND, np.nanmax(np.nan_to_num(v, nan=-BOUND), -1))
        for name, v in per_dim.items()
    }


def auc(values: np.ndarray, full: np.ndarray) -> float:
    """Area under the ROC of "warn when value < θ" (ties count half); NaN with one class."""
    pos, neg = values[full], values[~full]
    if not pos.size or not neg.size:
        return float("nan")
    less = (pos[:, None] < neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    return float(less)


def skill(warn: np.ndarray, full: np.ndarray) -> dict:
    """How a warning of "will end fully collapsed" did against the outcome, from its
    confusion counts: ``tp`` (warned, ended full), ``fp`` (warned, did not), ``fn``,
    ``tn``; accuracy; balanced accuracy (the mean of recall and 1 − false-alarm rate);
    precision (of the warned, the fraction that ended full); recall (of the runs that
    ended full, the fraction warned); false-alarm rate (of the runs that did not end
    full, the fraction warned). A ratio whose denominator is 0 is NaN (precision of a
    rule that never warns; recall, false-alarm rate and balanced accuracy of a grid with
    one outcome only)."""
    warn, full = np.asarray(warn, bool).ravel(), np.asarray(full, bool).ravel()
    tp, fp = int((warn & full).sum()), int((warn & ~full).sum())
    fn, tn = int((~warn & full).sum()), int((~warn & ~full).sum())

    def ratio(a: int, b: int) -> float:
        return a / b if b else float("nan")

    recall, false_alarms = ratio(tp, tp + fn), ratio(fp, fp + tn)
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "accuracy": ratio(tp + tn, warn.size),
        "balanced_accuracy": (recall + 1 - false_alarms) / 2,
        "precision": ratio(tp, tp + fp),
        "recall": recall,
        "false_alarm_rate": false_alarms,
    }


# the trivial rules every warning is scored beside: what they warn of, given the runs
BASELINES = {
    "never warn": lambda full: np.zeros_like(full, bool),
    "always warn": lambda full: np.ones_like(full, bool),
}


def roc(values: np.ndarray, full: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """False-alarm and hit rates of "warn when value < θ" over every θ."""
    thresholds = np.concatenate([[-np.inf], np.sort(np.unique(values)), [np.inf]])
    warn = values[None, :] < thresholds[:, None]
    fa = (warn & ~full).sum(1) / max((~full).sum(), 1)
    hit = (warn & full).sum(1) / max(full.sum(), 1)
    return fa, hit


def logistic_fit(x: np.ndarray, y: np.ndarray, steps: int = 3000, l2: float = 1e-2):
    """A logistic model on standardised ``x`` ``[N, k]`` by gradient descent; returns a
    function from features to P(full)."""
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = np.c_[(x - mean) / std, np.ones(len(x))]
    weight = np.where(y, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))  # balanced
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (weight * (p - y)) / len(y) + l2 * np.r_[w[:-1], 0]
        w -= 0.5 * grad
    return lambda xx: 1 / (1 + np.exp(-np.c_[(xx - mean) / std, np.ones(len(xx))] @ w))


def evaluate(grids: list[dict]) -> list[dict]:
    """Every candidate at every fraction, each grid held out once."""
    rows = []
    for fraction in FRACTIONS:
        sig = {g["name"]: signals(g, fraction) for g in grids}
        names = [
            *next(iter(sig.values()))[1],
            "logistic(kl_max, kl_max_trend)",
            "kl_max_extrapolated vs ε (no fit)",
            PREVIOUS,
        ]
        if "pull_max" in names:
            names += [
                NO_FIT_PULL,
                "logistic(kl_max, pull_max)",
                "logistic(kl_at_final_beta, pull_now_max)",
                "logistic(kl_at_final_beta, pull_now_sum_max)",
                "logistic(kl_at_final_beta, snr_max)",
                "logistic(kl_at_final_beta, decoder_grad_max)",
                "logistic(kl_at_final_beta, decoder_grad_from_peak)",
            ]

        def features(grid_name, name, sig=sig):
            inside = name[len("logistic(") : -1].split(", ")
            return np.stack([sig[grid_name][1][f] for f in inside], -1)

        for name in names:
            for held in grids:
                rest = [g for g in grids if g is not held]
                full_fit = np.concatenate([g["state"] == states.FULL for g in rest])
                full = held["state"] == states.FULL
                step, values = sig[held["name"]]
                fitted = {}
                if name.startswith("logistic"):
                    x = np.concatenate([features(g["name"], name) for g in rest])
                    value = -logistic_fit(x, full_fit)(features(held["name"], name))
                    warn = value < -0.5
                elif name == PREVIOUS:
                    value = values["mutual_info"]
                    warn = value < math.log(0.0325)
                elif name == NO_FIT_PULL:
                    value = values["pull_max"]
                    warn = value < 0.0
                elif name.endswith("(no fit)"):
                    value = values["kl_max_extrapolated"]
                    warn = value < math.log(EPS)
                else:
                    value = values[name]
                    theta = warning.fit(
                        np.concatenate([sig[g["name"]][1][name] for g in rest]), full_fit
                    )
                    fitted = {"threshold": theta}
                    if name == MAIN:  # through the product's own function
                        f = warning.forecast(
                            held["steps"],
                            held["units"],
                            held["total"],
                            beta=held["beta"],
                            beta_final=held["beta_final"],
                            threshold=theta,
                            fraction=fraction,
                        )
                        assert f.step == step
                        assert np.array_equal(f.warn, value < theta)  # the same signal
                        warn = f.warn
                        fitted = {"threshold_nats": theta}
                    else:
                        warn = value < theta
                rows.append(
                    {
                        "signal": name,
                        "fraction": fraction,
                        "held_out": held["name"],
                        "warning_step": step,
                    }
                    | fitted
                    | {"auc": auc(value, full)}
                    | warning.scores(warn, full, step, held["onset"], held["total"])
                    | {
                        k: skill(warn, full)[k]
                        for k in ("balanced_accuracy", "precision", "recall")
                    }
                    | {"_warn": warn, "_value": value}  # for the tables, not printed
                )
    return rows


def skill_rows(
    name: str,
    rule: str,
    warn: np.ndarray,
    values: np.ndarray,
    full: np.ndarray,
    late: np.ndarray,
    lead_pct: float = float("nan"),
) -> list[dict]:
    """One grid's (or a pool's) rows: the rule's ``warn`` beside `BASELINES`, each with
    `skill`, the AUC of the rule's signal ``values`` (a baseline's constant score: 0.5)
    and how many of the ``late`` collapses (onset after 30 % of training) it warned; the
    rule's median lead ``lead_pct`` (% of training), none for a baseline."""
    rows = []
    for label, warned in [(rule, warn)] + [(b, f(full)) for b, f in BASELINES.items()]:
        mine = label == rule
        rows.append(
            {"grid": name, "warning": label, "runs": int(full.size), "ended_full": int(full.sum())}
            | {"warned": int(warned.sum())}
            | skill(warned, full)
            | {"auc": auc(values if mine else np.zeros(full.size), full)}
            | {"late_onsets": int(late.sum()), "late_warned_runs": int((warned & late).sum())}
            | {"median_lead_pct": lead_pct if mine else float("nan")}
        )
    return rows


def score_shipped(grids: list[dict]) -> list[dict]:
    """The rule as the package ships it (`warning.forecast` with its own thresholds,
    nothing fitted) on each grid, and on all of them pooled, beside `BASELINES`."""
    rows, pooled = [], []
    for g in grids:
        f = warning.forecast(
            g["steps"], g["units"], g["total"], beta=g["beta"], beta_final=g["beta_final"]
        )
        step, values = signals(g, warning.FRACTION)
        values = values[MAIN]
        assert f.step == step
        assert np.array_equal(f.warn, values < warning.TOTAL_THRESHOLD)  # the same signal
        if g["sweep_warning"] is not None:  # and what the sweep wrote in results.nc
            assert np.array_equal(f.warn, g["sweep_warning"])
        full = g["state"] == states.FULL
        late = full & (g["onset"] > 0.3 * g["total"])
        lead = warning.scores(f.warn, full, step, g["onset"], g["total"])["median_lead_pct"]
        rows += skill_rows(g["name"], "shipped rule", f.warn, values, full, late, lead)
        pooled.append((f.warn, values, full, late))
    if len(grids) > 1:
        rows += skill_rows(
            "all, pooled", "shipped rule", *map(np.concatenate, zip(*pooled, strict=True))
        )
    return rows


def skill_markdown(rows: list[dict]) -> str:
    """`skill_rows`' rows as one markdown table."""
    out = [
        "| grid | runs | ended full | warning | warned | accuracy | balanced accuracy "
        "| precision | recall | false alarms | AUC | late onsets (> 30 %) warned "
        "| median lead (% of training) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        late_warned = f"{r['late_warned_runs']} of {r['late_onsets']}"
        out.append(
            f"| {r['grid']} | {r['runs']} | {r['ended_full']} | {r['warning']} | "
            f"{r['warned']} | {_f(r['accuracy'])} | {_f(r['balanced_accuracy'])} | "
            f"{_f(r['precision'])} | {_f(r['recall'])} | {_f(r['false_alarm_rate'])} | "
            f"{_f(r['auc'])} | {late_warned} | {_f(r['median_lead_pct'], 0)} |"
        )
    return "\n".join(out)


def _f(x: float, digits: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def markdown(rows: list[dict], grids: list[dict], fraction: float = warning.FRACTION) -> str:
    """The shipped rule's held-out table at ``fraction`` and every candidate's summary."""
    out = [
        f"Shipped rule ({MAIN} below θ at {fraction:.0%} of training), each grid held out:",
        "",
        "| held-out grid | runs | ended full | warned | θ (nats) | warning step | accuracy "
        "| false alarms | missed | median lead (steps / % of training) | late onsets (> 30 %) "
        "| late warned | late median lead (%) | AUC |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_grid = {g["name"]: g for g in grids}
    for r in rows:
        if r["signal"] == MAIN and r["fraction"] == fraction:
            pct = 100 * r["warning_step"] / by_grid[r["held_out"]]["total"]
            at = f"{r['warning_step']} ({pct:.0f} %)"
            out.append(
                f"| {r['held_out']} | {r['runs']} | {r['ended_full']} | {r['warned']} | "
                f"{r['threshold_nats']:.3f} | {at} | "
                f"{_f(r['accuracy'])} | {_f(r['false_alarm_rate'])} | {_f(r['missed_rate'])} | "
                f"{_f(r['median_lead_steps'], 0)} / {_f(r['median_lead_pct'], 0)} | "
                f"{r['late_onsets']} | {_f(r['late_warned'])} | "
                f"{_f(r['late_median_lead_pct'], 0)} | {_f(r['auc'])} |"
            )
    held = []
    for r in rows:
        if r["signal"] == MAIN and r["fraction"] == fraction:
            g = by_grid[r["held_out"]]
            full = g["state"] == states.FULL
            late = full & (g["onset"] > 0.3 * g["total"])
            rule = f"rule, θ {r['threshold_nats']:.3f}"
            held += skill_rows(
                r["held_out"], rule, r["_warn"], r["_value"], full, late, r["median_lead_pct"]
            )
    out += [
        "",
        'The same, beside the trivial rules (precision, recall: of "will end fully '
        'collapsed"; AUC: of the signal within the grid):',
        "",
        skill_markdown(held),
    ]
    out += [
        "",
        "Every candidate, held out: mean and worst accuracy, worst false-alarm rate, mean AUC "
        "over the grids; late onsets (> 30 % of training): warned, pooled over the grids, and the "
        "median of the grids' median leads:",
        "",
        "| signal | at | mean accuracy | worst accuracy | worst false alarms | mean AUC "
        "| late warned | late median lead (%) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for fr in FRACTIONS:
        for name in dict.fromkeys(r["signal"] for r in rows):
            sel = [r for r in rows if r["signal"] == name and r["fraction"] == fr]
            late = sum(r["late_onsets"] for r in sel)
            warned = sum(r["late_onsets"] * r["late_warned"] for r in sel if r["late_onsets"])
            leads = [
                r["late_median_lead_pct"] for r in sel if not math.isnan(r["late_median_lead_pct"])
            ]
            out.append(
                f"| {name} | {fr:.0%} | {_f(float(np.mean([r['accuracy'] for r in sel])))} | "
                f"{_f(min(r['accuracy'] for r in sel))} | "
                f"{_f(max(r['false_alarm_rate'] for r in sel))} | "
                f"{_f(np.nanmean([r['auc'] for r in sel]))} | "
                f"{round(warned)} of {late} | "
                f"{_f(float(np.median(leads)) if leads else float('nan'), 0)} |"
            )
    return "\n".join(out)


def plot_roc(
    grids: list[dict], path: str, fraction: float = warning.FRACTION, threshold: float | None = None
) -> None:
    """The ROC of the main signal per grid; with ``threshold``, each grid's point there."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    for g in grids:
        _, values = signals(g, fraction)
        full = g["state"] == states.FULL
        fa, hit = roc(values[MAIN], full)
        (line,) = ax.plot(
            fa,
            hit,
            drawstyle="steps-post",
            label=f"{g['name']} (AUC {auc(values[MAIN], full):.2f})",
        )
        if threshold is not None:
            s = skill(values[MAIN] < threshold, full)
            ax.plot(s["false_alarm_rate"], s["recall"], "o", color=line.get_color(), ms=5)
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set_xlabel("false-alarm rate")
    ax.set_ylabel("hit rate (ended fully collapsed, warned)")
    title = f"Σ_j KL_j carried to the final β, at {fraction:.0%} of training"
    if threshold is not None:
        title += f"\n(dots: the shipped θ = {threshold:g} nats)"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _json(row: dict) -> str:
    """One row as a JSON line: floats to 4 digits, the keys starting with _ left out."""
    shown = {k: v for k, v in row.items() if not k.startswith("_")}
    return json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in shown.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdirs", nargs="+", default=None)
    parser.add_argument("--roc", default=None, help="path of the ROC figure of the main signal")
    parser.add_argument(
        "--score",
        action="store_true",
        help="score the shipped rule as shipped (nothing fitted) on --workdirs (default: the "
        "grids that played no part in choosing it), beside never-warn and always-warn",
    )
    args = parser.parse_args()
    args.workdirs = args.workdirs or (UNSEEN if args.score else WORKDIRS)
    grids = [load(w) for w in args.workdirs]
    if args.score:
        rows = score_shipped(grids)
        for row in rows:
            print(_json(row))
        print()
        print(
            f"Shipped rule ({MAIN} < {warning.TOTAL_THRESHOLD} nats at "
            f"{warning.FRACTION:.0%} of training, nothing fitted) beside the trivial rules:"
        )
        print()
        print(skill_markdown(rows))
        if args.roc:
            plot_roc(grids, args.roc, threshold=warning.TOTAL_THRESHOLD)
        return
    rows = evaluate(grids)
    for row in rows:
        print(_json(row))
    # the threshold the package ships: the same fit on every grid
    sig = [signals(g, warning.FRACTION)[1][MAIN] for g in grids]
    theta = warning.fit(
        np.concatenate(sig), np.concatenate([g["state"] == states.FULL for g in grids])
    )
    print(
        json.dumps(
            {
                "fitted_on": args.workdirs,
                "signal": MAIN,
                "fraction": warning.FRACTION,
                "threshold_nats": round(theta, 4),
                "shipped": warning.TOTAL_THRESHOLD,
            }
        )
    )
    print()
    print(markdown(rows, grids))
    if args.roc:
        plot_roc(grids, args.roc)


if __name__ == "__main__":
    main()
