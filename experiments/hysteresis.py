"""Hysteresis: β swept up and back down, at three ramp lengths — does the KL come back?

An MLP VAE (64-256-8 / 8-256-64, Bernoulli, binarised 8×8 digits, Adam 1e-3, batch 64)
trained 4,000 steps at β = 0.1, then with β on a triangle: log-linear from 0.1 up to 10
over the first half of the ramp, back down to 0.1 over the second (`train.schedule =
"excursion"`, β = 0.1, β_peak = 10, ``excursion_start`` 4,000, ``excursion_steps`` the
ramp), ramps of 2,000, 8,000 and 24,000 steps in one vmapped program (the shorter ones
then hold β = 0.1). With no memory the falling branch
retraces the rising one; a loop that shrinks as the ramp slows is a kinetic lag, one that
persists is a second, stuck solution. `benchmarks/hysteresis_table.py` gives each run's
loop area (`families.vae.memory.loop_area`) of the KL and of I(x; z); docs/memory.md
holds the table and the figure.

    vaecollapse run experiments/hysteresis.py --workdir runs/hysteresis
    vaecollapse run experiments/hysteresis.py --workdir /tmp/hysteresis --config.quick=True
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "hysteresis"
    c.model.latent_dim = 8
    c.model.encoder_hidden = (256,)
    c.model.decoder_hidden = (256,)
    c.train.schedule = "excursion"
    c.train.steps = 28_000
    c.train.log_every = 200
    c.train.eval_examples = 256
    c.checkpoint_every = 4000
    c.hparams.beta = 0.1
    c.hparams.beta_peak = 10.0
    c.hparams.excursion_start = 4000.0
    c.sweep.excursion_steps = (2_000.0, 8_000.0, 24_000.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.quick_overrides = (
        ("train.steps", 3000),
        ("train.log_every", 50),
        ("hparams.excursion_start", 1000.0),
        ("sweep.excursion_steps", (1000.0, 2000.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
