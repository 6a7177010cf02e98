"""SSL collapse with BYOL (Grill et al. 2020) on 8×8 digits over the target network's
EMA momentum τ, with and without batch statistics.

BYOL predicts the embedding of a *target* encoder whose parameters trail the online
encoder's as an exponential moving average, ξ ← τ·ξ + (1 − τ)·θ. At τ = 0 the target is
the online encoder behind a stop-gradient — SimSiam — which on digits needs batch
statistics to stay healthy (docs/ssl.md). The variants: batch statistics in every layer
(``batchnorm``) or none (``no_norm``): does a slowly moving target alone keep the
embedding from collapsing, and from which τ on?

    vaecollapse run experiments/ssl_byol.py --workdir runs/ssl_byol
    vaecollapse run experiments/ssl_byol.py --workdir /tmp/byol --config.quick=True
"""

from vaecollapse.families.ssl import digits_config


def get_config(arg=None):
    del arg
    c = digits_config()
    c.name = "ssl_byol"
    c.model.ssl_loss = "byol"
    c.model.norm = "batch"  # the variants set it
    c.sweep.ema_momentum = (0.0, 0.9, 0.99, 0.996, 0.999)
    c.sweep.seed = (0, 1, 2, 3, 4)  # ≥ 5 seeds behind every "k of n" claim
    c.variants = (("batchnorm", (("norm", "batch"),)), ("no_norm", (("norm", "none"),)))
    c.quick_overrides = (
        ("train.steps", 600),
        ("train.log_every", 100),
        ("sweep.ema_momentum", (0.0, 0.999)),
        ("sweep.seed", (0, 1)),
    )
    return c
