"""Causal Transformer language-model decoder with z as a memory slot. Architecture only.

The sequence the decoder attends over is ``[m(z), e(BOS), e(x_0), …, e(x_{T−2})]`` with
m(z) a learned projection of z and e(·) token plus position embeddings; slot t + 1
predicts token t and, under the causal mask, reads z and the tokens before t only.
Pre-layer-norm blocks (Xiong et al. 2020) of causal self-attention (Vaswani et al. 2017)
and a ReLU MLP. Word dropout as in the LSTM decoder: where ``keep[:, t]`` is False,
token t is replaced by UNK as context (Bowman et al. 2016).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse.families.vae.models.decoders import previous_tokens


class TransformerDecoder(nn.Module):
    """z ``[B, d]``, context tokens ``[B, T]`` → logits ``[B, T, vocab_size]``."""

    vocab_size: int
    width: int = 64
    layers: int = 2
    heads: int = 4

    @nn.compact
    def __call__(self, z: jax.Array, context: jax.Array, keep: jax.Array | None) -> jax.Array:
        batch, length = context.shape
        previous = previous_tokens(context, keep, self.vocab_size)
        tokens = nn.Embed(self.vocab_size + 2, self.width)(previous)
        positions = self.param("positions", nn.initializers.normal(0.02), (length + 1, self.width))
        h = jnp.concatenate([nn.Dense(self.width)(z)[:, None, :], tokens], axis=1) + positions
        mask = nn.make_causal_mask(jnp.ones((batch, length + 1)))
        for _ in range(self.layers):
            h = h + nn.MultiHeadDotProductAttention(self.heads)(nn.LayerNorm()(h), mask=mask)
            mlp = nn.Dense(4 * self.width)(nn.LayerNorm()(h))
            h = h + nn.Dense(self.width)(nn.relu(mlp))
        return nn.Dense(self.vocab_size)(nn.LayerNorm()(h[:, 1:]))
