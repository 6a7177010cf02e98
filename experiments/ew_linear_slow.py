"""A held-out grid for the early warning: a linear VAE at slow learning rates.

Built after the early warning's rule and thresholds were fixed (2026-12-01) and used only
to score them (``benchmarks/early_warning.py --score``), never to choose or fit them.
A linear VAE (Lucas et al. 2019) on linear-Gaussian data with a spectrum no other grid
uses, λ = (9, 3, 1), σ² = 1: dim j collapses at equilibrium where βσ² ≥ λ_j, so β = 0.5
keeps every dim, 2 and 6 keep some, 12 and 25 none. Adam at 3e-4 or 1e-3 (constant;
linear_phase trains at 2e-2 with a cosine decay), so the encoder is still far from its
equilibrium at 10 % of training and a collapse can come late. Five seeds: 50 runs.

    vaecollapse run experiments/ew_linear_slow.py --workdir runs/ew_linear_slow
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "ew_linear_slow"
    c.data.name = "linear_gaussian"
    c.data.eigenvalues = (9.0, 3.0, 1.0)
    c.data.num_examples = 20_000
    c.data.seed = 1
    c.model.name = "linear"
    c.model.latent_dim = 3
    c.model.likelihood = "gaussian"
    c.model.sigma2 = 1.0
    c.train.steps = 3000
    c.train.batch_size = 256
    c.train.log_every = 100
    c.train.eval_examples = 1000
    c.sweep.beta = (0.5, 2.0, 6.0, 12.0, 25.0)
    c.sweep.learning_rate = (3e-4, 1e-3)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.checkpoint_every = 1000
    c.quick_overrides = (("train.steps", 600), ("sweep.seed", (0,)))
    return c
