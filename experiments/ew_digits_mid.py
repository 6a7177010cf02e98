"""A held-out grid for the early warning: an MLP VAE on digits at β between demo's.

Built after the early warning's rule and thresholds were fixed (2026-12-01) and used only
to score them (``benchmarks/early_warning.py --score``), never to choose or fit them.
demo's MLP (8 latent dims, one hidden layer of 128) on binarised 8×8 digits at
β ∈ {2, 4, 6} (demo has 1, 3 and 10), no free bits, Adam at 3e-4 or 1e-3 (demo: 1e-3),
five seeds: 30 runs, 1,500 steps logged every 50.

    vaecollapse run experiments/ew_digits_mid.py --workdir runs/ew_digits_mid
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "ew_digits_mid"
    c.model.latent_dim = 8
    c.model.encoder_hidden = (128,)
    c.model.decoder_hidden = (128,)
    c.train.steps = 1500
    c.train.log_every = 50
    c.sweep.beta = (2.0, 4.0, 6.0)
    c.sweep.learning_rate = (3e-4, 1e-3)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.quick_overrides = (("train.steps", 300), ("sweep.seed", (0,)))
    return c
