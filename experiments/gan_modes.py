"""Mode collapse of a small GAN on the grid (or ring) of Gaussians, and its remedies.

VEEGAN's and PacGAN's benchmark (`docs/gan.md`): a ring of 8 Gaussians or a 5 × 5 grid of
25; 2,500 generated samples per run; modes captured, the share of high-quality samples
and the reverse KL of the mode histogram, mean ± std over seeds per remedy (the report's
seed table). The variants are the plain non-saturating GAN and one remedy each.

    vaecollapse run experiments/gan_modes.py --workdir runs/gan_grid
    vaecollapse run experiments/gan_modes.py --workdir runs/gan_ring --config.data.name=ring
    vaecollapse run experiments/gan_modes.py --workdir /tmp/gan --config.quick=True
"""

from vaecollapse.config import base_config


def gan_config():
    """The GAN family's defaults: MLP G and D, non-saturating loss, Adam."""
    c = base_config()
    c.family = "gan"
    c.data = c.data.__class__({"name": "grid", "num_examples": 10_000, "seed": 0})
    c.model.update(latent_dim=2)
    c.model.gan_loss = "ns"
    c.model.generator_hidden = (128, 128)
    c.model.discriminator_hidden = (128, 128)
    c.model.d_steps = 1
    c.model.pack = 1
    c.model.spectral_norm = False
    c.model.minibatch_std = False
    c.model.unroll = 0
    c.train.steps = 3000
    c.train.log_every = 100
    c.train.batch_size = 128
    c.hparams.learning_rate = 1e-3
    c.hparams.adam_b1 = 0.5
    return c


def get_config(arg=None):
    del arg
    c = gan_config()
    c.name = "gan_modes"
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.variants = (
        ("gan", ()),
        ("pacgan4", (("pack", 4),)),
        ("r1", (("r1_gamma", 0.1),)),
        ("wgan_gp", (("gan_loss", "wgan"), ("gp_lambda", 0.1))),
    )
    c.quick_overrides = (("train.steps", 1000), ("sweep.seed", (0, 1)))
    return c
