"""Dimensional collapse: the linear InfoNCE toy of Jing et al. (2022), over the strength
of an augmentation that only touches half of the input's dimensions.

``facebookresearch/directclr`` ``toy_task/case_1.py``: x ~ N(0, I₁₆), 10,000 examples, one
linear layer 16 → 16, InfoNCE (z₁ z₂ᵀ / 0.1 against the diagonal), batch 128, SGD lr 1e-3,
10,000 steps; each view adds Gaussian noise of std ``aug_noise`` to the last 8 input
dimensions only. Their claim: strong noise (1.5) collapses dimensions, weak (0.01) does
not. The spectrum per rank (σ_k / σ_1 of the centred embeddings of 1,000 held-out inputs)
is the order parameter; ranks 8–15 are the noisy directions. The variants: their one
layer (``linear1``), with strong weight decay (``linear1_wd3``), two layers (their case 2's
depth, ``linear2``) and two layers with weight decay (``linear2_wd0.3``): which knob makes
directions die outright rather than shrink.
Differences from their script: no bias (theirs has one), and the spectrum is of the
embeddings (singular values) rather than of their covariance (eigenvalues: the squares).

    vaecollapse run experiments/ssl_dimensional.py --workdir runs/ssl_dimensional
    vaecollapse run experiments/ssl_dimensional.py --workdir /tmp/dim --config.quick=True
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config("ssl")
    c.name = "ssl_dimensional"
    c.data.name = "linear_gaussian"
    c.data.eigenvalues = (1.0,) * 16  # x ~ N(0, I₁₆)
    c.data.num_examples = 12_500  # 10,000 to train, 2,500 held out
    c.data.seed = 0
    c.model.ssl_loss = "infonce"
    c.model.encoder = "linear"
    c.model.encoder_hidden = ()  # one layer (case 1); the variants add (16,): two (case 2)
    c.model.latent_dim = 16
    c.model.mask_prob = 0.0
    c.model.noise_from = 8  # noise on the last 8 input dimensions only
    c.train.optimizer = "sgd"
    c.train.steps = 10_000
    c.train.log_every = 500
    c.train.batch_size = 128
    c.train.eval_examples = 1000
    c.hparams.learning_rate = 1e-3
    c.hparams.temperature = 0.1
    c.sweep.aug_noise = (0.01, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)
    c.sweep.seed = (0, 1, 2, 3, 4)  # ≥ 5 seeds behind every "k of n" claim
    c.variants = (
        ("linear1", ()),
        ("linear1_wd3", (("weight_decay", 3.0),)),
        ("linear2", (("encoder_hidden", (16,)),)),
        ("linear2_wd0.3", (("encoder_hidden", (16,)), ("weight_decay", 0.3))),
    )
    c.quick_overrides = (
        ("sweep.aug_noise", (0.01, 1.0, 2.0)),
        ("sweep.seed", (0,)),
    )
    return c
