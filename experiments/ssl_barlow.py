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

from vaecollapse.families.ssl import digits_config


def get_config(arg=None):
    del arg
    c = digits_config()
    c.name = "ssl_barlow"
    c.model.ssl_loss = "barlow"
    c.model.norm = "batch"  # hidden layers, as Barlow Twins' projector
    c.model.output_norm = False  # the loss standardises the output itself
    c.sweep.barlow_offdiag = (0.0, 0.0005, 0.0051, 0.05)
    c.sweep.seed = (0, 1, 2, 3, 4)  # ≥ 5 seeds behind every "k of n" claim
    c.quick_overrides = (
        ("train.steps", 1000),
        ("train.log_every", 100),
        ("sweep.barlow_offdiag", (0.0, 0.0051)),
        ("sweep.seed", (0, 1)),
    )
    return c
