"""A held-out grid for the early warning: β schedules no other grid reads it under.

Built after the early warning's rule and thresholds were fixed (2026-12-01) and used only
to score them (``benchmarks/early_warning.py --score``), never to choose or fit them.
The package's default MLP VAE (16 latent dims, hidden 256) on binarised 8×8 digits, β
reaching 2, 5 or 10 by a sigmoid (Bowman et al. 2016; midpoint step 600, steepness
0.01) or by cyclical annealing (Fu et al. 2019; 4 cycles, ramp over half of each), five
seeds: 30 runs, 1,500 steps logged every 50.

    vaecollapse run experiments/ew_schedules.py --workdir runs/ew_schedules
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "ew_schedules"
    c.train.steps = 1500
    c.train.log_every = 50
    c.hparams.midpoint = 600.0
    c.hparams.steepness = 0.01
    c.sweep.beta = (2.0, 5.0, 10.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.sweep_static.schedule = ("sigmoid", "cyclical")
    c.quick_overrides = (("train.steps", 300), ("sweep.seed", (0,)))
    return c
