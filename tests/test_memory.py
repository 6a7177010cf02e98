"""Hysteresis loops (`families.vae.memory`): branches and loop area against hand-built
loops with known areas, and invariants under hypothesis."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaecollapse.families.vae import memory


def ramp(kind, steps=400, low=0.1, high=10.0):
    """β and a made-up order parameter over a triangle ramp of ``steps`` steps."""
    t = np.arange(0, steps + 1, 10, dtype=float)
    f = 1 - np.abs(2 * t / steps - 1)
    log_beta = np.log(low) + f * (np.log(high) - np.log(low))
    rising = t <= steps / 2
    if kind == "none":  # equilibrium: m depends on β only
        m = np.maximum(0.0, 2.0 - log_beta)
    elif kind == "step":  # on the way back m stays 1 lower everywhere
        m = np.where(rising, 3.0, 2.0)
    return np.exp(log_beta), m, t


def test_no_memory_has_no_area():
    beta, m, t = ramp("none")
    assert memory.loop_area(memory.branches(beta, m, t, 400)) == pytest.approx(0, abs=1e-9)


def shared_range(b):
    """The log-β range both branches cover (the fall starts one logged step past the peak)."""
    return min(b.rise_log_beta[-1], b.fall_log_beta[-1]) - max(
        b.rise_log_beta[0], b.fall_log_beta[0]
    )


def test_a_branch_one_lower_has_area_the_log_beta_range():
    beta, m, t = ramp("step", low=0.1, high=10.0)
    b = memory.branches(beta, m, t, 400)
    assert memory.loop_area(b) == pytest.approx(shared_range(b), rel=1e-6)
    assert shared_range(b) == pytest.approx(np.log(100.0) * 0.95, rel=1e-6)  # to 190 of 200


@settings(deadline=None, max_examples=40)
@given(
    st.floats(0.01, 1.0),
    st.floats(2.0, 100.0),
    st.floats(-3, 3),
    st.floats(0.1, 5),
)
def test_area_scales_with_the_gap_and_flips_with_its_sign(low, high, offset, gap):
    t = np.arange(0, 401, 10, dtype=float)
    f = 1 - np.abs(2 * t / 400 - 1)
    log_beta = np.log(low) + f * (np.log(high) - np.log(low))
    base = offset + np.sin(log_beta)  # any equilibrium curve
    rising = t <= 200
    b_up = memory.branches(np.exp(log_beta), base + gap * rising, t, 400)
    b_down = memory.branches(np.exp(log_beta), base - gap * rising, t, 400)
    span = shared_range(b_up)
    assert memory.loop_area(b_up) == pytest.approx(gap * span, rel=1e-6, abs=1e-9)
    assert memory.loop_area(b_down) == pytest.approx(-gap * span, rel=1e-6, abs=1e-9)


def test_steps_past_the_ramp_are_not_a_branch_and_bad_input_is_refused():
    beta, m, t = ramp("step")
    beta = np.append(beta, [0.1] * 5)
    m = np.append(m, [99.0] * 5)  # held at β₀ after the ramp: not part of the loop
    t = np.append(t, t[-1] + 10 * np.arange(1, 6))
    b = memory.branches(beta, m, t, 400)
    assert 99.0 not in b.fall
    with pytest.raises(ValueError, match="each branch needs 2 logged points"):
        memory.branches(beta, m, t, 10)
    shifted = memory.branches(beta, m, t + 1000, 400, start=1000)  # a ramp from step 1000
    np.testing.assert_array_equal(shifted.fall, b.fall)
    with pytest.raises(ValueError, match="1-D of one length"):
        memory.branches(beta[:-1], m, t, 400)


def test_largest_step_of_a_continuous_transition_shrinks_with_the_spacing():
    """The linear VAE's closed form, KL = max(0, ½ log(λ/β)) with λ = 4: its largest step
    between points is its slope ½ × the spacing, down with the spacing; a jump of 1 nat at
    β = 4 keeps its size at every spacing."""
    for points in (10, 40, 160):
        log_beta = np.linspace(np.log(0.1), np.log(30.0), points)
        kl = np.maximum(0.0, 0.5 * (np.log(4.0) - log_beta))
        step, spacing = memory.largest_step(log_beta, kl)
        assert spacing == pytest.approx(log_beta[1] - log_beta[0])
        assert 0.2 * spacing < step <= 0.5 * spacing + 1e-12  # the kink is inside one interval
        jump = np.where(log_beta < np.log(4.0), 1.0 + 0.01 * (np.log(4.0) - log_beta), 0.0)
        assert memory.largest_step(log_beta, jump)[0] >= 1.0
    with pytest.raises(ValueError, match="1-D of one length"):
        memory.largest_step(np.zeros(3), np.zeros(2))
