"""Bowman et al. (2016) text collapse on `markov_topics`: an LSTM VAE over token sequences.

Bowman et al. found that a strong LSTM decoder, predicting each token from the previous
ones, drives KL(q(z|x) ‖ p(z)) to ~0 under plain training. Word dropout
(``context_dropout``) weakens the decoder, KL annealing (``schedule=linear_warmup``)
delays the KL penalty, and free bits (Kingma et al. 2016) reserve a minimum KL per dim.
The grid runs all of them; ``meta['mi_bound']`` = log K (K topics) bounds what z can
carry about the generating topic.

Status: on these default data the plain LSTM VAE does *not* collapse within 1,500
steps (KL rises to ~0.95 nats, seed 0); the data/decoder that reproduce Bowman's
collapse are still to be chosen, so read this grid as a remedies-vs-KL comparison.

    vaecollapse run experiments/text_collapse.py --workdir runs/text_collapse
    vaecollapse run experiments/text_collapse.py --workdir /tmp/tc --config.quick=True
"""

from vaecollapse.config import base_config


def get_config(arg=None):
    del arg
    c = base_config()
    c.name = "text_collapse"
    c.data.name = "markov_topics"
    c.data.num_topics = 4
    c.data.vocab_size = 16
    c.data.length = 16
    c.data.num_examples = 4000
    c.data.seed = 0
    c.model.name = "lstm"
    c.model.likelihood = "categorical"
    c.model.latent_dim = 4
    c.model.embed_dim = 16
    c.model.hidden = 64
    c.train.steps = 1500
    c.train.log_every = 50
    c.train.eval_examples = 400
    c.hparams.warmup_steps = 1000.0
    c.sweep.context_dropout = (0.0, 0.5, 1.0)
    c.sweep.free_bits = (0.0, 0.25)
    c.sweep.seed = (0, 1, 2)
    c.sweep_static.schedule = ("constant", "linear_warmup")
    c.quick_overrides = (("train.steps", 400), ("sweep.seed", (0,)))
    return c
