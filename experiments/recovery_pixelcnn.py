"""Can a PixelCNN VAE's posterior collapse be undone? The recovery map's question on the
collapse-prone image model (`families.vae.config.pixelcnn_digits`: a gated PixelCNN
decoder, 3 layers of 16 channels, conv encoder 16-32, 8 latent dims, binarised 8×8
digits, Adam 1e-3, batch 64), whose hysteresis loop (`experiments/hysteresis_pixelcnn.py`)
returns its units only below β ≈ 0.4. At β = 0.5 — where the control uses z — 1,000
steps to settle, then an excursion to β_peak = 5 of 1,000 or 4,000 steps
(``excursion_start`` 1,000), then β = 0.5 to step 8,000; β_peak = 0.5 is the control, in
the same vmapped program; 5 seeds. `benchmarks/recovery_table.py` gives the table.

    vaecollapse run experiments/recovery_pixelcnn.py --workdir runs/recovery_pixelcnn
    vaecollapse run experiments/recovery_pixelcnn.py --workdir /tmp/rp --config.quick=True
"""

from vaecollapse.families.vae.config import pixelcnn_digits


def get_config(arg=None):
    del arg
    c = pixelcnn_digits()
    c.name = "recovery_pixelcnn"
    c.train.schedule = "excursion"
    c.train.steps = 8000
    c.train.log_every = 250
    c.checkpoint_every = 2000
    c.hparams.beta = 0.5
    c.hparams.excursion_start = 1000.0
    c.sweep.beta_peak = (0.5, 5.0)
    c.sweep.excursion_steps = (1000.0, 4000.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.quick_overrides = (
        ("train.steps", 1500),
        ("train.log_every", 100),
        ("hparams.excursion_start", 300.0),
        ("sweep.excursion_steps", (300.0, 600.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
