"""The VAE: an encoder, a reparameterised sample, a decoder and its likelihood.

Randomness is explicit: callers pass standard-normal noise ``eps``, never a Flax RNG.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse.families.vae import choices, objectives

LIKELIHOODS = choices.LIKELIHOODS


def cast_floating(tree: Any, dtype: Any) -> Any:
    """``tree`` with its floating-point leaves cast to ``dtype`` (integers, e.g. tokens,
    and None left alone)."""
    return jax.tree_util.tree_map(
        lambda a: a.astype(dtype) if jnp.issubdtype(jnp.result_type(a), jnp.floating) else a,
        tree,
    )


class VQOutput(NamedTuple):
    """One VQ-VAE pass (`VAE.vq_forward`), ``B`` inputs, ``d`` latent dims."""

    z_e: jax.Array  # [B, d] encoder output
    z_q: jax.Array  # [B, d] its code words (straight-through gradient to z_e)
    log_px: jax.Array  # [B] log p(x | z_q), nats
    codebook_loss: jax.Array  # [B] ‖sg(z_e) − e‖² (van den Oord et al. 2017)
    commitment: jax.Array  # [B] ‖z_e − sg(e)‖²
    indices: jax.Array  # int32 [B, groups] code indices


class VAE(nn.Module):
    """Gaussian-latent VAE with prior p(z) = N(0, I).

    Attributes:
      encoder: module x ``[B, *shape]`` → (μ, log σ²) ``[B, d]``.
      decoder: module z ``[B, d]`` → output parameters ``[B, *shape]``.
      likelihood: ``bernoulli`` (logits), ``gaussian`` (fixed variance ``sigma2``),
        ``gaussian_learned`` (one learned log-variance, initialised at log ``sigma2``) or
        ``categorical`` (logits over tokens).
      sigma2: decoder noise variance σ² for the Gaussian likelihoods.
      autoregressive: the decoder reads the data as context (teacher forcing).
      quantizer: a `vq.VectorQuantizer` makes a VQ-VAE: z is the quantised encoder mean
        (`vq_forward`), log σ² is unused. None: the Gaussian posterior.
      dtype: compute dtype of the networks: their floating inputs (x, z, context) are cast
        to it and their outputs back to float32, so likelihoods, KL and losses are float32.
        With bfloat16, pass parameters cast to bfloat16 too (`cast_floating`) for
        bfloat16 matmuls (mixed precision, Micikevicius et al. 2018); float32 parameters
        promote the computation back to float32.
      posterior: ``gaussian``, or a Gaussian posterior constrained so that its KL cannot
        vanish: ``bn`` (BN-VAE, Zhu et al. 2020: μ batch-normalised to a fixed scale γ,
        `objectives.bn_mean`) or ``delta`` (δ-VAE, Razavi et al. 2019: σ² bounded by
        x_l(δ), `objectives.delta_log_var`); γ or δ is the ``strength`` that `encode`
        and `__call__` take (a swept hyperparameter).
      num_classes: > 0 makes a conditional VAE (Sohn et al. 2015): q(z|x, y) and
        p(x|z, y), the label y entering both through one learned embedding (the encoder
        head reads it beside its features, the decoder beside z); 0: unconditional,
        labels ignored.
    """

    encoder: nn.Module
    decoder: nn.Module
    likelihood: str = "bernoulli"
    sigma2: float = 1.0
    autoregressive: bool = False
    num_classes: int = 0
    label_dim: int = 16
    quantizer: nn.Module | None = None
    dtype: Any = jnp.float32
    posterior: str = "gaussian"

    def setup(self):
        if self.likelihood == "gaussian_learned":
            self.log_sigma2 = self.param(
                "log_sigma2", nn.initializers.constant(math.log(self.sigma2)), ()
            )
        if self.num_classes:
            self.label_embed = nn.Embed(self.num_classes, self.label_dim)
        if self.posterior == "bn":
            self.bn_shift = self.param("bn_shift", nn.initializers.zeros, (self.latent_dim,))

    def _condition(self, label: jax.Array | None) -> jax.Array | None:
        """The label's embedding ``[B, label_dim]`` for a CVAE, else None."""
        return self.label_embed(label) if self.num_classes else None

    def _decoder_input(self, z: jax.Array, label: jax.Array | None) -> jax.Array:
        cond = self._condition(label)
        return z if cond is None else jnp.concatenate([z, cond], axis=-1)

    def _decode(self, z, context, keep, label) -> jax.Array:
        """The decoder's output parameters in float32, computed in ``self.dtype``."""
        inputs = cast_floating((self._decoder_input(z, label), context), self.dtype)
        return self.decoder(*inputs, keep).astype(jnp.float32)

    def encode(
        self,
        x: jax.Array,
        label: jax.Array | None = None,
        strength: jax.Array | None = None,
    ) -> tuple[jax.Array, jax.Array]:
        """(μ, log σ²) of q(z|x) (q(z|x, y) for a CVAE), each ``[B, d]``; a constrained
        ``posterior`` applies γ or δ = ``strength`` (BN-VAE: over the batch ``x``)."""
        mean, log_var = self.encoder(cast_floating(x, self.dtype), self._condition(label))
        mean, log_var = cast_floating((mean, log_var), jnp.float32)
        if self.posterior == "gaussian":
            return mean, log_var
        if strength is None:
            raise ValueError(f"posterior={self.posterior!r} needs its strength (γ or δ)")
        if self.posterior == "bn":
            return objectives.bn_mean(mean, strength, self.bn_shift), log_var
        return mean, objectives.delta_log_var(log_var, strength)

    @property
    def latent_dim(self) -> int:
        """d, read from the encoder."""
        return self.encoder.latent_dim

    def _decoder_log_var(self) -> jax.Array:
        if self.likelihood == "gaussian_learned":
            return self.log_sigma2.astype(jnp.float32)
        return jnp.float32(math.log(self.sigma2))

    def log_prob(
        self,
        x: jax.Array,
        z: jax.Array,
        keep: jax.Array | None = None,
        label: jax.Array | None = None,
    ) -> jax.Array:
        """log p(x | z) (log p(x | z, y) for a CVAE) summed over the data dims: ``[B]`` nats.

        ``keep`` (same leading shape as ``x``) hides context positions from an
        autoregressive decoder (context dropout); ``None`` hides nothing.
        """
        out = self._decode(z, x, keep, label)
        if self.likelihood == "bernoulli":
            elementwise = objectives.bernoulli_log_likelihood(out, x)
        elif self.likelihood == "categorical":
            elementwise = objectives.categorical_log_likelihood(out, x.astype(jnp.int32))
        else:
            elementwise = objectives.gaussian_log_likelihood(x, out, self._decoder_log_var())
        return jnp.sum(elementwise.reshape(x.shape[0], -1), axis=-1)

    def decode_mean(
        self, z: jax.Array, context: jax.Array | None = None, label: jax.Array | None = None
    ) -> jax.Array:
        """E[x | z] per element (Bernoulli probabilities, Gaussian means, or token
        probabilities ``[B, T, V]``); autoregressive decoders condition on ``context``."""
        out = self._decode(z, context, None, label)
        if self.likelihood == "bernoulli":
            return jax.nn.sigmoid(out)
        return jax.nn.softmax(out) if self.likelihood == "categorical" else out

    def sample_step(
        self,
        z: jax.Array,
        context: jax.Array,
        noise: jax.Array,
        label: jax.Array | None = None,
    ) -> tuple[jax.Array, jax.Array]:
        """Draw every element of x from p(x_i | z, context_<i) with the given noise.

        ``noise``: uniform ``[B, *shape]`` (Bernoulli: x_i = [u_i < p_i]), Gumbel
        ``[B, T, V]`` (categorical: x_i = argmax(log p_i + g_i)) or standard normal
        (Gaussian: x_i = μ_i + σ·n_i). Returns ``(draw, E[x_i | z, context_<i])``; looping
        it over positions is ancestral sampling (`vaecollapse.families.vae.sampling`).
        """
        mean = self.decode_mean(z, context, label)
        if self.likelihood == "bernoulli":
            return (noise < mean).astype(jnp.float32), mean
        if self.likelihood == "categorical":
            return jnp.argmax(jnp.log(mean + 1e-30) + noise, axis=-1).astype(jnp.int32), mean
        return mean + jnp.exp(0.5 * self._decoder_log_var()) * noise, mean

    def vq_forward(
        self, x: jax.Array, keep: jax.Array | None = None, label: jax.Array | None = None
    ) -> VQOutput:
        """One VQ-VAE pass: z = quantise(μ(x)) (straight-through); see `VQOutput`."""
        z_e, _ = self.encode(x, label)
        z_q, codebook_loss, commitment, indices = self.quantizer(z_e)
        log_px = self.log_prob(x, z_q, keep, label)
        return VQOutput(z_e, z_q, log_px, codebook_loss, commitment, indices)

    def __call__(
        self,
        x: jax.Array,
        eps: jax.Array,
        keep: jax.Array | None = None,
        label: jax.Array | None = None,
        strength: jax.Array | None = None,
    ):
        """One reparameterised pass: z = μ + σ·eps.

        Args:
          x: ``[B, *shape]``.  eps: ``[B, d]`` standard-normal noise.
          keep: optional context-dropout mask for autoregressive decoders.
          label: int ``[B]`` condition of a CVAE (ignored otherwise).
          strength: γ or δ of a constrained ``posterior`` (`encode`).

        Returns:
          ``(mean [B, d], log_var [B, d], log p(x|z) [B])``.
        """
        mean, log_var = self.encode(x, label, strength)
        if self.quantizer is not None:  # initialisation creates the codebook
            self.quantizer(mean)
        z = mean + jnp.exp(0.5 * log_var) * eps
        return mean, log_var, self.log_prob(x, z, keep, label)
