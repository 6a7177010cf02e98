"""Invariants of the boundary estimator (`vaecollapse.boundary`) on random grids and curves.

Random monotone or noisy curves (some seeds never collapsing on the grid, some collapsed
everywhere, some runs diverged), linear and log-spaced grids, 1–12 seeds, either
direction. The hand-computed cases are in ``test_boundary.py``.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_boundary import fake_results

from vaecollapse import boundary

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True)


@st.composite
def sweeps(draw):
    """(axis values in order, per-seed curves ``[seeds, points]``, direction, log)."""
    log = draw(st.booleans())
    points = draw(st.integers(3, 12))
    seeds = draw(st.integers(1, 12))
    if log:  # a factor ≥ 20 end to end: clearly log-spaced (`boundary.is_log_axis`)
        start = draw(st.floats(1e-3, 10.0))
        x = start * np.geomspace(1.0, draw(st.floats(20.0, 1e4)), points)
    else:  # zero inside, so neither x nor −x is taken for a log axis
        step = draw(st.floats(0.01, 5.0))
        x = step * (np.arange(points) - draw(st.floats(0.2, 0.8)) * (points - 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    t = np.log(x) if log else x
    span = t[-1] - t[0]
    # each seed's boundary anywhere from well before the grid to well past it
    where = rng.uniform(t[0] - 0.3 * span, t[-1] + 0.3 * span, seeds)
    slope = rng.uniform(0.2, 3.0, seeds) / span
    curves = np.maximum(0.0, slope[:, None] * (where[:, None] - t[None, :]))
    noise = draw(st.sampled_from([0.0, 0.01, 0.1]))
    curves = np.abs(curves + noise * rng.standard_normal(curves.shape))
    curves[rng.random(curves.shape) < draw(st.sampled_from([0.0, 0.1, 0.3]))] = np.nan
    direction = draw(st.sampled_from(["increasing", "decreasing"]))
    if direction == "decreasing":  # the same curves, collapse as the axis falls
        curves = curves[:, ::-1]
    return x, curves, direction, log


def estimate(x, curves, direction, seed_order=None):
    """`boundary.estimate` of ``curves`` ``[seeds, points]`` over the axis ``x``."""
    seeds = np.arange(len(curves)) if seed_order is None else np.asarray(seed_order)
    kl = curves[seeds].T[..., None]  # [beta, seed, latent]
    diverged = np.isnan(kl[..., 0])
    res = fake_results({"beta": x, "seed": seeds}, kl, diverged)
    return boundary.estimate(res, "beta", "kl", threshold=0.05, direction=direction)


def numbers(found):
    return np.array([float(found[v]) for v in ("estimate", "low", "high")])


@SETTINGS
@given(sweeps())
def test_the_estimate_lies_inside_its_interval_and_its_status_says_where(sweep):
    x, curves, direction, log = sweep
    found = estimate(x, curves, direction)
    value, low, high = numbers(found)
    status = str(found.status.values)
    assert status in boundary.STATUSES
    assert int(found.seeds_bracketed) <= int(found.seeds) <= len(curves)
    if status == boundary.NO_DATA:
        assert np.isnan([value, low, high]).all()
        return
    assert low <= high
    assert np.isfinite(value) == (status in (boundary.BRACKETED, boundary.EXTRAPOLATED))
    if np.isfinite(value):
        assert low <= value <= high
    if status == boundary.BRACKETED:
        assert x.min() <= value <= x.max() and float(found.extrapolated_by) == 0.0
    if status == boundary.EXTRAPOLATED:
        beyond = x.max() if direction == "increasing" else x.min()
        np.testing.assert_allclose(float(found.extrapolated_by), value - beyond)
        past = np.log(value / beyond) if log else value - beyond  # at most a step or so
        assert abs(past) <= np.ptp(np.log(x) if log else x) + 1e-9
        assert not x.min() <= value <= x.max()
    if status == boundary.BEYOND_HIGH:
        assert high == np.inf
    if status == boundary.BEYOND_LOW:
        assert low == -np.inf


@SETTINGS
@given(sweeps(), st.randoms(use_true_random=False))
def test_permuting_seeds_changes_nothing(sweep, random):
    x, curves, direction, _ = sweep
    order = list(range(len(curves)))
    random.shuffle(order)
    found, permuted = estimate(x, curves, direction), estimate(x, curves, direction, order)
    np.testing.assert_array_equal(numbers(found), numbers(permuted))
    assert str(found.status.values) == str(permuted.status.values)


@SETTINGS
@given(sweeps(), st.floats(0.01, 100.0))
def test_rescaling_the_axis_rescales_estimate_and_interval(sweep, factor):
    x, curves, direction, _ = sweep
    found, scaled = estimate(x, curves, direction), estimate(factor * x, curves, direction)
    assert str(found.status.values) == str(scaled.status.values)
    np.testing.assert_allclose(numbers(scaled), factor * numbers(found), rtol=1e-9)


@SETTINGS
@given(sweeps())
def test_reversing_axis_and_direction_together_gives_the_same_boundary(sweep):
    """x → −x (linear) or 1/x (log), read from the other side: the same points."""
    x, curves, direction, log = sweep
    other = {"increasing": "decreasing", "decreasing": "increasing"}[direction]
    found = estimate(x, curves, direction)
    mirrored = estimate(1.0 / x if log else -x, curves, other)
    value, low, high = numbers(found)
    back = (lambda v: 1.0 / v) if log else (lambda v: -v)
    with np.errstate(divide="ignore"):
        expected = np.array([back(value), back(high), back(low)])
    if log:  # 1/x maps ±∞ ends of a log axis to 0; the estimator keeps them ∓∞
        expected[1:] = np.where(np.isinf([high, low]), -np.array([high, low]), expected[1:])
    np.testing.assert_allclose(numbers(mirrored), expected, rtol=1e-9)
    swap = {"beyond_high": "beyond_low", "beyond_low": "beyond_high"}
    status = str(found.status.values)
    assert str(mirrored.status.values) == swap.get(status, status)


@SETTINGS
@given(sweeps(), st.integers(2, 12))
def test_identical_seeds_have_no_seed_spread(sweep, seeds):
    """Every seed the same curve: the boundary and interval are that one seed's."""
    x, curves, direction, _ = sweep
    one = estimate(x, curves[:1], direction)
    many = estimate(x, np.repeat(curves[:1], seeds, axis=0), direction)
    np.testing.assert_allclose(numbers(many), numbers(one), rtol=1e-12)
    assert str(many.status.values) == str(one.status.values)
