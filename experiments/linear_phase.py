"""Linear VAE on linear-Gaussian data: collapse exactly where λ_i ≤ βσ² (Lucas et al. 2019).

The spectrum (16, 4, 1, 0.25) with σ² = 1 and β spaced between the eigenvalues makes the
number of collapsed latent dims step from 0 to 3 across the grid; every run is compared
with `vaecollapse.families.vae.analytic.linear_vae_kl_per_dim`.

    vaecollapse run experiments/linear_phase.py --workdir runs/linear_phase
    vaecollapse run experiments/linear_phase.py --workdir /tmp/lp --config.quick=True
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "linear_phase"
    c.data.name = "linear_gaussian"
    c.data.eigenvalues = (16.0, 4.0, 1.0, 0.25)
    c.data.num_examples = 20_000
    c.data.seed = 0
    c.model.name = "linear"
    c.model.latent_dim = 4
    c.model.likelihood = "gaussian"
    c.model.sigma2 = 1.0
    c.train.steps = 4000
    c.train.batch_size = 256
    c.train.log_every = 100
    c.train.eval_examples = 2000
    c.train.lr_schedule = "cosine"
    c.hparams.learning_rate = 2e-2
    c.sweep.beta = (0.12, 0.5, 2.0, 8.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.checkpoint_every = 1000
    c.quick_overrides = (("train.steps", 1500), ("sweep.seed", (0,)))
    return c
