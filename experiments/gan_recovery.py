"""Can a mode collapse be undone? A window without R1, then R1 back.

`gan_modes`' setting (the 5 × 5 grid of Gaussians, MLP players 2 × 128, the
discriminator learning 5× faster than the generator, Adam β₁ 0.5, a cosine decay over
24,000 generator steps), where R1 (γ = 0.1, Mescheder et al. 2018) keeps all 25 modes in
5 of 5 seeds and the plain GAN drops modes (docs/gan.md). Here R1 is switched off for a
window of ``window_steps`` steps from step 6,000 (``window_r1_gamma`` = 0), then back on;
``window_steps`` = 0 is the control, in the same vmapped program. In the second variant
the discriminator also learns 4× faster inside the window (``window_d_lr_factor``). A run
*recovers* when it ends healthy (≥ 90 % of the modes captured, the family's rule),
*stuck* when it ends collapsed while its control ends healthy.
`benchmarks/window_table.py` gives the table; docs/memory.md holds it.

    vaecollapse run experiments/gan_recovery.py --workdir runs/gan_recovery
    vaecollapse run experiments/gan_recovery.py --workdir /tmp/ganrec --config.quick=True
"""

from vaecollapse.families import gan

VARIANTS = (
    ("r1_off", ()),
    ("r1_off_fast_d", (("window_d_lr_factor", 4.0),)),
)


def get_config(arg=None):
    del arg
    c = gan.base_config()
    c.name = "gan_recovery"
    c.hparams.d_lr_ratio = 5.0
    c.hparams.r1_gamma = 0.1
    c.hparams.window_r1_gamma = 0.0
    c.hparams.window_start = 6000.0
    c.train.steps = 24_000
    c.variants = VARIANTS
    c.sweep.window_steps = (0.0, 3000.0, 9000.0)
    c.sweep.seed = (0, 1, 2, 3, 4)  # ≥ 5 seeds behind every "k of n" claim
    c.quick_overrides = (
        ("train.steps", 12_000),
        ("hparams.window_start", 4000.0),
        ("sweep.window_steps", (0.0, 4000.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
