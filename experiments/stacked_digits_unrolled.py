"""The unrolled GAN on stacked digits (Metz et al. 2017, who report it on Stacked MNIST):
`experiments/stacked_digits.py`'s plain GAN — D at a quarter of G's width — with the
generator's loss taken against D after 5 more Adam updates, differentiated through
(``model.unroll = 5``), 6,000 steps, 5 seeds. On its own grid: unrolling multiplies the
discriminator's work in every generator step, so it would slow the table's other variants'
program; docs/gan.md reads it beside them.

    vaecollapse run experiments/stacked_digits_unrolled.py --workdir runs/stacked_digits_unrolled
"""

from vaecollapse.config import experiment_config


def get_config(arg=None):
    del arg
    c = experiment_config("stacked_digits")
    c.name = "stacked_digits_unrolled"
    c.variants = (("unrolled5", (("unroll", 5),)),)
    c.quick_overrides = (("sweep.seed", (0,)), ("train.steps", 500))
    return c
