"""Schedules: values at key steps, jit/vmap over parameter arrays, no retrace."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest

from vaecollapse.families.vae import choices, schedules


class ScheduleValuesTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_constant(self):
        out = self.variant(lambda s: schedules.constant(s, beta=jnp.float32(0.3)))(jnp.arange(3))
        np.testing.assert_allclose(out, [0.3, 0.3, 0.3], rtol=1e-6)

    @chex.variants(with_jit=True, without_jit=True)
    def test_linear_warmup(self):
        f = self.variant(lambda s: schedules.linear_warmup(s, beta=2.0, warmup_steps=10.0))
        np.testing.assert_allclose(f(jnp.array([0, 5, 10, 50])), [0.0, 1.0, 2.0, 2.0])
        g = self.variant(lambda s: schedules.linear_warmup(s, beta=2.0, warmup_steps=0.0))
        np.testing.assert_allclose(g(jnp.array([0, 7])), [2.0, 2.0])

    @chex.variants(with_jit=True, without_jit=True)
    def test_cyclical(self):
        # T=100, M=4 -> period 25; R=0.5 -> ramp over 12.5 steps then hold.
        f = self.variant(
            lambda s: schedules.cyclical(s, beta=1.0, total_steps=100.0, cycles=4.0, ratio=0.5)
        )
        out = f(jnp.array([0, 5, 12.5, 20, 25, 30, 99]))
        np.testing.assert_allclose(out, [0.0, 0.4, 1.0, 1.0, 0.0, 0.4, 1.0], rtol=1e-5)

    @chex.variants(with_jit=True, without_jit=True)
    def test_sigmoid(self):
        f = self.variant(lambda s: schedules.sigmoid(s, beta=1.0, midpoint=50.0, steepness=0.1))
        out = f(jnp.array([0.0, 50.0, 100.0]))
        np.testing.assert_allclose(out, 1 / (1 + np.exp(-0.1 * np.array([-50, 0, 50]))), 1e-6)


class ScheduleVmapTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_vmap_over_parameter_grid(self):
        betas = jnp.array([0.5, 1.0, 2.0])
        warmups = jnp.array([0.0, 10.0, 20.0])
        fn = self.variant(
            jax.vmap(lambda b, w: schedules.linear_warmup(jnp.float32(5.0), beta=b, warmup_steps=w))
        )
        np.testing.assert_allclose(fn(betas, warmups), [0.5, 0.5, 0.5], rtol=1e-6)

    def test_no_retrace_across_values(self):
        @jax.jit
        @chex.assert_max_traces(n=1)
        def f(step, beta, total, cycles, ratio):
            return schedules.cyclical(
                step, beta=beta, total_steps=total, cycles=cycles, ratio=ratio
            )

        for beta, cycles in ((0.1, 2.0), (1.0, 4.0), (3.0, 1.0)):
            f(jnp.float32(3.0), jnp.float32(beta), jnp.float32(100.0), jnp.float32(cycles), 0.5)

    def test_by_name_reads_each_schedules_own_hyperparameters(self):
        """Each named schedule takes its parameters from the run's hyperparameters; a
        schedule that read another's (or a wrong default) would give other values."""
        h = {
            "beta": jnp.float32(2.0),
            "warmup_steps": jnp.float32(40.0),
            "cycles": jnp.float32(2.0),
            "ratio": jnp.float32(0.5),
            "midpoint": jnp.float32(30.0),
            "steepness": jnp.float32(0.2),
            "beta_peak": jnp.float32(8.0),
            "excursion_steps": jnp.float32(40.0),
            "excursion_start": jnp.float32(0.0),
        }
        step = jnp.float32(10.0)
        expected = {
            "constant": 2.0,
            "linear_warmup": 2.0 * 10 / 40,
            "cyclical": 2.0 * min(1.0, (10 % 50) / 50 / 0.5),  # T = 100, period 50
            "sigmoid": 2.0 / (1 + np.exp(-0.2 * (10 - 30))),
            "excursion": 2.0 * (8.0 / 2.0) ** (10 / 20),  # halfway up a 40-step excursion
        }
        self.assertEqual(set(choices.SCHEDULES), set(expected))
        for name, value in expected.items():
            out = schedules.by_name(name)(step, h, 100)
            np.testing.assert_allclose(out, value, rtol=1e-6, err_msg=name)
        with self.assertRaisesRegex(ValueError, r"schedule 'linear' is unknown; allowed: "):
            schedules.by_name("linear")


def excursion_reference(step, beta, peak, length, start=0.0):
    """The excursion written out in NumPy float64: log β moves linearly to log β_peak over
    the first half of the excursion and back over the second, then stays at log β."""
    t = np.asarray(step, np.float64) - start
    inside = (t >= 0) & (t < length)
    f = np.where(inside, 1.0 - np.abs(2.0 * t / max(length, 1.0) - 1.0), 0.0)
    return np.exp(np.log(beta) + f * (np.log(peak) - np.log(beta)))


class ExcursionTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_the_path_is_the_formula(self):
        steps = jnp.arange(0, 1200, 7)
        cases = ((1.0, 10.0, 800.0, 0.0), (2.0, 0.5, 300.0, 0.0), (0.1, 3.0, 1.0, 0.0))
        for beta, peak, length, start in (*cases, (0.1, 30.0, 500.0, 350.0)):
            f = self.variant(
                lambda s, b=beta, p=peak, e=length, t0=start: schedules.excursion(
                    s,
                    beta=jnp.float32(b),
                    beta_peak=jnp.float32(p),
                    excursion_steps=e,
                    excursion_start=t0,
                )
            )
            np.testing.assert_allclose(
                f(steps), excursion_reference(steps, beta, peak, length, start), rtol=2e-6
            )

    def test_the_peak_is_reached_at_half_the_excursion_and_beta_held_after(self):
        out = schedules.excursion(
            jnp.array([0.0, 200.0, 400.0, 600.0, 800.0, 5000.0]),
            beta=1.0,
            beta_peak=10.0,
            excursion_steps=800.0,
        )
        np.testing.assert_allclose(out, [1.0, 10**0.5, 10.0, 10**0.5, 1.0, 1.0], rtol=1e-6)

    def test_a_peak_equal_to_beta_is_the_constant_schedule_bit_for_bit(self):
        steps = jnp.arange(5000)
        for beta in (0.1, 0.3, 1.0, 2.0, 7.0):
            b = jnp.float32(beta)
            for length in (0.0, 1.0, 1000.0, 1e6):
                out = schedules.excursion(steps, beta=b, beta_peak=b, excursion_steps=length)
                np.testing.assert_array_equal(out, schedules.constant(steps, beta=b))

    def test_vmapped_over_peaks_and_lengths_equals_one_at_a_time(self):
        peaks = jnp.array([1.0, 3.0, 10.0, 0.5], jnp.float32)
        lengths = jnp.array([0.0, 100.0, 400.0, 50.0], jnp.float32)
        steps = jnp.arange(0, 500, 5)

        def path(peak, length):
            return schedules.excursion(steps, beta=1.0, beta_peak=peak, excursion_steps=length)

        mapped = jax.jit(jax.vmap(path))(peaks, lengths)
        for i in range(len(peaks)):
            np.testing.assert_array_equal(mapped[i], jax.jit(path)(peaks[i], lengths[i]))


if __name__ == "__main__":
    absltest.main()
