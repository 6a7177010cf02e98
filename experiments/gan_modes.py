"""Mode collapse of a small GAN on the grid (or ring) of Gaussians, and its remedies.

VEEGAN's and PacGAN's benchmark (`docs/gan.md`): a 5 × 5 grid of 25 Gaussians (or, with
``--config.data.name=ring``, a ring of 8); 2,500 generated samples per run; modes
captured, the share of high-quality samples and the reverse KL of the mode histogram,
mean ± std over seeds per remedy (the report's seed table). The plain GAN's
discriminator learns 5× faster than its generator (``d_lr_ratio`` = 5): over 24,000
generator steps it drops modes in most seeds while most of its samples stay high quality
— mode collapse proper. Each variant adds one remedy to that baseline. The quick version
trains 12,000 steps.

    vaecollapse run experiments/gan_modes.py --workdir runs/gan_grid
    vaecollapse run experiments/gan_modes.py --workdir runs/gan_ring --config.data.name=ring
    vaecollapse run experiments/gan_modes.py --workdir /tmp/gan --config.quick=True   # ~2 min
"""

from vaecollapse.families import gan

REMEDIES = (
    ("gan", ()),
    ("r1", (("r1_gamma", 0.1),)),
    ("lr_ratio_3", (("d_lr_ratio", 3.0),)),
    ("minibatch_std", (("minibatch_std", True),)),
    ("pacgan4", (("pack", 4),)),
    # Gulrajani et al.'s toy script (gan_toy.py): 5 critic steps, λ = 0.1, Adam 1e-4 with
    # β₁ = 0.5 for both players, a constant rate. It differs in β₂ (0.999 here, 0.9 there),
    # the nets (2 × 128 here, 3 × 512 there), the batch (64, 256), the data's scale (the
    # grid is not divided by 2.828) and the length (24,000 generator steps, 100,000).
    (
        "wgan_gp",
        (
            ("gan_loss", "wgan"),
            ("gp_lambda", 0.1),
            ("d_steps", 5),
            ("d_lr_ratio", 1.0),
            ("learning_rate", 1e-4),
            ("lr_schedule", "constant"),
        ),
    ),
    # the Wasserstein loss and penalty at the baseline's pace (1 critic step, D 5× faster):
    # not Gulrajani et al.'s settings
    ("wgan_gp_1step", (("gan_loss", "wgan"), ("gp_lambda", 0.1))),
    ("spectral_norm", (("spectral_norm", True),)),
)
# Measured at 12,000 steps only (docs/gan.md): R1 γ = 1 (("r1_gamma", 1.0),) and 5 unrolled
# steps (("unroll", 5),), whose step costs 6-10 plain ones (second derivatives).


def get_config(arg=None):
    del arg
    c = gan.base_config()
    c.name = "gan_modes"
    c.hparams.d_lr_ratio = 5.0
    c.train.steps = 24_000
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.variants = REMEDIES
    c.quick_overrides = (
        ("variants", REMEDIES[:3]),  # the swept remedies: one compile
        ("sweep.seed", (0, 1)),
        ("train.steps", 12_000),
    )
    return c
