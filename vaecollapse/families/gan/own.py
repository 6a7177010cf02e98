"""A user's own GAN generator and discriminator, named by import path (issue 39).

``config.model.generator = "package.module:make_g"`` and ``config.model.discriminator =
"package.module:make_d"`` (default ``""``: the package's MLPs, `networks.Generator` and
`networks.Discriminator`) each name ``make(config.model, meta) -> flax.linen.Module``:

- the generator maps noise ``z [B, latent_dim]`` (standard normal) to samples ``[B, D]``,
  D the data's dim (``meta["shape"] == (D,)``; 2 for ``ring`` and ``grid``);
- the discriminator maps samples ``[B, D]`` to one logit each, ``[B]`` or ``[B, 1]``. It
  judges single samples: PacGAN's ``pack`` > 1, ``spectral_norm`` and ``minibatch_std``
  act on the package's discriminator only (`gan.config.check_point` refuses them beside a
  user's). R1, the gradient penalty, ``d_steps`` and ``unroll`` act on either.

Either may be the package's beside the other a user's. The config file's folder and the
current directory are importable (`vaecollapse.data.resolve_path`). Each module is
applied as ``module.apply({"params": params}, x)``: parameters only (no ``BatchNorm``
statistics, dropout RNG or other mutable collections). `own_generator` and
`own_discriminator` check the contract by `jax.eval_shape` on a batch of `CHECK_BATCH`
(shapes only: nothing runs or compiles), each failure one line.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse import own

CHECK_BATCH = own.CHECK_BATCH
PARAMS_ONLY = (
    "the GAN trainer applies it as apply({'params': ...}, x) (no BatchNorm statistics "
    "or mutable state)"
)


class OwnDiscriminator(nn.Module):
    """A user's discriminator in the trainer's form: logits ``[B]`` (``[B, 1]`` squeezed)."""

    inner: nn.Module

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.inner(x).reshape(x.shape[0])


def own_generator(config_model: Any, meta: dict[str, Any], dim: int) -> nn.Module:
    """The generator ``config_model.generator`` names, checked: ``z [B, latent_dim]`` →
    samples ``[B, dim]``, parameters only.

    Raises:
      ValueError: one line, ``config.model.generator='…' …``: the path does not resolve,
        the function raised or did not return a flax Module, the module failed on the
        batch, returned another shape, or holds variables other than parameters.
    """
    latent = int(config_model.latent_dim)
    module = own.make_module(config_model, "generator", meta)
    z = jax.ShapeDtypeStruct((CHECK_BATCH, latent), jnp.float32)
    given = f"noise z {own.dims(z.shape)} (model.latent_dim={latent})"
    out = own.trace(
        own.where(config_model, "generator"), "generator", module, (z,), given, PARAMS_ONLY
    )
    want = (CHECK_BATCH, dim)
    if not own.is_shaped(out) or tuple(out.shape) != want:
        raise ValueError(
            f"{own.where(config_model, 'generator')}: the generator must map {given} to samples "
            f"{own.dims(want)} (the data's dim {dim}); it returned {own.shapes(out)}"
        )
    return module


def own_discriminator(config_model: Any, meta: dict[str, Any], dim: int) -> OwnDiscriminator:
    """The discriminator ``config_model.discriminator`` names, checked: samples
    ``[B, dim]`` → logits ``[B]`` or ``[B, 1]``, parameters only (`own_generator`'s
    errors); in the trainer's form (`OwnDiscriminator`)."""
    module = own.make_module(config_model, "discriminator", meta)
    x = jax.ShapeDtypeStruct((CHECK_BATCH, dim), jnp.float32)
    given = f"samples x {own.dims(x.shape)}"
    out = own.trace(
        own.where(config_model, "discriminator"), "discriminator", module, (x,), given, PARAMS_ONLY
    )
    if not own.is_shaped(out) or tuple(out.shape) not in ((CHECK_BATCH,), (CHECK_BATCH, 1)):
        raise ValueError(
            f"{own.where(config_model, 'discriminator')}: the discriminator must map {given} to "
            f"one logit each, {own.dims((CHECK_BATCH,))} or {own.dims((CHECK_BATCH, 1))}; it "
            f"returned {own.shapes(out)}"
        )
    return OwnDiscriminator(module)
