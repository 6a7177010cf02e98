"""The GAN family's losses and penalties, in JAX, for a discriminator on packs.

A *critic* is the discriminator with its parameters bound, packs ``[B, 2·pack]`` →
logits ``[B]`` (`gan.networks`); every loss is a mean over the packs of a batch.

Losses (``config.model.gan_loss``, `discriminator_loss` and `generator_loss`):

- ``"ns"``, the non-saturating loss (Goodfellow et al. 2014, "Generative Adversarial
  Nets"): D minimises softplus(−D(x)) + softplus(D(G(z))), G minimises
  softplus(−D(G(z)));
- ``"wgan"``, the Wasserstein critic (Arjovsky et al. 2017, "Wasserstein GAN"): D
  minimises D(G(z)) − D(x), G minimises −D(G(z)). Nothing here clips the weights: use it
  with the gradient penalty or spectral norm (`gan.networks`).

Penalties on D (swept weights, ``hparams``; `discriminator_objective` adds each one
whose weight is given):

- R1 (Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?"):
  γ/2 · E‖∇ₓD(x)‖² on real packs, γ = ``r1_gamma`` (`r1_penalty`);
- the gradient penalty (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs"):
  λ · E(‖∇D(x̂)‖ − 1)² at x̂ = εx + (1 − ε)G(z), ε ~ U(0, 1) per pack, λ = ``gp_lambda``
  (`gradient_penalty`).

Unrolling (``config.model.unroll``; Metz et al. 2017, "Unrolled Generative Adversarial
Networks"): the generator's loss is taken against D after that many further D updates,
differentiated through them (`unrolled`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

Critic = Callable[[jax.Array], jax.Array]  # packs [B, 2·pack] → logits [B]


def discriminator_loss(kind: str, d_real: jax.Array, d_fake: jax.Array) -> jax.Array:
    """D's loss of ``kind`` (``"ns"`` or ``"wgan"``) from its logits on real and
    generated packs."""
    if kind == "ns":
        return jnp.mean(jax.nn.softplus(-d_real)) + jnp.mean(jax.nn.softplus(d_fake))
    return jnp.mean(d_fake) - jnp.mean(d_real)


def generator_loss(kind: str, d_fake: jax.Array) -> jax.Array:
    """G's loss of ``kind`` (``"ns"`` or ``"wgan"``) from D's logits on generated packs."""
    if kind == "ns":
        return jnp.mean(jax.nn.softplus(-d_fake))
    return -jnp.mean(d_fake)


def input_grad_sq(critic: Critic, packs: jax.Array) -> jax.Array:
    """``[B]`` ‖∇ₓD(x)‖² at each pack x."""
    g = jax.grad(lambda p: jnp.sum(critic(p)))(packs)
    return jnp.sum(g * g, axis=-1)


def r1_penalty(critic: Critic, real_packs: jax.Array, gamma: jax.Array) -> jax.Array:
    """R1: γ/2 · E‖∇ₓD(x)‖² over the real packs."""
    return 0.5 * gamma * jnp.mean(input_grad_sq(critic, real_packs))


def gradient_penalty(
    critic: Critic, real_packs: jax.Array, fake_packs: jax.Array, lam: jax.Array, key: jax.Array
) -> jax.Array:
    """λ · E(‖∇D(x̂)‖ − 1)² at x̂ = εx + (1 − ε)G(z), one ε ~ U(0, 1) per pack."""
    eps = jax.random.uniform(key, (real_packs.shape[0], 1))
    mixed = eps * real_packs + (1 - eps) * fake_packs
    norm = jnp.sqrt(input_grad_sq(critic, mixed) + 1e-12)
    return lam * jnp.mean((norm - 1.0) ** 2)


def discriminator_objective(
    critic: Critic,
    real_packs: jax.Array,
    fake_packs: jax.Array,
    kind: str,
    key: jax.Array,
    r1_gamma: jax.Array | None = None,
    gp_lambda: jax.Array | None = None,
) -> jax.Array:
    """D's loss of ``kind`` plus R1 when ``r1_gamma`` is given and the gradient penalty
    (drawing its ε from ``key``) when ``gp_lambda`` is: None leaves a penalty's double
    backward pass out of the compiled program."""
    loss = discriminator_loss(kind, critic(real_packs), critic(fake_packs))
    if r1_gamma is not None:
        loss = loss + r1_penalty(critic, real_packs, r1_gamma)
    if gp_lambda is not None:
        loss = loss + gradient_penalty(critic, real_packs, fake_packs, gp_lambda, key)
    return loss


def unrolled(
    d_params: Any,
    d_opt: Any,
    d_update: Callable[[Any, Any, jax.Array], tuple[Any, Any]],
    steps: int,
    key: jax.Array,
) -> Any:
    """D's parameters after ``steps`` further updates ``d_update(d_params, d_opt,
    fold_in(key, i))`` → ``(d_params, d_opt)``, i = 0 … steps − 1, differentiable through
    them (Metz et al. 2017's look-ahead); ``d_params`` itself when ``steps`` is 0."""
    for i in range(steps):
        d_params, d_opt = d_update(d_params, d_opt, jax.random.fold_in(key, i))
    return d_params
