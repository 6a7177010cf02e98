"""Vector-quantisation bottleneck (VQ-VAE, van den Oord et al. 2017). Architecture only.

The encoder's output z_e ``[B, d]`` is cut into ``groups`` vectors of ``d / groups``
dims, each replaced by its nearest of ``num_codes`` shared codebook vectors, so a code
word carries ``groups · log K`` nats at most. No KL term: with a uniform prior over
codes and a deterministic posterior, KL = groups · log K, a constant.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse.families.vae import objectives


class VectorQuantizer(nn.Module):
    """z_e ``[B, d]`` → ``(z_q [B, d], codebook_loss [B], commitment [B], indices [B, G])``.

    ``z_q`` is the straight-through output (forward z_q, gradient to z_e unchanged);
    the losses are `objectives.vq_losses` summed over groups, the commitment unweighted
    (the trainer multiplies by the swept commitment cost). The codebook is the param
    ``codebook`` ``[num_codes, d / groups]``.
    """

    num_codes: int
    groups: int = 1
    update: str = "loss"  # how the trainer updates the codebook: "loss" or "ema"

    @nn.compact
    def __call__(self, z_e: jax.Array):
        batch, dim = z_e.shape
        codebook = self.param(
            "codebook", nn.initializers.normal(1.0), (self.num_codes, dim // self.groups)
        )
        flat = z_e.reshape(batch * self.groups, dim // self.groups)
        z_q, codebook_loss, commitment, indices = objectives.vq_losses(
            flat, codebook, jnp.float32(1.0)
        )
        per_example = lambda a: a.reshape(batch, self.groups).sum(-1)  # noqa: E731
        return (
            z_q.reshape(batch, dim),
            per_example(codebook_loss),
            per_example(commitment),
            indices.reshape(batch, self.groups),
        )
