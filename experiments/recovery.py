"""Can a posterior collapse be undone? β excursions and the recovery map.

The source this project implements says collapse is "a local optimum, not the global one
… gradient descent gets stuck". This grid tests it: an MLP VAE (64-256-8 / 8-256-64,
Bernoulli, binarised 8×8 digits, Adam 1e-3, batch 64) trained at β = 1 with an excursion
to β_peak (`train.schedule = "excursion"`: log-linear up over the first half of
``excursion_steps``, down over the second half, then β = 1 held) — β_peak = 1 is the
control, no excursion, in the same vmapped program. The map: β_peak of 3.16, 10 and
31.6 × excursions of 4,000, 8,000 and 16,000 steps from step 0, then β = 1 to step
24,000 (8,000 steps after the longest), 5 seeds. A run *recovers* when it ends with its
control's active units; one that ends with fewer, and a worse training −ELBO than its
control, is in a worse solution gradient descent has not left.
`benchmarks/recovery_table.py` gives the table, the boundary along β_peak and the map's
figure; docs/memory.md holds them.

    vaecollapse run experiments/recovery.py --workdir runs/recovery
    vaecollapse run experiments/recovery.py --workdir /tmp/recovery --config.quick=True
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "recovery"
    c.model.latent_dim = 8
    c.model.encoder_hidden = (256,)
    c.model.decoder_hidden = (256,)
    c.train.schedule = "excursion"
    c.train.steps = 24_000  # the longest excursion (16,000 steps) then 8,000 at β = 1
    c.train.log_every = 1000
    c.train.eval_examples = 256
    c.checkpoint_every = 5000
    c.hparams.beta = 1.0
    c.sweep.beta_peak = (1.0, 3.162, 10.0, 31.62)  # half-decades; 1: the control
    c.sweep.excursion_steps = (4_000.0, 8_000.0, 16_000.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.quick_overrides = (
        ("train.steps", 3000),
        ("train.log_every", 100),
        ("sweep.beta_peak", (1.0, 10.0)),
        ("sweep.excursion_steps", (1000.0, 2000.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
