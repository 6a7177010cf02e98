"""The phase diagram of mode collapse on stacked digits: modes captured of 1,000 over the
R1 penalty γ × the discriminator's width.

VEEGAN and Unrolled GAN make a GAN drop Stacked MNIST's modes by shrinking its
discriminator; this grid asks how much R1 a smaller D needs to keep them. The players and
the training are `experiments/stacked_digits.py`'s (MLP G of 256-256, noise dim 32, the
non-saturating loss, Adam β₁ 0.5 at 1e-3 with a cosine decay, batch 64, 6,000 steps,
26,000 samples scored); D's two hidden layers are ⅛, ¼, ½ or all of G's width (one
compile each, named ``d_32`` … ``d_256``), γ is swept inside each. The boundary along
``r1_gamma`` is where the runs stop covering 90 % of the modes (``modes_fraction`` below
0.9; docs/gan.md, "Stacked digits: 1,000 modes"):

    vaecollapse run experiments/stacked_digits_phase.py --workdir runs/stacked_digits_phase
    vaecollapse boundary runs/stacked_digits_phase --along r1_gamma --measure modes_fraction
    vaecollapse run experiments/stacked_digits_phase.py --workdir /tmp/sdp --config.quick=True
"""

from vaecollapse.config import experiment_config

WIDTHS = (32, 64, 128, 256)  # D's hidden width; G's is 256


def get_config(arg=None):
    del arg
    c = experiment_config("stacked_digits")
    c.name = "stacked_digits_phase"
    c.variants = tuple((f"d_{w}", (("discriminator_hidden", (w, w)),)) for w in WIDTHS)
    c.sweep.r1_gamma = (0.0, 0.1, 1.0, 10.0)
    c.quick_overrides = (
        ("variants", c.variants[:2]),
        ("sweep.r1_gamma", (0.0, 10.0)),
        ("sweep.seed", (0,)),
        ("train.steps", 1_500),
    )
    return c
