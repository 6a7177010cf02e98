"""Invariants of the boundary estimator (`vaecollapse.boundary`) on random grids and curves.

Random monotone or noisy curves (some seeds never collapsing on the grid, some collapsed
everywhere, some runs diverged), linear and log-spaced grids, 1–12 seeds, either
direction. The hand-computed cases are in ``test_boundary.py``.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_boundary import fake_results

from vaecollapse import boundary, median

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
    assert status in median.STATUSES
    assert int(found.seeds_bracketed) <= int(found.seeds) <= len(curves)
    if status == median.NO_DATA:
        assert np.isnan([value, low, high]).all()
        return
    assert low <= high
    assert np.isfinite(value) == (status in (median.BRACKETED, median.EXTRAPOLATED))
    if np.isfinite(value):
        assert low <= value <= high
    if status == median.BRACKETED:
        assert x.min() <= value <= x.max() and float(found.extrapolated_by) == 0.0
    if status == median.EXTRAPOLATED:
        beyond = x.max() if direction == "increasing" else x.min()
        np.testing.assert_allclose(float(found.extrapolated_by), value - beyond)
        past = np.log(value / beyond) if log else value - beyond  # at most a step or so
        assert abs(past) <= np.ptp(np.log(x) if log else x) + 1e-9
        assert not x.min() <= value <= x.max()
    if status == median.BEYOND_HIGH:
        assert high == np.inf
    if status == median.BEYOND_LOW:
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


# --- a boundary rule per order parameter (issue 36) -----------------------------------


def family_results(family: str, measure: str, x, curves, along="beta", threshold=None):
    """A hand-built results Dataset of ``family`` holding ``measure`` ``[along, seed]``
    from ``curves`` ``[seeds, points]`` (NaN: diverged)."""
    import json

    import xarray as xr

    values = curves.T
    data = {measure: ((along, "seed"), values), "diverged": ((along, "seed"), np.isnan(values))}
    coords = {along: np.asarray(x), "seed": np.arange(len(curves))}
    return xr.Dataset(data, coords=coords, attrs={"config": json.dumps({"family": family})})


@st.composite
def bounded_sweeps(draw):
    """Bounded measures read by interpolation: a sigmoid from ``top`` down to ``floor``
    (a mode fraction in [0, 1], std·√d in [0, 1], RankMe from d down to its floor 1),
    threshold between them; linear or log grids, noise, diverged runs, either direction."""
    x, _, direction, log = draw(sweeps())
    seeds = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    floor, top = draw(st.sampled_from([(0.0, 1.0), (1.0, 32.0), (0.0, 1.5)]))
    t = np.log(x) if log else x
    span = t[-1] - t[0]
    where = rng.uniform(t[0] - 0.3 * span, t[-1] + 0.3 * span, seeds)
    width = rng.uniform(0.02, 0.5, seeds) * span
    curves = floor + (top - floor) / (1 + np.exp((t[None, :] - where[:, None]) / width[:, None]))
    curves += (
        draw(st.sampled_from([0.0, 0.01, 0.1])) * (top - floor) * rng.standard_normal(curves.shape)
    )
    curves = np.clip(curves, floor, top)
    curves[rng.random(curves.shape) < draw(st.sampled_from([0.0, 0.2]))] = np.nan
    if direction == "decreasing":
        curves = curves[:, ::-1]
    threshold = floor + draw(st.floats(0.05, 0.95)) * (top - floor)
    return x, curves, direction, log, threshold


def bounded_estimate(x, curves, direction, threshold, shift=0.0, scale=1.0):
    res = family_results("gan", "modes_fraction", x, scale * curves + shift)
    return boundary.estimate(res, "beta", "modes_fraction", shift + scale * threshold, direction)


def test_each_family_says_how_its_order_parameters_are_read():
    """The VAE's KL-type measures extrapolate to zero; every other order parameter (SSL,
    GAN, a family from outside) takes the default, interpolation only."""
    from vaecollapse import families

    vae = families.get("vae").order_parameters
    assert {m: p.boundary_rule for m, p in vae.items()} == dict.fromkeys(vae, families.TO_ZERO)
    for name in ("ssl", "gan"):
        for measure, p in families.get(name).order_parameters.items():
            assert p.boundary_rule == families.INTERPOLATE, (name, measure)
    assert families.OrderParameter("x", 0.1).boundary_rule == families.INTERPOLATE
    import pytest

    with pytest.raises(ValueError, match=r"boundary_rule='linear' is invalid: allowed: interp"):
        families.OrderParameter("x", 0.1, boundary_rule="linear")


@SETTINGS
@given(bounded_sweeps())
def test_a_bounded_measure_is_never_read_past_the_grid(sweep):
    """Interpolation only: no estimate and no finite interval end outside the grid, never
    `extrapolated`; the estimate inside its interval."""
    x, curves, direction, _, threshold = sweep
    found = bounded_estimate(x, curves, direction, threshold)
    value, low, high = numbers(found)
    status = str(found.status.values)
    assert status != median.EXTRAPOLATED and found.attrs["rule"] == "interpolate"
    for end in (value, low, high):
        assert not np.isfinite(end) or x.min() <= end <= x.max()
    if np.isfinite(value):
        assert low <= value <= high
        assert float(found.extrapolated_by) == 0.0


@SETTINGS
@given(bounded_sweeps(), st.floats(0.0, 5.0), st.floats(0.1, 10.0))
def test_a_bounded_measure_s_boundary_ignores_its_offset_and_scale(sweep, shift, scale):
    """RankMe's floor is 1, not 0: read by interpolation, v → a·v + c with ε → a·ε + c
    leaves every boundary where it was (the extrapolation to zero did not: it asked where
    the line reached 0, a value such a measure never takes)."""
    x, curves, direction, _, threshold = sweep
    found = bounded_estimate(x, curves, direction, threshold)
    moved = bounded_estimate(x, curves, direction, threshold, shift, scale)
    assert str(found.status.values) == str(moved.status.values)
    np.testing.assert_allclose(numbers(moved), numbers(found), rtol=1e-6, atol=1e-9)


@SETTINGS
@given(bounded_sweeps())
def test_a_bounded_measure_s_seed_reads_only_its_bracket(sweep):
    """One seed: the estimate is the ε crossing of the straight line between the last
    point above ε and the first at or below it (in log on a log axis), whatever the
    curve does past that point."""
    x, curves, direction, log, threshold = sweep
    curve = np.nan_to_num(curves[0], nan=0.5 * threshold)[None]
    found = bounded_estimate(x, curve, direction, threshold)
    order = np.argsort(x if direction == "increasing" else -x)
    xs, v = x[order], curve[0][order]
    below = v <= threshold
    if below[0] or not below.any():
        assert not np.isfinite(float(found.estimate))
        return
    k = int(np.argmax(below))
    t = np.log(xs) if log else xs
    crossing = t[k - 1] + (v[k - 1] - threshold) * (t[k] - t[k - 1]) / (v[k - 1] - v[k])
    expected = np.exp(crossing) if log else crossing
    np.testing.assert_allclose(float(found.estimate), expected, rtol=1e-9)
    assert sorted([float(found.low), float(found.high)]) == sorted([xs[k - 1], xs[k]])
    changed = curve.copy()
    changed[0, order[k + 1 :]] = 7.0  # the curve past the bracket: read by no one
    np.testing.assert_array_equal(
        numbers(bounded_estimate(x, changed, direction, threshold)), numbers(found)
    )


@SETTINGS
@given(st.lists(st.floats(0.05, 50.0), min_size=1, max_size=4), st.integers(3, 12))
def test_a_kl_falling_linearly_in_log_beta_is_extrapolated_to_its_zero(lams, points):
    """The VAE's rule, on its own curve (KL_i = ½ log(λ_i/β), every seed alike): wherever
    two grid points lie above ε before the crossing, the estimate is λ_i itself."""
    betas = np.geomspace(0.01, 100.0, points)
    kl = np.maximum(0.0, 0.5 * np.log(np.asarray(lams)[None, :] / betas[:, None]))
    from test_boundary import fake_results

    res = fake_results({"beta": betas, "seed": [0, 1]}, np.repeat(kl[:, None], 2, axis=1))
    found = boundary.estimate(res, "beta", "kl_per_dim")
    assert found.attrs["rule"] == "to_zero"
    for rank, lam in enumerate(sorted(lams, reverse=True)):
        above = np.nonzero(0.5 * np.log(lam / betas) > 0.05)[0]
        if len(above) >= 2 and above[-1] + 1 < points:
            np.testing.assert_allclose(float(found.estimate.sel(latent=rank)), lam, rtol=1e-9)


@st.composite
def axes_with_rules(draw):
    """An axis with a rule for its values (config.HPARAMS), a grid ending at or near an
    edge of them, collapse towards that edge, and KL curves falling linearly to zero
    within a grid step of the grid's end — so the extrapolation reaches for values past
    the edge: (along, x, curves [seeds, points], direction, rule's edge)."""
    along, edge, side, log = draw(
        st.sampled_from(
            [
                ("free_bits", 0.0, "low", False),  # free_bits >= 0
                ("context_dropout", 0.0, "low", False),  # in [0, 1]
                ("context_dropout", 1.0, "high", False),
                ("ratio", 1.0, "high", True),  # in (0, 1], log-spaced
                ("vq_decay", 0.0, "low", False),  # in [0, 1)
            ]
        )
    )
    points = draw(st.integers(3, 10))
    gap = draw(st.sampled_from([0.0, 0.0, 0.02, 0.1]))  # grid end to the edge, of the span
    if log:
        x = np.geomspace(draw(st.floats(1e-3, 0.05)), 1.0 - gap * 0.9, points)
    else:
        near, far = (edge + gap, 0.9) if side == "low" else (edge - gap, 0.1)
        x = np.linspace(near, far, points) if side == "low" else np.linspace(far, near, points)
    direction = "decreasing" if side == "low" else "increasing"
    sign = 1.0 if direction == "increasing" else -1.0
    t = sign * (np.log(x) if log else x)
    order = np.argsort(t)
    end, step = t[order][-1], abs(t[1] - t[0]) if not log else abs(np.log(x[1] / x[0]))
    seeds = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    zero = end + rng.uniform(-0.5, 1.0, seeds) * step  # each seed's zero, past the end or not
    slope = rng.uniform(0.05, 5.0, seeds) / step
    curves = np.maximum(0.0, slope[:, None] * (zero[:, None] - t[None, :]))
    curves += draw(st.sampled_from([0.0, 0.005])) * rng.standard_normal(curves.shape)
    return along, x, np.abs(curves), direction


@SETTINGS
@given(axes_with_rules())
def test_an_extrapolated_value_is_one_the_axis_can_take(axis):
    """Along free_bits (≥ 0), context_dropout ([0, 1]), ratio ((0, 1], log-spaced),
    vq_decay ([0, 1)): no estimate or finite interval end outside the allowed values —
    the extrapolation stops at the edge (the issue's free_bits read −0.0085)."""
    from test_boundary import fake_results

    from vaecollapse import config

    along, x, curves, direction = axis
    kl = curves.T[..., None]
    res = fake_results({along: x, "seed": np.arange(len(curves))}, kl)
    found = boundary.estimate(res, along, "kl", threshold=0.05, direction=direction)
    rule = config.HPARAMS[along].rule
    for end in numbers(found):
        assert not np.isfinite(end) or rule(end), (along, end)
