"""Mode collapse of a small GAN on the grid (or ring) of Gaussians, and its remedies.

VEEGAN's and PacGAN's benchmark (`docs/gan.md`): a 5 × 5 grid of 25 Gaussians (or, with
``--config.data.name=ring``, a ring of 8); 2,500 generated samples per run; modes
captured, the share of high-quality samples and the reverse KL of the mode histogram,
mean ± std over seeds per remedy (the report's seed table). The plain GAN's
discriminator learns 5× faster than its generator (``d_lr_ratio`` = 5): there it drops
modes in every seed while most of its samples stay high quality — mode collapse proper.
Each variant adds one remedy to that baseline.

    vaecollapse run experiments/gan_modes.py --workdir runs/gan_grid
    vaecollapse run experiments/gan_modes.py --workdir runs/gan_ring --config.data.name=ring
    vaecollapse run experiments/gan_modes.py --workdir /tmp/gan --config.quick=True   # ~2 min
"""

from vaecollapse.families import gan

REMEDIES = (
    ("gan", ()),
    ("r1", (("r1_gamma", 0.1),)),
    ("r1_strong", (("r1_gamma", 1.0),)),
    ("lr_ratio_3", (("d_lr_ratio", 3.0),)),
    ("pacgan4", (("pack", 4),)),
    ("wgan_gp", (("gan_loss", "wgan"), ("gp_lambda", 0.1))),
    ("spectral_norm", (("spectral_norm", True),)),
    ("minibatch_std", (("minibatch_std", True),)),
    ("unrolled5", (("unroll", 5),)),  # a step costs 6-10 plain ones (2nd derivatives)
)


def get_config(arg=None):
    del arg
    c = gan.base_config()
    c.name = "gan_modes"
    c.hparams.d_lr_ratio = 5.0
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.variants = REMEDIES
    c.quick_overrides = (
        ("variants", REMEDIES[:2] + REMEDIES[3:4]),  # the swept remedies: one compile
        ("sweep.seed", (0, 1)),
    )
    return c
