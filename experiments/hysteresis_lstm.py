"""Hysteresis of an LSTM VAE on He et al.'s synthetic text: β swept up and back down.

The text experiments' model (`families.vae.config.lstm_text`: bidirectional-LSTM
encoder, Bowman et al.'s LSTM decoder, latent 4, Adam 3e-3) on `lstm_mixture`, whose
plain VAE collapses at β = 1 (`text_collapse`). Trained 1,000 steps at β = 0.1, then β
on a triangle from 0.1 up to 10 and back (`train.schedule = "excursion"`,
``excursion_start`` 1,000), ramps of 500, 2,000 and 4,000 steps in one vmapped program
(the shorter ones then hold β = 0.1); `benchmarks/hysteresis_table.py` gives the loop
areas and the order table.

    vaecollapse run experiments/hysteresis_lstm.py --workdir runs/hysteresis_lstm
    vaecollapse run experiments/hysteresis_lstm.py --workdir /tmp/hlstm --config.quick=True
"""

from vaecollapse.families.vae.config import lstm_text


def get_config(arg=None):
    del arg
    c = lstm_text()
    c.name = "hysteresis_lstm"
    c.train.schedule = "excursion"
    c.train.steps = 5000
    c.train.log_every = 100
    c.checkpoint_every = 1000
    c.hparams.beta = 0.1
    c.hparams.beta_peak = 10.0
    c.hparams.excursion_start = 1000.0
    c.sweep.excursion_steps = (500.0, 2_000.0, 4_000.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.quick_overrides = (
        ("train.steps", 1800),
        ("train.log_every", 50),
        ("hparams.excursion_start", 600.0),
        ("sweep.excursion_steps", (600.0, 1200.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
