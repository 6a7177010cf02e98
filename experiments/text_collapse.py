"""Bowman et al. (2016) text collapse on `markov_topics`, and the remedies that prevent it.

A strong autoregressive decoder, predicting each token from the previous ones, learns to
infer a sequence's topic from its context and so has no use for z: under plain training
KL(q(z|x) ‖ p(z)) falls to ~0 and stays. The remedies: word dropout (``context_dropout``,
which hides context tokens and so weakens the decoder), KL annealing (``schedule``
``linear_warmup``: β rises from 0 to 1 over ``warmup_steps``) and free bits (Kingma et
al. 2016: a minimum KL per latent dim). ``meta['mi_bound']`` = log K (K topics) bounds
what z can carry about the generating topic; summary.md renders reconstructions,
interpolations and prior samples as text.

The default decoder is the causal Transformer (z as a memory slot): it collapses within
the first 100 steps. With ``--config.model.name=lstm`` (Bowman's LSTM decoder) these
data do *not* collapse: the LSTM learns to use z about the topic before it learns to
infer the topic from context (KL ≈ 0.9 nats after 1,000 steps).

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
    c.model.name = "transformer"
    c.model.likelihood = "categorical"
    c.model.latent_dim = 4
    c.model.embed_dim = 16
    c.model.hidden = 64
    c.model.transformer_width = 64
    c.model.transformer_heads = 4
    c.model.transformer_layers = 2
    c.train.steps = 1000
    c.train.log_every = 50
    c.train.eval_examples = 400
    c.hparams.warmup_steps = 500.0
    c.sweep.context_dropout = (0.0, 0.5)
    c.sweep.free_bits = (0.0, 0.25)
    c.sweep.seed = (0, 1, 2)
    c.sweep_static.schedule = ("constant", "linear_warmup")
    c.quick_overrides = (
        ("train.steps", 300),
        ("sweep.seed", (0,)),
        ("hparams.warmup_steps", 150.0),
    )
    return c
