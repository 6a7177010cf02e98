"""Your own SSL encoder and predictor, in plain Flax: the functions
``config.model.encoder = "ssl_models:make_encoder"`` and ``config.model.predictor =
"ssl_models:make_predictor"`` name. Nothing here imports vaecollapse.

The contract (`vaecollapse` checks it with `jax.eval_shape` before anything trains):

- ``make_encoder(config_model, meta)`` -> one ``flax.linen`` Module mapping a batch
  ``[B, *meta["shape"]]`` to embeddings ``[B, latent_dim]``;
- ``make_predictor(config_model, meta)`` (SimSiam, BYOL) -> one Module mapping
  ``[B, latent_dim]`` to ``[B, latent_dim]``;
- parameters only: batch statistics are the batch's own, computed in the forward pass
  (`batch_norm` below) — ``nn.BatchNorm``'s running averages are refused.
"""

from __future__ import annotations

import flax.linen as nn
import jax


def batch_norm(h, eps=1e-5):
    """Normalise each feature by the batch's own mean and variance (no running averages,
    no learned scale): SimSiam's ``BatchNorm1d(affine=False)`` in training mode."""
    return (h - h.mean(0)) * jax.lax.rsqrt(h.var(0) + eps)


class Encoder(nn.Module):
    """Flattened pixels -> (Dense -> batch norm -> ReLU) twice -> Dense -> batch norm."""

    width: int
    latent_dim: int

    @nn.compact
    def __call__(self, x):
        h = x.reshape(x.shape[0], -1)
        for _ in range(2):
            h = nn.relu(batch_norm(nn.Dense(self.width)(h)))
        return batch_norm(nn.Dense(self.latent_dim)(h))


class Predictor(nn.Module):
    """A bottleneck MLP z -> d/2 -> d (Chen & He 2021)."""

    latent_dim: int

    @nn.compact
    def __call__(self, z):
        h = nn.relu(nn.LayerNorm()(nn.Dense(max(1, self.latent_dim // 2))(z)))
        return nn.Dense(self.latent_dim)(h)


def make_encoder(config_model, meta):
    return Encoder(
        width=int(config_model.get("width", 256)), latent_dim=int(config_model.latent_dim)
    )


def make_predictor(config_model, meta):
    return Predictor(latent_dim=int(config_model.latent_dim))
