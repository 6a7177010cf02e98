"""Map your own model: a VAE of your own (`models.py`) on data of your own (`data.py`),
each named by import path, over a β × seed grid in one vmapped program. Copy this folder
and change the two modules; nothing in them imports vaecollapse.

    vaecollapse run examples/own_model/config.py --workdir /tmp/own --config.quick=True
    vaecollapse run examples/own_model/config.py --workdir runs/own

The config file's folder is importable, so ``"models:make"`` is `models.py` beside it
(``"my_package.my_module:make"`` works too, from the current directory or sys.path).
The report (``summary.md``, the phase diagram, the boundary in β) lands in the workdir;
docs/own_model.md has the contracts and the errors you may meet.
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "own_model"
    c.data.name = "data:load"
    c.data.threshold = 0.5  # a field of your own, read by data.load
    c.model.name = "models:make"
    c.model.latent_dim = 8
    c.model.width = 128  # a field of your own, read by models.make
    c.model.likelihood = "bernoulli"
    c.train.steps = 2000
    c.train.log_every = 100
    c.train.eval_examples = 256
    c.sweep.beta = (0.1, 0.3, 1.0, 3.0, 10.0)
    c.sweep.seed = (0, 1, 2)
    c.quick_overrides = (
        ("train.steps", 200),
        ("train.log_every", 50),
        ("train.eval_examples", 64),
        ("model.width", 32),
        ("diagnostics.iw_samples", 4),
        ("diagnostics.mi_chunk", 32),
        ("sweep.beta", (0.3, 3.0, 30.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
