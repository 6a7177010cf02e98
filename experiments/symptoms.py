"""Symptoms of posterior collapse: one collapsed and one healthy model side by side.

Both are the same VAE — a gated PixelCNN decoder (van den Oord et al. 2016) on binarised
8×8 digits, five seeds — trained at β = 2, where this decoder's posterior collapses for
good (at β = 1 it collapses by step ~300 and then slowly recovers, see `remedies`); the
healthy one keeps λ = 0.5 nats of free bits per latent dim (Kingma et al. 2016). The
report draws every symptom as a figure:

- ``kl_curves.png``: KL falls to ~0 early and stays there (collapsed) or settles above it;
- ``reconstructions.png``: decoded μ(x) for eight test digits, against the data average;
- ``interpolations.png``: decoding the line between two inputs' codes — no change along
  it when the decoder ignores z;
- ``encoder_histograms.png``: μ ≈ 0 and σ ≈ 1 for every input (collapsed) or spread;
- ``kl_per_dim.png``: per-dim KL negligible in every dim (no active units);
- ``prior_samples.png``: samples from the prior.

Autoregressive pictures are drawn with the same random numbers in every cell, so a
decoder that ignores z draws one picture eight times.

    vaecollapse run experiments/symptoms.py --workdir runs/symptoms
    vaecollapse run experiments/symptoms.py --workdir /tmp/symptoms --config.quick=True
"""

from vaecollapse.families.vae.config import pixelcnn_digits


def get_config(arg=None):
    del arg
    c = pixelcnn_digits()
    c.name = "symptoms"
    c.train.steps = 1000
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.hparams.beta = 2.0
    c.variants = (("collapsed", ()), ("healthy", (("free_bits", 0.5),)))
    c.quick_overrides = (("train.steps", 300), ("sweep.seed", (0,)))
    return c
