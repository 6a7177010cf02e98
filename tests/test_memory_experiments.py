"""The quick versions of the memory experiments (slow): the claims docs/memory.md makes,
at the quick versions' size."""

import sys
from pathlib import Path

import numpy as np
import pytest

from vaecollapse import config as config_lib
from vaecollapse import results, sweep

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import hysteresis_table
import recovery_table
import window_table


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
    ran = results.load(tmp_path)
    rows = recovery_table.recovery_rows(ran)
    assert len(rows) == 2 and all(r["stuck"] == 0 for r in rows)
    assert all((r["control_units"] == 8).all() for r in rows)
    found = recovery_table.unit_boundaries(ran)  # the map: no unit stays lost
    assert set(found.status.values.ravel()) == {"beyond_high"}
    assert "| excursion_steps | unit 1 of the control's 8 lost" in recovery_table.boundary_markdown(
        ran
    )
    recovery_table.figure(ran, tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 0


@pytest.mark.slow
def test_ssl_recovery_quick_a_complete_collapse_comes_back(tmp_path):
    """A 500-step window without VICReg's variance term collapses the embedding completely
    (std·√d < 0.1 at the window's end) and it comes back once the term returns (healthy
    at the end in both seeds); SimSiam's rank after its window stays below its control's."""
    c = config_lib.experiment_config("ssl_recovery", quick=True)
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    vicreg = ran.sel(variant="vicreg", window_steps=500.0)
    assert (vicreg.std_normalized_trace.sel(step=1000) < 0.1).all()
    assert (vicreg.collapse_state == 0).all()
    rows = {r["values"]["variant"]: r for r in window_table.window_rows(str(tmp_path))}
    assert rows["vicreg"]["recovered"] == rows["vicreg"]["n"] == 2
    rank, control = rows["simsiam"]["finals"]["RankMe"]
    assert (rank < control).all()


@pytest.mark.slow
def test_gan_recovery_quick_r1_off_for_a_while_keeps_the_modes(tmp_path):
    """R1 switched off for 4,000 steps once the modes are found: every run ends with all
    25 modes, as its control does."""
    c = config_lib.experiment_config("gan_recovery", quick=True)
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    assert (ran.modes_captured.sel(variant="r1_off") == 25).all()
    rows = window_table.window_rows(str(tmp_path))
    r1_off = next(r for r in rows if r["values"]["variant"] == "r1_off")
    assert r1_off["recovered"] == r1_off["n"] == 2 and r1_off["stuck"] == 0


@pytest.mark.slow
def test_hysteresis_pixelcnn_quick_loop_is_wide_and_the_units_return(tmp_path):
    """The PixelCNN's loop does not close as the ramp slows (docs/memory.md): at both quick
    ramps a wide loop in every seed (> 10 nats × log β; the linear VAE's quick loops are
    1.4-3.7 and smaller at its slower ramp), the slower one not under half the faster's;
    back at β = 0.1 every unit returns."""
    c = config_lib.experiment_config("hysteresis_pixelcnn", quick=True)
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    _, table, _ = hysteresis_table.loops(str(tmp_path))
    fast, slow = (np.asarray(table[r]["kl_trace"]) for r in (300.0, 600.0))
    assert (fast > 10).all() and (slow > 10).all() and (slow > 0.5 * fast).all()
    assert (ran.active_units == 8).all()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("experiment", "ramps", "units"),
    [("hysteresis", (1000.0, 2000.0), 8), ("hysteresis_lstm", (600.0, 1200.0), 4)],
)
def test_hysteresis_quick_mlp_and_lstm_loops_are_wide_and_the_units_return(
    tmp_path, experiment, ramps, units
):
    """The MLP's and the LSTM's quick loops: wide in every seed at both quick ramps (> 10
    nats × log β, against the linear VAE's 1.4-3.7), and back at β = 0.1 every unit
    returns (docs/memory.md)."""
    c = config_lib.experiment_config(experiment, quick=True)
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    _, table, _ = hysteresis_table.loops(str(tmp_path))
    for ramp in ramps:
        assert (np.asarray(table[ramp]["kl_trace"]) > 10).all(), ramp
    assert (ran.active_units == units).all()
