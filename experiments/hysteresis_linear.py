"""Hysteresis of the linear VAE: β swept up and back down at three ramp lengths.

The linear VAE of `linear_phase` (data eigenvalues 16, 4, 1, 0.25; σ² = 1) has one
optimum per β (Lucas et al. 2019: dim i collapses exactly when λ_i ≤ βσ², continuously),
so any loop it draws is kinetic and must close as the ramp slows. Trained 2,000 steps at
β = 0.1 (to its optimum), then β on a triangle from 0.1 up to 30 and back
(`train.schedule = "excursion"`, ``excursion_start`` 2,000), ramps of 1,000, 4,000 and
16,000 steps in one vmapped program; `benchmarks/hysteresis_table.py` gives the loop
areas.

    vaecollapse run experiments/hysteresis_linear.py --workdir runs/hysteresis_linear
    vaecollapse run experiments/hysteresis_linear.py --workdir /tmp/hl --config.quick=True
"""

from vaecollapse.config import experiment_config


def get_config(arg=None):
    del arg
    c = experiment_config("linear_phase")  # its data, model and optimiser
    c.name = "hysteresis_linear"
    c.sweep = type(c.sweep)()  # no β axis: β follows the ramp
    c.train.schedule = "excursion"
    c.train.steps = 18_000
    c.train.log_every = 50
    c.train.lr_schedule = "constant"
    c.hparams.beta = 0.1
    c.hparams.beta_peak = 30.0
    c.hparams.excursion_start = 2000.0
    c.sweep.excursion_steps = (1_000.0, 4_000.0, 16_000.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.checkpoint_every = 4000
    c.quick_overrides = (
        ("train.steps", 3000),
        ("hparams.excursion_start", 1000.0),
        ("sweep.excursion_steps", (500.0, 2000.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
