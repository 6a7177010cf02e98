"""Demo: an MLP VAE on binarised 8×8 digits over a β × free-bits × seed grid.

All 45 runs are one compiled, vmapped program. Small β keeps every latent dim in use;
large β pushes the posterior onto the prior until the whole latent collapses; free bits
(Kingma et al. 2016) hold a minimum KL per dim and keep the units alive. The phase
diagram and summary land in the workdir.

    vaecollapse run experiments/demo.py --workdir runs/demo
    vaecollapse run experiments/demo.py --workdir /tmp/demo --config.quick=True
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "demo"
    c.model.latent_dim = 8
    c.model.encoder_hidden = (128,)
    c.model.decoder_hidden = (128,)
    c.train.steps = 1500
    c.train.log_every = 50
    c.sweep.beta = (0.1, 0.3, 1.0, 3.0, 10.0)
    c.sweep.free_bits = (0.0, 0.25, 1.0)
    c.sweep.seed = (0, 1, 2)
    c.quick_overrides = (("train.steps", 300), ("sweep.seed", (0,)))
    return c
