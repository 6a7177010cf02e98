"""The remedy window (`optim.window_hparams`): against its formula, and inside SSL and GAN
sweeps — a window as long as the run equals the remedy's value held throughout, a window
whose value is the run's own equals the control, both bit for bit in one program."""

import sys
from pathlib import Path

import chex
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaecollapse import config, optim, sweep

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import window_table


@settings(max_examples=60, deadline=None)
@given(
    start=st.integers(0, 50),
    length=st.integers(0, 50),
    step=st.integers(0, 120),
    own=st.floats(0, 1),
    inside=st.floats(0, 1),
)
def test_window_hparams_is_its_formula(start, length, step, own, inside):
    h = {
        "window_start": jnp.float32(start),
        "window_steps": jnp.float32(length),
        "r1_gamma": jnp.float32(own),
        "window_r1_gamma": jnp.float32(inside),
    }
    got = optim.window_hparams(h, jnp.int32(step), {"r1_gamma": "window_r1_gamma"})
    expected = inside if start <= step < start + length else own
    chex.assert_trees_all_equal(got["r1_gamma"], jnp.float32(expected))
    assert bool(optim.in_window(h, jnp.int32(step))) == (start <= step < start + length)
    assert got["window_r1_gamma"] is h["window_r1_gamma"]  # the rest untouched


def test_steps_to_recover_on_hand_built_traces():
    steps = np.array([100, 200, 300, 400, 500])
    # below the threshold until 300, above from then on: recovered 100 steps after 200
    assert (
        window_table.steps_to_recover(np.array([0.9, 0.0, 0.5, 0.6, 0.7]), steps, 200, 0.5) == 100
    )
    # back above at 300 but down again at 400: it stays above only from 500
    assert window_table.steps_to_recover(np.array([1, 0, 1, 0, 1.0]), steps, 200, 0.5) == 300
    # never stays above: NaN; above all along: 0
    assert np.isnan(window_table.steps_to_recover(np.array([1, 1, 1, 1, 0.0]), steps, 200, 0.5))
    assert window_table.steps_to_recover(np.ones(5), steps, 200, 0.5) == 0


def same_run(ran, a: dict, b: dict, names):
    for name in names:
        np.testing.assert_array_equal(
            ran[name].sel(**a).values, ran[name].sel(**b).values, err_msg=f"{name}: {a} vs {b}"
        )


@pytest.mark.slow  # a tiny SSL sweep: ~20 s on 2 busy cores
def test_ssl_window_inside_a_sweep(tmp_path):
    c = config.experiment_config("ssl_collapse")
    c.model.update(encoder_hidden=(16,), latent_dim=4)
    c.train.update(steps=40, log_every=20, batch_size=32, eval_examples=100)
    c.checkpoint_every = 40
    c.sweep.target_gradient = (0.0, 1.0)
    c.sweep.window_steps = (0.0, 40.0)
    c.sweep.window_target_gradient = (0.0, 1.0)
    c.sweep.seed = (0,)
    c.sweep.predictor_lr = (1.0,)
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    names = ("std_normalized_trace", "loss_trace", "eval_embeddings")
    # no stop-gradient through the whole run, by the window or by the run's own value
    same_run(
        ran,
        dict(target_gradient=0.0, window_steps=40.0, window_target_gradient=1.0),
        dict(target_gradient=1.0, window_steps=0.0, window_target_gradient=1.0),
        names,
    )
    # a window holding the run's own value is the control
    same_run(
        ran,
        dict(target_gradient=0.0, window_steps=40.0, window_target_gradient=0.0),
        dict(target_gradient=0.0, window_steps=0.0, window_target_gradient=1.0),
        names,
    )
    changed = ran.loss_trace.sel(target_gradient=0.0, window_target_gradient=1.0)
    assert not np.array_equal(changed.sel(window_steps=40.0), changed.sel(window_steps=0.0))
    # the recovered/stuck table: one row per window setting, each run against its control
    rows = window_table.window_rows(str(tmp_path))
    assert len(rows) == 4 and all(r["n"] == 1 and r["window"] == "0–40" for r in rows)
    own = next(
        r
        for r in rows
        if r["values"]["target_gradient"] == 0 and r["values"]["window_target_gradient"] == 0
    )
    for run, control in own["finals"].values():  # the own-value window is its control
        np.testing.assert_array_equal(run, control)
    assert "| setting | window |" in window_table.markdown(str(tmp_path))


@pytest.mark.slow  # a tiny GAN sweep: ~20 s on 2 busy cores
def test_gan_window_inside_a_sweep(tmp_path):
    c = config.experiment_config("gan_modes")
    c.model.update(generator_hidden=(16,), discriminator_hidden=(16,))
    c.train.update(steps=40, log_every=20, batch_size=32)
    c.checkpoint_every = 40
    c.variants = ()
    c.hparams.d_lr_ratio = 1.0
    c.sweep.r1_gamma = (0.0, 0.5)
    c.sweep.window_steps = (0.0, 40.0)
    c.sweep.window_d_lr_factor = (1.0, 2.0)
    c.sweep.seed = (0,)
    c.hparams.window_r1_gamma = 0.5
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    names = ("d_loss_trace", "g_loss_trace", "modes_fraction_trace", "eval_samples")
    # R1 on through the whole run, by the window or by the run's own weight
    same_run(
        ran,
        dict(r1_gamma=0.0, window_steps=40.0, window_d_lr_factor=1.0),
        dict(r1_gamma=0.5, window_steps=0.0, window_d_lr_factor=1.0),
        names,
    )
    # a window with R1's own weight and D's own rate is the control
    same_run(
        ran,
        dict(r1_gamma=0.5, window_steps=40.0, window_d_lr_factor=1.0),
        dict(r1_gamma=0.5, window_steps=0.0, window_d_lr_factor=2.0),
        names,
    )
    faster = ran.d_loss_trace.sel(r1_gamma=0.5, window_steps=40.0)
    assert not np.array_equal(
        faster.sel(window_d_lr_factor=2.0), faster.sel(window_d_lr_factor=1.0)
    )
