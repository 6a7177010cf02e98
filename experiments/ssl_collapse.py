"""SSL collapse: SimSiam-style training on 8×8 digits over the stop-gradient knob.

The target branch of SimSiam's loss is t(z) = α·z + (1 − α)·stop_gradient(z): its value
is z, its gradient scaled by α (``target_gradient``). α = 0 is SimSiam (Chen & He 2021),
which keeps its embeddings spread; α = 1 removes the stop-gradient, and the constant
embedding, which solves the loss perfectly, wins: complete collapse (std·√d of the
normalised embedding → 0, RankMe → 1, the linear probe from ~0.9 down to 0.26–0.44).
The phase diagram maps where along α the collapse sets in, per seed.

    vaecollapse run experiments/ssl_collapse.py --workdir runs/ssl_collapse
    vaecollapse run experiments/ssl_collapse.py --workdir /tmp/ssl --config.quick=True
"""

from vaecollapse.families.ssl import digits_config


def get_config(arg=None):
    del arg
    c = digits_config()
    c.name = "ssl_collapse"
    c.sweep.target_gradient = (0.0, 0.25, 0.5, 0.75, 1.0)
    c.sweep.predictor_lr = (0.1, 1.0, 10.0)  # the predictor's learning-rate factor
    c.sweep.seed = (0, 1, 2, 3, 4)  # ≥ 5 seeds behind every "k of n" claim
    c.quick_overrides = (
        ("train.steps", 1000),
        ("train.log_every", 100),
        ("sweep.target_gradient", (0.0, 0.5, 1.0)),
        ("sweep.predictor_lr", (1.0,)),
        ("sweep.seed", (0, 1)),
    )
    return c
