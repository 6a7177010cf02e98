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

from vaecollapse import data

CHECK_BATCH = 2  # the batch the contract is traced with


class OwnDiscriminator(nn.Module):
    """A user's discriminator in the trainer's form: logits ``[B]`` (``[B, 1]`` squeezed)."""

    inner: nn.Module

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.inner(x).reshape(x.shape[0])


def is_own(name: str) -> bool:
    """Whether ``model.generator`` or ``model.discriminator`` names a user's module."""
    return data.is_import_path(name)


def own_generator(config_model: Any, meta: dict[str, Any], dim: int) -> nn.Module:
    """The generator ``config_model.generator`` names, checked: ``z [B, latent_dim]`` →
    samples ``[B, dim]``, parameters only.

    Raises:
      ValueError: one line, ``config.model.generator='…' …``: the path does not resolve,
        the function raised or did not return a flax Module, the module failed on the
        batch, returned another shape, or holds variables other than parameters.
    """
    latent = int(config_model.latent_dim)
    module = _make(config_model, "generator", meta)
    z = jax.ShapeDtypeStruct((CHECK_BATCH, latent), jnp.float32)
    given = f"noise z {_dims(z.shape)} (model.latent_dim={latent})"
    out = _trace(config_model, "generator", module, z, given)
    want = (CHECK_BATCH, dim)
    if not _is_shaped(out) or tuple(out.shape) != want:
        raise ValueError(
            f"{_where(config_model, 'generator')}: the generator must map {given} to samples "
            f"{_dims(want)} (the data's dim {dim}); it returned {_shapes(out)}"
        )
    return module


def own_discriminator(config_model: Any, meta: dict[str, Any], dim: int) -> OwnDiscriminator:
    """The discriminator ``config_model.discriminator`` names, checked: samples
    ``[B, dim]`` → logits ``[B]`` or ``[B, 1]``, parameters only (`own_generator`'s
    errors); in the trainer's form (`OwnDiscriminator`)."""
    module = _make(config_model, "discriminator", meta)
    x = jax.ShapeDtypeStruct((CHECK_BATCH, dim), jnp.float32)
    given = f"samples x {_dims(x.shape)}"
    out = _trace(config_model, "discriminator", module, x, given)
    if not _is_shaped(out) or tuple(out.shape) not in ((CHECK_BATCH,), (CHECK_BATCH, 1)):
        raise ValueError(
            f"{_where(config_model, 'discriminator')}: the discriminator must map {given} to "
            f"one logit each, {_dims((CHECK_BATCH,))} or {_dims((CHECK_BATCH, 1))}; it "
            f"returned {_shapes(out)}"
        )
    return OwnDiscriminator(module)


def _where(config_model: Any, field: str) -> str:
    return f"config.model.{field}={config_model[field]!r}"


def _make(config_model: Any, field: str, meta: dict[str, Any]) -> nn.Module:
    where = _where(config_model, field)
    make = data.resolve_path(config_model[field], f"model.{field}")
    try:
        module = make(config_model, meta)
    except Exception as err:
        raise ValueError(f"{where} raised {type(err).__name__}: {_first_line(err)}") from err
    if not isinstance(module, nn.Module):
        raise ValueError(
            f"{where} must return one flax.linen Module; it returned {type(module).__name__}"
        )
    return module


def _trace(config_model: Any, field: str, module: nn.Module, arg, given: str) -> Any:
    """The module's output on ``arg`` by `jax.eval_shape`, its variables parameters only."""
    where = _where(config_model, field)

    def init(a):
        return module.init_with_output(jax.random.PRNGKey(0), a)

    try:
        out, variables = jax.eval_shape(init, arg)
    except Exception as err:
        raise ValueError(
            f"{where}: the {field} failed on {given}: {type(err).__name__}: {_first_line(err)}"
        ) from err
    extra = sorted(set(variables) - {"params"})
    if extra:
        raise ValueError(
            f"{where}: the {field} holds variables other than parameters ({', '.join(extra)}); "
            "the GAN trainer applies it as apply({'params': ...}, x) (no BatchNorm statistics "
            "or mutable state)"
        )
    return out


def _is_shaped(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype")


def _dims(shape: tuple[int, ...]) -> str:
    return f"[{', '.join(map(str, shape))}]"


def _shapes(value: Any) -> str:
    """What a module returned, in shapes: ``[2, 8]``, ``([2, 8], [2, 8])``, ``a dict``."""
    if _is_shaped(value):
        return _dims(tuple(value.shape))
    if isinstance(value, tuple | list):
        return f"({', '.join(_shapes(v) for v in value)})" if value else "()"
    return f"a {type(value).__name__}"


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [""])[0]
