"""SSL collapse with VICReg (Bardes et al. 2022) on 8×8 digits over its variance weight.

VICReg's loss is λ·invariance + μ·variance + ν·covariance (defaults 25, 25, 1). The
invariance term alone is solved by the constant embedding; the variance term (a hinge
keeping each dimension's std above 1) is what holds the embeddings apart, the covariance
term spreads them over dimensions. The sweep turns μ (``vicreg_variance``) from 0 to its
default: where along μ does the embedding die?

    vaecollapse run experiments/ssl_vicreg.py --workdir runs/ssl_vicreg
    vaecollapse run experiments/ssl_vicreg.py --workdir /tmp/vicreg --config.quick=True
"""

from vaecollapse.families.ssl import digits_config


def get_config(arg=None):
    del arg
    c = digits_config()
    c.name = "ssl_vicreg"
    c.model.ssl_loss = "vicreg"
    # no normalisation: batch statistics at the output would standardise every dimension
    # whatever μ (μ = 0 stayed healthy with them: docs/ssl.md, "what was tried")
    c.model.norm = "none"
    c.sweep.vicreg_variance = (0.0, 0.04, 0.2, 1.0, 5.0, 25.0)
    c.sweep.seed = (0, 1, 2, 3, 4)  # ≥ 5 seeds behind every "k of n" claim
    c.quick_overrides = (
        ("train.steps", 1000),
        ("train.log_every", 100),
        ("sweep.vicreg_variance", (0.0, 1.0, 25.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
