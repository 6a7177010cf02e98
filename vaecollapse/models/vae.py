"""The VAE: an encoder, a reparameterised sample, a decoder and its likelihood.

Randomness is explicit: callers pass standard-normal noise ``eps``, never a Flax RNG.
"""

from __future__ import annotations

import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse import objectives

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian_learned")


class VAE(nn.Module):
    """Gaussian-latent VAE with prior p(z) = N(0, I).

    Attributes:
      encoder: module x ``[B, *shape]`` → (μ, log σ²) ``[B, d]``.
      decoder: module z ``[B, d]`` → output parameters ``[B, *shape]``.
      likelihood: ``bernoulli`` (logits), ``gaussian`` (fixed variance ``sigma2``) or
        ``gaussian_learned`` (one learned log-variance, initialised at log ``sigma2``).
      sigma2: decoder noise variance σ² for the Gaussian likelihoods.
    """

    encoder: nn.Module
    decoder: nn.Module
    likelihood: str = "bernoulli"
    sigma2: float = 1.0

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

    def log_prob(self, x: jax.Array, z: jax.Array) -> jax.Array:
        """log p(x | z) summed over the data dims: ``[B]`` nats."""
        out = self.decoder(z)
        if self.likelihood == "bernoulli":
            elementwise = objectives.bernoulli_log_likelihood(out, x)
        else:
            elementwise = objectives.gaussian_log_likelihood(x, out, self._decoder_log_var())
        return jnp.sum(elementwise.reshape(x.shape[0], -1), axis=-1)

    def decode_mean(self, z: jax.Array) -> jax.Array:
        """E[x | z], ``[B, *shape]`` (Bernoulli probabilities or Gaussian means)."""
        out = self.decoder(z)
        return jax.nn.sigmoid(out) if self.likelihood == "bernoulli" else out

    def __call__(self, x: jax.Array, eps: jax.Array):
        """One reparameterised pass: z = μ + σ·eps.

        Args:
          x: ``[B, *shape]``.  eps: ``[B, d]`` standard-normal noise.

        Returns:
          ``(mean [B, d], log_var [B, d], log p(x|z) [B])``.
        """
        mean, log_var = self.encode(x)
        z = mean + jnp.exp(0.5 * log_var) * eps
        return mean, log_var, self.log_prob(x, z)
