"""Map your own SSL encoder: SimSiam on 8×8 digits with the encoder and predictor of
`ssl_models.py`, each named by import path, over the stop-gradient knob α
(``target_gradient``: 0 is SimSiam, 1 removes the stop-gradient) × seeds in one vmapped
program.

    vaecollapse run examples/own_model/ssl_config.py --workdir /tmp/own_ssl --config.quick=True

The quick grid (4 runs, 600 steps, ~30 s on 2 CPU cores) came out: at α = 0 both seeds
healthy (RankMe ~14 of 32, probe ~0.9), at α = 1 both dimensionally collapsed (RankMe
~3, probe ~0.6; the encoder's output batch norm keeps std·√d near 0.8, so not complete).
The config file's folder is importable, so ``"ssl_models:make_encoder"`` is
`ssl_models.py` beside it; docs/own_model.md has the contract and the errors.
"""

from vaecollapse.families.ssl import digits_config


def get_config(arg=None):
    del arg
    c = digits_config()  # the SSL family on 8×8 digits in grey levels, SimSiam
    c.name = "own_ssl"
    c.model.encoder = "ssl_models:make_encoder"
    c.model.predictor = "ssl_models:make_predictor"
    c.model.width = 256  # a field of your own, read by ssl_models.make_encoder
    c.sweep.target_gradient = (0.0, 0.5, 1.0)
    c.sweep.seed = (0, 1, 2)
    c.quick_overrides = (
        ("train.steps", 600),
        ("train.log_every", 100),
        ("model.width", 64),
        ("sweep.target_gradient", (0.0, 1.0)),
        ("sweep.seed", (0, 1)),
    )
    return c
