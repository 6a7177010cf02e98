"""Can a representation collapse be undone? A window without the remedy, then the remedy back.

SimSiam on 8×8 digits (`ssl.digits_config`: MLP 64-256-256-32, batch norm, the projector
ending in batch norm without affine parameters, Adam 3e-3, batch 256) keeps its embedding
spread with the stop-gradient (``target_gradient`` 0); without it (1) it collapses
(docs/ssl.md). Here the stop-gradient is removed for a window of ``window_steps`` steps from
step 500 (``window_target_gradient`` = 1 inside it) and then restored until step 4,000;
``window_steps`` = 0 is the control, no window, in the same vmapped program. The second
variant asks the same of VICReg (no output normalisation, as in `ssl_vicreg`): its
variance term removed for the window (``window_vicreg_variance`` = 0), then back at 25. A
run *recovers* when it ends healthy by the family's state rule (thresholds fixed before
these runs: docs/ssl.md), *stuck* when it ends collapsed while its control ends healthy.
`benchmarks/window_table.py` gives the table; docs/memory.md holds it.

    vaecollapse run experiments/ssl_recovery.py --workdir runs/ssl_recovery
    vaecollapse run experiments/ssl_recovery.py --workdir /tmp/sslrec --config.quick=True
"""

from vaecollapse.families.ssl import digits_config

VARIANTS = (
    ("simsiam", ()),  # window: the stop-gradient removed (window_target_gradient 1)
    ("vicreg", (("ssl_loss", "vicreg"), ("norm", "none"))),  # window: no variance term
)


def get_config(arg=None):
    del arg
    c = digits_config()
    c.name = "ssl_recovery"
    c.train.steps = 4000
    c.train.log_every = 100
    c.checkpoint_every = 1000
    c.hparams.window_start = 500.0
    c.hparams.window_target_gradient = 1.0
    c.hparams.window_vicreg_variance = 0.0
    c.variants = VARIANTS
    c.sweep.window_steps = (0.0, 200.0, 1000.0)
    c.sweep.seed = (0, 1, 2, 3, 4)  # ≥ 5 seeds behind every "k of n" claim
    c.quick_overrides = (
        ("train.steps", 1500),
        ("sweep.window_steps", (0.0, 500.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
