"""Bowman et al. (2016): a VAE language model collapses; KL warm-up and word dropout prevent it.

Data: `lstm_mixture`, He et al.'s (2019) synthetic text — 20,000 sentences of 10 tokens
(vocabulary 1,000) from a randomly initialised LSTM language model driven by a 2-d z drawn
from a mixture of four Gaussians: z shapes every sentence, so a collapsed posterior is
the model's failure, not the data's. Decoders (static axis ``name``): Bowman's LSTM and
a causal Transformer (z as a memory slot), both with a bidirectional-LSTM encoder.
Remedies: KL warm-up (``schedule`` ``linear_warmup``: β rises from 0 to 1 over the first
half) and word dropout (``context_dropout`` 0.5: the decoder's context tokens are hidden
with that probability). Under plain training (constant β = 1, no word dropout) both
decoders learn the language from context alone and KL(q(z|x) ‖ p(z)) falls to ~0;
summary.md renders reconstructions, interpolations and prior samples as text.

    vaecollapse run experiments/text_collapse.py --workdir runs/text_collapse
    vaecollapse run experiments/text_collapse.py --workdir /tmp/tc --config.quick=True
"""

from vaecollapse.families.vae.config import lstm_text


def get_config(arg=None):
    del arg
    c = lstm_text()
    c.name = "text_collapse"
    c.model.transformer_width = 64
    c.model.transformer_heads = 4
    c.model.transformer_layers = 2
    c.sweep.context_dropout = (0.0, 0.5)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.sweep_static.name = ("lstm", "transformer")
    c.sweep_static.schedule = ("constant", "linear_warmup")
    c.quick_overrides = (  # the LSTM needs the full 4,000 steps to collapse in every seed
        ("sweep.seed", (0, 1)),
        ("sweep_static.name", ("lstm",)),
    )
    return c
