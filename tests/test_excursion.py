"""The excursion schedule inside a sweep: the control (β_peak = β) is the constant
schedule's run bit for bit, the β each run saw is in its trace, and a run vmapped beside
others equals the same run alone."""

import numpy as np
import pytest
from conftest import tiny_config

from vaecollapse import sweep

pytestmark = pytest.mark.slow  # three tiny sweeps: 30-150 s on 2 busy cores


def excursion_config(**sweep_axes):
    c = tiny_config(**sweep_axes)
    c.train.schedule = "excursion"
    c.hparams.excursion_steps = 20.0  # up over steps 0-10, down over 10-20, then β
    return c


@pytest.fixture(scope="module")
def excursion_grid(tmp_path_factory):
    c = excursion_config(beta_peak=(1.0, 8.0))
    return sweep.run_sweep(c, tmp_path_factory.mktemp("excursion"), progress=False)


def test_the_control_is_the_constant_schedule_bit_for_bit(excursion_grid, tmp_path):
    """In a program of the same width (XLA's float32 rounding depends on it, not on the
    schedule): every number of the β_peak = β run equals the constant schedule's."""
    constant = sweep.run_sweep(tiny_config(beta_peak=(1.0, 8.0)), tmp_path, progress=False)
    control, same = excursion_grid.sel(beta_peak=1.0), constant.sel(beta_peak=1.0)
    for name, values in same.data_vars.items():
        if np.issubdtype(values.dtype, np.number):
            np.testing.assert_array_equal(control[name].values, values.values, err_msg=name)


def test_the_trace_holds_the_beta_each_run_saw(excursion_grid):
    seen = excursion_grid.beta_trace.sel(beta_peak=8.0).values  # mean β per logged interval
    steps = np.arange(40)
    expected = np.exp(np.log(8.0) * np.where(steps < 20, 1 - np.abs(steps / 10 - 1), 0.0))
    np.testing.assert_allclose(seen, expected.reshape(4, 10).mean(1), rtol=1e-5)


def test_a_run_vmapped_beside_others_equals_it_alone(excursion_grid, tmp_path):
    alone = sweep.run_sweep(excursion_config(beta_peak=(8.0,)), tmp_path, progress=False)
    for name in ("kl", "kl_trace", "recon", "beta_trace", "kl_per_dim"):
        np.testing.assert_allclose(
            excursion_grid[name].sel(beta_peak=8.0).values,
            alone[name].sel(beta_peak=8.0).values,
            rtol=1e-6,
            atol=1e-7,
            err_msg=name,
        )
