"""The phase diagram of mode collapse on the grid: modes captured over the R1 penalty γ ×
the discriminator/generator learning-rate ratio, per seed.

How much R1 keeps all 25 modes as the discriminator gets faster. The boundary along
``r1_gamma`` is where the runs stop covering 90 % of the modes (``modes_fraction`` below
0.9; `docs/gan.md`):

    vaecollapse run experiments/gan_phase.py --workdir runs/gan_phase
    vaecollapse boundary runs/gan_phase --along r1_gamma --measure modes_fraction
    vaecollapse run experiments/gan_phase.py --workdir /tmp/gan_phase --config.quick=True
"""

from vaecollapse.families import gan


def get_config(arg=None):
    del arg
    c = gan.base_config()
    c.name = "gan_phase"
    c.sweep.r1_gamma = (0.0, 0.01, 0.03, 0.1, 1.0)
    c.sweep.d_lr_ratio = (1.0, 3.0, 5.0, 8.0)
    c.sweep.seed = (0, 1, 2, 3, 4)  # ≥ 5 seeds behind every "k of n" claim
    c.quick_overrides = (
        ("sweep.r1_gamma", (0.0, 0.1)),
        ("sweep.d_lr_ratio", (3.0, 5.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
