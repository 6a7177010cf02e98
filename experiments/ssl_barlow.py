"""SSL collapse with Barlow Twins (Zbontar et al. 2021) on 8×8 digits over its
off-diagonal weight.

Barlow Twins drives the cross-correlation matrix C of the two views' standardised
embeddings to the identity: Σ_k (1 − C_kk)² makes each dimension invariant to the
augmentation, λ·Σ_{k≠l} C_kl² (λ = 0.0051 by default) makes the dimensions carry
different information. The per-dimension standardisation rules out complete collapse;
what λ guards against is redundancy — dimensional collapse. The sweep turns λ
(``barlow_offdiag``) from 0 to above its default.

    vaecollapse run experiments/ssl_barlow.py --workdir runs/ssl_barlow
    vaecollapse run experiments/ssl_barlow.py --workdir /tmp/barlow --config.quick=True
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "ssl_barlow"
    c.family = "ssl"
    c.data.binarize = False  # grey levels in [0, 1]
    c.model.ssl_loss = "barlow"
    c.model.encoder_hidden = (256, 256)
    c.model.latent_dim = 32
    c.model.norm = "batch"  # hidden layers, as Barlow Twins' projector
    c.model.output_norm = False  # the loss standardises the output itself
    c.train.steps = 2000
    c.train.log_every = 50
    c.train.batch_size = 256
    c.train.eval_examples = 512  # digits: the whole 360-example test split
    c.hparams.learning_rate = 3e-3
    c.sweep.barlow_offdiag = (0.0, 0.0005, 0.0051, 0.05)
    c.sweep.seed = (0, 1)
    c.quick_overrides = (
        ("train.steps", 1000),
        ("train.log_every", 100),
        ("sweep.barlow_offdiag", (0.0, 0.0051)),
    )
    return c
