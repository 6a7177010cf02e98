"""Hysteresis of a PixelCNN VAE on digits: β swept up and back down at three ramp lengths.

The collapse-prone image model (`families.vae.config.pixelcnn_digits`: a gated PixelCNN
decoder, 3 layers of 16 channels, conv encoder 16-32, 8 latent dims, binarised 8×8
digits, Adam 1e-3, batch 64), whose decoder stops using z between β = 1 and 2
(`image_phase`). Trained 500 steps at β = 0.1, then β on a triangle from 0.1 up to 10 and
back (`train.schedule = "excursion"`, ``excursion_start`` 500), ramps of 250, 1,000 and
4,000 steps in one vmapped program (the shorter ones then hold β = 0.1);
`benchmarks/hysteresis_table.py` gives the loop areas and the order table.

    vaecollapse run experiments/hysteresis_pixelcnn.py --workdir runs/hysteresis_pixelcnn
    vaecollapse run experiments/hysteresis_pixelcnn.py --workdir /tmp/hp --config.quick=True
"""

from vaecollapse.families.vae.config import pixelcnn_digits


def get_config(arg=None):
    del arg
    c = pixelcnn_digits()
    c.name = "hysteresis_pixelcnn"
    c.train.schedule = "excursion"
    c.train.steps = 4500
    c.train.log_every = 50
    c.checkpoint_every = 1000
    c.hparams.beta = 0.1
    c.hparams.beta_peak = 10.0
    c.hparams.excursion_start = 500.0
    c.sweep.excursion_steps = (250.0, 1_000.0, 4_000.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.quick_overrides = (
        ("train.steps", 900),
        ("train.log_every", 25),
        ("hparams.excursion_start", 300.0),
        ("sweep.excursion_steps", (300.0, 600.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
