"""The VAE: an encoder, a reparameterised sample, a decoder and its likelihood.

Randomness is explicit: callers pass standard-normal noise ``eps``, never a Flax RNG.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse import objectives

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian_learned", "categorical")


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
    """

    encoder: nn.Module
    decoder: nn.Module
    likelihood: str = "bernoulli"
    sigma2: float = 1.0
    autoregressive: bool = False

    def setup(self):
        if self.likelihood == "gaussian_learned":
            self.log_sigma2 = self.param(
                "log_sigma2", nn.initializers.constant(math.log(self.sigma2)), ()
            )

    def encode(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """(μ, log σ²) of q(z|x), each ``[B, d]``."""
        return self.encoder(x)

    def _decoder_log_var(self) -> jax.Array:
        if self.likelihood == "gaussian_learned":
            return self.log_sigma2
        return jnp.float32(math.log(self.sigma2))

    def log_prob(self, x: jax.Array, z: jax.Array, keep: jax.Array | None = None) -> jax.Array:
        """log p(x | z) summed over the data dims: ``[B]`` nats.

        ``keep`` (same leading shape as ``x``) hides context positions from an
        autoregressive decoder (context dropout); ``None`` hides nothing.
        """
        out = self.decoder(z, x, keep)
        if self.likelihood == "bernoulli":
            elementwise = objectives.bernoulli_log_likelihood(out, x)
        elif self.likelihood == "categorical":
            elementwise = objectives.categorical_log_likelihood(out, x.astype(jnp.int32))
        else:
            elementwise = objectives.gaussian_log_likelihood(x, out, self._decoder_log_var())
        return jnp.sum(elementwise.reshape(x.shape[0], -1), axis=-1)

    def decode_mean(self, z: jax.Array, context: jax.Array | None = None) -> jax.Array:
        """E[x | z] per element (Bernoulli probabilities, Gaussian means, or token
        probabilities ``[B, T, V]``); autoregressive decoders condition on ``context``."""
        out = self.decoder(z, context, None)
        if self.likelihood == "bernoulli":
            return jax.nn.sigmoid(out)
        return jax.nn.softmax(out) if self.likelihood == "categorical" else out

    def __call__(self, x: jax.Array, eps: jax.Array, keep: jax.Array | None = None):
        """One reparameterised pass: z = μ + σ·eps.

        Args:
          x: ``[B, *shape]``.  eps: ``[B, d]`` standard-normal noise.
          keep: optional context-dropout mask for autoregressive decoders.

        Returns:
          ``(mean [B, d], log_var [B, d], log p(x|z) [B])``.
        """
        mean, log_var = self.encode(x)
        z = mean + jnp.exp(0.5 * log_var) * eps
        return mean, log_var, self.log_prob(x, z, keep)
