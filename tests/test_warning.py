"""The early warning: the rule, its fit and its scores, hand-computed; carried by results."""

import numpy as np
import pytest
from conftest import tiny_config

from vaecollapse import monitor, results, sweep, warning


@pytest.mark.parametrize("num_logs, index", [(1, 0), (5, 0), (10, 1), (12, 2), (30, 5)])
def test_warning_index_is_the_first_log_at_or_past_20_percent(num_logs, index):
    assert warning.warning_index(num_logs) == index


def test_fit_takes_the_midpoint_of_the_separating_gap():
    mi = np.array([0.0, 0.01, 0.02, 0.30, 0.5, 1.0])
    full = np.array([True, True, True, False, False, False])
    np.testing.assert_allclose(warning.fit(mi, full), 0.16)
    # one overlap: the best balanced accuracy keeps the gap below the healthy outlier
    full[3] = True
    np.testing.assert_allclose(warning.fit(mi, full), 0.4)


def test_scores_by_hand():
    warn = np.array([True, True, False, False, True])
    full = np.array([True, False, True, False, True])
    onset = np.array([300, -1, 500, -1, 100])
    s = warning.scores(warn, full, 200, onset)
    assert s["accuracy"] == pytest.approx(3 / 5)
    assert s["false_alarm_rate"] == pytest.approx(1 / 2)
    assert s["missed_rate"] == pytest.approx(1 / 3)
    assert s["median_lead_steps"] == pytest.approx(0.0)  # leads 100 and −100


def test_early_warning_on_traces():
    """10 logged steps: the warning reads the second (20 %)."""
    trace = np.array([[1.0, 0.5, *[0.0] * 8], [1.0, 0.9, *[0.8] * 8]])
    np.testing.assert_array_equal(warning.early_warning(trace, threshold=0.6), [True, False])
    np.testing.assert_array_equal(warning.early_warning(trace, threshold=0.4), [False, False])


def test_results_carry_the_warning_and_the_monitor_gives_it(tmp_path):
    res = sweep.run_sweep(tiny_config(beta=(0.1, 50.0)), tmp_path, progress=False)
    index = warning.warning_index(res.sizes["step"])
    expected = res.mutual_info_trace.isel(step=index) < warning.THRESHOLD
    np.testing.assert_array_equal(res.early_warning.values, expected.values)
    step = int(res.step[index])
    np.testing.assert_array_equal(
        res.early_warning_step.values, np.where(expected.values, step, -1)
    )
    assert results.load(tmp_path).early_warning.dims == ("beta",)
    m = monitor.CollapseMonitor(2, total_steps=1000)
    zeros = np.zeros((64, 2))
    m.update(100, np.random.default_rng(0).standard_normal((64, 2)), zeros)
    assert m.warning is None  # before 20 % of training
    m.update(200, zeros, zeros)  # collapsed at 20 %: I(x; z) = 0
    assert m.warning == 200
    assert monitor.CollapseMonitor(2).warning is None  # no total_steps: no warning
