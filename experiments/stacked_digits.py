"""Mode collapse on stacked digits, 1,000 modes: the literature's Stacked MNIST at 8×8.

Three of scikit-learn's 8×8 digits as the channels of one image (data
``stacked_digits``, 25,600 train stacks); each generated image's mode is the triple of
its channels' digits read by the mode classifier (`gan.digits`: a JAX MLP trained on the
train digits, 98.6 % on the held-out ones). Measures as PacGAN's Table 2 (Lin et al.
2018) over 26,000 generated samples per run: modes captured (≥ 1 sample) of 1,000, the
reverse KL of the mode histogram to uniform, the share of high-quality samples
(every channel's confidence ≥ 0.5), precision / coverage on the classifier's features
(docs/gan.md, "Stacked digits: 1,000 modes").

The plain GAN: MLP players, noise dim 32, G of 256-256 and D at a quarter of its width,
64-64 (VEEGAN and Unrolled GAN shrink D to ¼ or ½ of G on Stacked MNIST), the
non-saturating loss, Adam (β₁ 0.5) at 1e-3 for both with a cosine decay, batch 64. Each
variant adds one remedy: R1 (γ = 10), Adam's β₁ = 0, PacGAN's packing (2 and 4),
minibatch std, spectral norm, D at G's width (the papers' unshrunk D), and the small
DCGAN-style conv players (``model.network = "conv"``) plain and with R1. The full
version trains 6,000 generator steps on 5 seeds; the quick one 3,000 steps on 2 seeds,
the plain GAN, R1 and β₁ = 0 (one compile).

    vaecollapse run experiments/stacked_digits.py --workdir runs/stacked_digits
    vaecollapse run experiments/stacked_digits.py --workdir /tmp/sd --config.quick=True  # ~2 min
"""

import ml_collections

from vaecollapse.families import gan

QUARTER_D = (64, 64)  # D at a quarter of G's 256-256
CONV = (("network", "conv"), ("generator_hidden", (64, 32)), ("discriminator_hidden", (16, 32)))
REMEDIES = (
    ("gan", ()),
    ("r1", (("r1_gamma", 10.0),)),
    ("adam_b1_0", (("adam_b1", 0.0),)),
    ("pacgan2", (("pack", 2),)),
    ("pacgan4", (("pack", 4),)),
    ("minibatch_std", (("minibatch_std", True),)),
    ("spectral_norm", (("spectral_norm", True),)),
    ("full_width_d", (("discriminator_hidden", (256, 256)),)),
    # small DCGAN-style players; D (16-32 channels) at half of G's (64-32) first width
    ("conv_gan", CONV),
    ("conv_r1", (*CONV, ("r1_gamma", 10.0))),
)


def get_config(arg=None):
    del arg
    c = gan.base_config()
    c.name = "stacked_digits"
    c.data = ml_collections.ConfigDict(
        {"name": "stacked_digits", "num_examples": 25_600, "num_test": 2_600, "seed": 0}
    )
    c.model.latent_dim = 32
    c.model.generator_hidden = (256, 256)
    c.model.discriminator_hidden = QUARTER_D
    c.train.steps = 6_000
    c.train.log_every = 500
    c.checkpoint_every = 3_000
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.variants = REMEDIES
    c.quick_overrides = (
        ("variants", REMEDIES[:3]),  # swept hyperparameters only: one compile
        ("sweep.seed", (0, 1)),
        ("train.steps", 3_000),
    )
    return c
