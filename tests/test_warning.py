"""The early warning: the rule on hand-built traces, its fit and scores by hand, a
monotonicity property, one implementation shared by the sweep and the monitor, and the
benchmark's skill measures (against scikit-learn and by hand)."""

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_config
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vaecollapse import results, states, sweep
from vaecollapse.families.vae import monitor, warning
from vaecollapse.families.vae import report as vae_report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import early_warning  # benchmarks/early_warning.py


@pytest.mark.parametrize(
    "steps, total, fraction, index",
    [
        ([100, 200, 300], 1000, 0.1, 0),  # the first log is already past 10 %
        ([50, 100, 150], 1000, 0.1, 1),  # at 10 % exactly
        ([50, 100, 150], 1000, 0.12, 2),  # the first at or past
        ([50, 100, 150], 1000, 0.2, -1),  # not reached yet
        ([50, 100, 150, 200, 250, 300], 600, 0.1, 1),  # image_phase: step 100 reads 10 %
    ],
)
def test_warning_index(steps, total, fraction, index):
    assert warning.warning_index(steps, total, fraction) == index


def test_forecast_on_hand_built_traces():
    """Logs every 50 of 1000 steps: the rule reads step 100 (10 %). The KL per dim there,
    floored at 0, summed: below θ → warned, full; otherwise partial when some dim is
    below the per-dim θ, healthy when none is. Other steps don't count."""
    steps = np.arange(1, 21) * 50
    kl = np.full((5, 20, 3), 1.0)  # healthy everywhere but at step 100
    kl[0, 1] = [0.01, 0.1, -0.002]  # Σ 0.11: an estimate below 0 counts as 0
    kl[1, 1] = [0.01, 0.1, 0.3]  # Σ 0.41
    kl[2, 1] = [0.2, 0.3, 0.4]  # Σ 0.9
    kl[3, 1] = [0.1, 0.1, 0.1]  # Σ 0.3
    kl[3, 2:] = 0.0  # collapsed after the warning step: no say in the warning
    kl[4, 1] = [0.05, 0.05, 0.9]  # Σ 1.0, two dims below the per-dim θ
    f = warning.forecast(steps, kl, 1000, threshold=0.35, dim_threshold=0.15)
    assert f.step == 100
    np.testing.assert_array_equal(f.warn, [True, False, False, True, False])
    np.testing.assert_array_equal(
        f.predicted_state,
        [states.FULL, states.PARTIAL, states.HEALTHY, states.FULL, states.PARTIAL],
    )
    # the threshold is strict and shipped
    assert not warning.forecast(steps, kl, 1000, threshold=0.3).warn[3]
    assert warning.forecast(steps, kl[:, :, :1] * 0 + 0.01, 1000).warn.all()
    assert warning.TOTAL_THRESHOLD > warning.THRESHOLD > 0.05  # above ε: still falling
    # before 10 % of training: nothing read yet
    early = warning.forecast(steps[:1], kl[:, :1], 1000)
    assert early.step == -1 and not early.warn.any()
    np.testing.assert_array_equal(early.predicted_state, [-1] * 5)


def test_forecast_reads_a_vq_vaes_code_information():
    """No per-dim KL (NaN): the total, its one unit, decides."""
    steps = np.array([10, 20])
    per_dim = np.full((2, 2, 4), np.nan)
    kl = np.array([[0.01, 0.0], [3.0, 3.0]])
    f = warning.forecast(steps, per_dim, 100, kl=kl, threshold=0.1)
    np.testing.assert_array_equal(f.warn, [True, False])
    np.testing.assert_array_equal(f.predicted_state, [states.FULL, states.HEALTHY])


@settings(max_examples=60, deadline=None)
@given(
    kl=hnp.arrays(np.float64, (3, 6, 4), elements=st.floats(0, 2)),
    cut=hnp.arrays(np.float64, (3, 6, 4), elements=st.floats(0, 1)),
)
def test_lowering_kl_never_removes_a_warning(kl, cut):
    """Monotone: a run whose KL is lower anywhere is warned when the original was, and
    its predicted state is never healthier."""
    steps = np.arange(1, 7) * 10
    before = warning.forecast(steps, kl, 60)
    after = warning.forecast(steps, kl * (1 - cut), 60)
    assert np.all(after.warn >= before.warn)
    assert np.all(after.predicted_state >= before.predicted_state)


def test_fit_takes_the_midpoint_of_the_separating_gap():
    mi = np.array([0.0, 0.01, 0.02, 0.30, 0.5, 1.0])
    full = np.array([True, True, True, False, False, False])
    np.testing.assert_allclose(warning.fit(mi, full), 0.16)
    # one overlap: the best balanced accuracy keeps the gap below the healthy outlier
    full[3] = True
    np.testing.assert_allclose(warning.fit(mi, full), 0.4)


def test_scores_by_hand():
    warn = np.array([True, True, False, False, True, True])
    full = np.array([True, False, True, False, True, True])
    onset = np.array([300, -1, 500, -1, 100, 700])
    s = warning.scores(warn, full, 200, onset, total_steps=1000)
    assert s["accuracy"] == pytest.approx(4 / 6)
    assert s["false_alarm_rate"] == pytest.approx(1 / 2)
    assert s["missed_rate"] == pytest.approx(1 / 4)
    assert s["median_lead_steps"] == pytest.approx(100.0)  # leads 100, −100, 500
    assert s["median_lead_pct"] == pytest.approx(10.0)
    # onsets after 30 %: 500 (missed) and 700 (warned, lead 500 = 50 %)
    assert s["late_onsets"] == 2 and s["late_warned"] == pytest.approx(0.5)
    assert s["late_median_lead_pct"] == pytest.approx(50.0)


def _monitor_replay(steps, kl_per_dim, total_steps, betas):
    """A monitor fed encoder outputs whose KL per dim is exactly ``kl_per_dim`` [T, d]:
    μ = ±√(2 KL_j) over half the inputs each, σ = 1, so E_x KL_j = ½ μ² = KL_j; β at each
    update from ``betas`` [T], the last one final."""
    m = monitor.CollapseMonitor(
        kl_per_dim.shape[-1], total_steps=total_steps, beta_final=float(betas[-1])
    )
    signs = np.where(np.arange(64) % 2 == 0, 1.0, -1.0)[:, None]
    for step, kl, beta in zip(steps, kl_per_dim, betas, strict=True):
        mu = signs * np.sqrt(2 * np.maximum(kl, 0))[None, :]
        m.update(int(step), mu, np.zeros_like(mu), beta=float(beta))
    return m


@settings(max_examples=80, deadline=None)
@given(
    eigenvalue=st.floats(0.01, 100.0),
    sigma2=st.floats(0.05, 2.0),
    beta_now=st.floats(0.01, 10.0),
    growth=st.floats(1.0, warning.MAX_RATIO),
)
def test_at_final_beta_is_the_linear_vaes_equilibrium_at_the_final_beta(
    eigenvalue, sigma2, beta_now, growth
):
    """Lucas et al. (2019): a linear VAE's dim with data variance λ has equilibrium KL
    ½ log(λ / βσ²) while λ > βσ², 0 after. Carried from β_now to β_final = growth · β_now
    (within `warning.MAX_RATIO`),
    the equilibrium KL at β_now is the one at β_final where the dim survives, and ≤ 0
    (below any threshold) exactly where it dies."""
    beta_final = beta_now * growth

    def equilibrium(beta):
        return max(0.0, 0.5 * np.log(eigenvalue / (beta * sigma2)))

    if eigenvalue <= beta_now * sigma2:
        return  # already collapsed at β_now: nothing to carry
    carried = warning.at_final_beta(np.array([equilibrium(beta_now)]), beta_now, beta_final)[0]
    if eigenvalue > beta_final * sigma2:
        assert carried == pytest.approx(equilibrium(beta_final), abs=1e-9)
    else:
        assert carried <= 1e-9


def test_forecast_carries_the_kl_to_the_final_beta():
    """A KL warm-up: at 10 % β is 0.5 of a final 4, every dim's KL 0.5 nats; carried to
    β = 4 that is 0.5 − ½ log 8 < 0, a warning; read as it is, none. β = 0 at either end
    scales nothing; β_now = β_final is the plain reading."""
    steps = np.arange(1, 11) * 100
    kl = np.full((1, 10, 3), 0.5)
    beta = np.linspace(0.25, 4.0, 10)[None, :]  # 0.5 at step 200
    beta[0, 1] = 0.5
    plain = warning.forecast(steps, kl, 2000)
    carried = warning.forecast(steps, kl, 2000, beta=beta, beta_final=beta[:, -1])
    assert plain.step == carried.step == 200
    assert not plain.warn[0] and carried.warn[0]
    np.testing.assert_allclose(
        warning.at_final_beta(kl[:, 1], beta[:, 1], beta[:, -1]), 0.5 - 0.5 * np.log(8.0)
    )
    # read as it is: no KL pressure to come, the same β, a falling β, an unknown β
    for now, final in ((0.5, 0.0), (4.0, 4.0), (8.0, 4.0), (np.nan, 4.0), (0.5, np.nan)):
        np.testing.assert_array_equal(warning.at_final_beta(kl[:, 1], now, final), kl[:, 1])
    # carried by at most β_final / β_now = MAX_RATIO: β_now = 0 or just above it
    capped = kl[:, 1] - 0.5 * np.log(warning.MAX_RATIO)
    for now in (0.0, 1e-6, 4.0 / warning.MAX_RATIO):
        np.testing.assert_allclose(warning.at_final_beta(kl[:, 1], now, 4.0), capped)
    with pytest.raises(ValueError, match="beta and beta_final go together"):
        warning.forecast(steps, kl, 2000, beta=beta)


def test_a_vq_vaes_code_information_is_not_carried():
    """A VQ-VAE's loss has no β: its one unit (the code information, no per-dim KL) is
    read as it is even under a logged warm-up; a Gaussian run beside it is carried."""
    steps = np.array([10, 20])
    per_dim = np.full((2, 2, 1), np.nan)
    per_dim[1] = 1.0
    kl = np.array([[1.0, 1.0], [1.0, 1.0]])
    beta = np.array([[0.5, 1.0], [0.5, 1.0]])  # read at step 10: β 0.5 of a final 8
    f = warning.forecast(
        steps, per_dim, 100, kl=kl, beta=beta, beta_final=np.array([8.0, 8.0]), threshold=0.5
    )
    np.testing.assert_array_equal(f.warn, [False, True])


@settings(max_examples=40, deadline=None)
@given(
    kl=hnp.arrays(np.float64, (3, 5, 2), elements=st.floats(0, 2)),
    beta=hnp.arrays(np.float64, (3, 5), elements=st.floats(0.01, 5)),
    more=st.floats(1.0, 20.0),
)
def test_a_larger_final_beta_never_removes_a_warning(kl, beta, more):
    steps = np.arange(1, 6) * 10
    before = warning.forecast(steps, kl, 50, beta=beta, beta_final=beta[:, -1])
    after = warning.forecast(steps, kl, 50, beta=beta, beta_final=beta[:, -1] * more)
    assert np.all(after.warn >= before.warn)
    assert np.all(after.predicted_state >= before.predicted_state)


def test_sweep_and_monitor_give_the_same_warning(tmp_path):
    """The sweep's results.nc and a monitor fed the same KL trace: one rule, one answer."""
    c = tiny_config(beta=(0.1, 50.0))
    c.train.steps, c.train.log_every, c.checkpoint_every = 200, 20, 100
    c.hparams.learning_rate = 1e-2  # so that β = 0.1 has learned a code by step 20
    c.train.schedule, c.hparams.warmup_steps = "linear_warmup", 40.0  # β still rising at 10 %
    res = sweep.run_sweep(c, tmp_path, progress=False)
    beta = res.beta_trace.values
    assert np.all(beta[:, 0] < beta[:, -1]) and np.allclose(beta[:, -1], [0.1, 50.0])
    f = warning.forecast(
        res.step.values,
        res.kl_per_dim_trace.values,
        c.train.steps,
        beta=beta,
        beta_final=beta[:, -1],
    )
    plain = warning.forecast(res.step.values, res.kl_per_dim_trace.values, c.train.steps)
    assert np.any(plain.predicted_state != f.predicted_state)  # the carry matters here
    np.testing.assert_array_equal(res.early_warning.values, f.warn)
    np.testing.assert_array_equal(res.early_warning_step.values, np.where(f.warn, f.step, -1))
    np.testing.assert_array_equal(res.predicted_state.values, f.predicted_state)
    assert res.attrs["early_warning_read_step"] == f.step == 20  # 10 % of 200 steps
    assert results.load(tmp_path).predicted_state.dims == ("beta",)
    assert list(res.early_warning.values) == [False, True]  # β = 0.1 healthy, β = 50 not
    note = vae_report.warning_note(results.load(tmp_path))
    assert (
        "At step 20 (10 % of training), the latent dims' KL carried to the final β "
        f"(`warning.at_final_beta`), floored at 0 and summed, below {warning.TOTAL_THRESHOLD:g}"
        in note
    )
    assert "warned of full collapse in 1 of 2 runs" in note
    # a results.nc written before the rule (no predicted_state): the report computes it
    old = results.load(tmp_path).drop_vars(["predicted_state", "early_warning"])
    old.attrs = {k: v for k, v in old.attrs.items() if not k.startswith("early_warning")}
    assert vae_report.warning_note(old) == note
    # one written by an earlier rule (no early_warning_rule): re-read with today's
    stale = results.load(tmp_path)
    stale = stale.assign(
        early_warning=~stale.early_warning, predicted_state=0 * stale.predicted_state
    )
    stale.attrs = {k: v for k, v in stale.attrs.items() if k != "early_warning_rule"}
    assert vae_report.warning_note(stale) == note
    # the benchmark scores what the sweep wrote, with the product's own rule
    rows = early_warning.score_shipped([early_warning.load(str(tmp_path))])
    assert [r["warning"] for r in rows] == ["shipped rule", "never warn", "always warn"]
    assert [r["warned"] for r in rows] == [int(f.warn.sum()), 0, 2]
    for i in range(res.sizes["beta"]):
        trace = res.kl_per_dim_trace.isel(beta=i).values
        m = _monitor_replay(res.step.values, trace, c.train.steps, beta[i])
        np.testing.assert_allclose(m.trace("kl"), trace.sum(-1), rtol=1e-4, atol=1e-6)
        warned = bool(res.early_warning.values[i])
        assert m.warning == (f.step if warned else None)
        assert m.predicted_state == states.STATE_NAMES[int(res.predicted_state.values[i])]


def test_final_beta_and_without_per_dim():
    """β_final: the largest logged β (a warm-up's or a cycle's end), a diverged run's NaN
    logs skipped; runs without a per-dim KL: NaN in every dim at every step."""
    beta = np.array([[0.25, 1.0, 0.5], [0.5, np.nan, np.nan], [np.nan] * 3])
    np.testing.assert_array_equal(warning.final_beta(beta), [1.0, 0.5, np.nan])
    assert warning.final_beta(None) is None
    kl = np.full((3, 2, 4), np.nan)
    kl[0] = 0.1
    kl[1, 0, 2] = 0.0  # a diverged run keeps its early per-dim KL
    np.testing.assert_array_equal(warning.without_per_dim(kl), [False, False, True])


def test_skill_by_hand_and_of_the_trivial_rules():
    """Confusion counts and ratios by hand; a ratio over nothing is NaN (never warning
    has no precision; a grid with one outcome has no recall or false-alarm rate)."""
    warn = np.array([True, True, True, False, False, False, False])
    full = np.array([True, True, False, True, False, False, False])
    s = early_warning.skill(warn, full)
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (2, 1, 1, 3)
    assert s["accuracy"] == pytest.approx(5 / 7)
    assert s["precision"] == pytest.approx(2 / 3)
    assert s["recall"] == pytest.approx(2 / 3)
    assert s["false_alarm_rate"] == pytest.approx(1 / 4)
    assert s["balanced_accuracy"] == pytest.approx((2 / 3 + 3 / 4) / 2)
    never = early_warning.skill(early_warning.BASELINES["never warn"](full), full)
    assert never["accuracy"] == pytest.approx(4 / 7) and np.isnan(never["precision"])
    assert never["recall"] == never["false_alarm_rate"] == 0 and never["balanced_accuracy"] == 0.5
    always = early_warning.skill(early_warning.BASELINES["always warn"](full), full)
    assert always["accuracy"] == always["precision"] == pytest.approx(3 / 7)
    assert (
        always["recall"] == always["false_alarm_rate"] == 1 and always["balanced_accuracy"] == 0.5
    )
    one = early_warning.skill(warn, np.zeros(7, bool))
    assert np.isnan(one["recall"]) and np.isnan(one["balanced_accuracy"])
    assert one["false_alarm_rate"] == pytest.approx(3 / 7)
    # the AUC of a signal: lower = more collapse; a constant score reads 0.5
    values = np.array([0.1, 0.2, 0.2, 0.2, 1.0, 2.0, 3.0])  # a full run ties a quiet one
    assert early_warning.auc(values, full) == pytest.approx((4 + 3.5 + 3.5) / 12)  # a tie: ½
    assert early_warning.auc(np.zeros(7), full) == 0.5
    assert np.isnan(early_warning.auc(values, np.zeros(7, bool)))


@settings(max_examples=60, deadline=None)
@given(
    warn=hnp.arrays(bool, 12),
    full=hnp.arrays(bool, 12).filter(lambda f: 0 < f.sum() < 12),
    values=hnp.arrays(np.float64, 12, elements=st.sampled_from([0.0, 0.1, 0.5, 0.7, 2.0])),
)
def test_skill_and_auc_agree_with_scikit_learn(warn, full, values):
    """An independent computation: scikit-learn's metrics of the same labels, "will end
    full" the positive class, the AUC of −signal (lower signal: more collapse)."""
    metrics = pytest.importorskip("sklearn.metrics")
    s = early_warning.skill(warn, full)
    assert s["accuracy"] == pytest.approx(metrics.accuracy_score(full, warn))
    assert s["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(full, warn))
    assert s["recall"] == pytest.approx(metrics.recall_score(full, warn))
    # the false-alarm rate is 1 − the recall of the runs that did not end full
    assert s["false_alarm_rate"] == pytest.approx(1 - metrics.recall_score(~full, ~warn))
    precision = metrics.precision_score(full, warn, zero_division=np.nan)
    assert s["precision"] == pytest.approx(precision, nan_ok=True)
    tn, fp, fn, tp = metrics.confusion_matrix(full, warn, labels=[False, True]).ravel()
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (tp, fp, fn, tn)
    assert early_warning.auc(values, full) == pytest.approx(metrics.roc_auc_score(full, -values))
