"""The quick versions of the memory experiments (slow): the claims docs/memory.md makes,
at the quick versions' size."""

import sys
from pathlib import Path

import numpy as np
import pytest

from vaecollapse import config as config_lib
from vaecollapse import sweep

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import hysteresis_table
import recovery_table


@pytest.mark.slow
def test_hysteresis_linear_quick_loop_is_kinetic(tmp_path):
    """The linear VAE has one optimum per β: its loop (the KL lower on the way back) is a
    lag that shrinks as the ramp slows (4× slower: a smaller area in every seed)."""
    c = config_lib.experiment_config("hysteresis_linear", quick=True)
    sweep.run_sweep(c, tmp_path, progress=False)
    _, table, _ = hysteresis_table.loops(str(tmp_path))
    fast, slow = (np.asarray(table[r]["kl_trace"]) for r in (500.0, 2000.0))
    assert (fast > 0).all() and (slow < fast).all()


@pytest.mark.slow
def test_recovery_quick_short_excursions_are_undone(tmp_path):
    """Excursions to β = 10 of 1,000 and 2,000 steps at the start of training: every run
    ends with its control's active units (the collapse at β = 10 is undone at β = 1)."""
    c = config_lib.experiment_config("recovery", quick=True)
    sweep.run_sweep(c, tmp_path, progress=False)
    rows = recovery_table.recovery_rows(str(tmp_path))
    assert len(rows) == 2 and all(r["stuck"] == 0 for r in rows)
    assert all((r["control_units"] == 8).all() for r in rows)
