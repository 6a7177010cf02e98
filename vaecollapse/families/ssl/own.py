"""A user's own SSL encoder and predictor, named by import path (issue 39).

``config.model.encoder = "package.module:make"`` (a name with a colon) names
``make(config.model, meta) -> flax.linen.Module``, an encoder mapping a batch
``[B, *shape]`` (the data's shape, ``meta["shape"]``) to embeddings ``[B, latent_dim]``;
``config.model.predictor = "package.module:make_predictor"`` (default ``""``: the
package's `networks.Predictor`) names a function of the same form whose module maps
``[B, latent_dim]`` to ``[B, latent_dim]`` (SimSiam and BYOL; the other objectives have
no predictor). The config file's folder and the current directory are importable
(`vaecollapse.data.resolve_path`).

The trainer applies each module as ``module.apply({"params": params}, x)``: a module
holds parameters only. Batch statistics are the batch's own mean and variance, computed
in the forward pass with no running averages (as `networks.Norm` ``"batch"``, which a
user's module may import); ``nn.BatchNorm`` keeps ``batch_stats`` and is refused, as is
any other mutable collection or an RNG stream such as dropout's.

`own_encoder` and `own_predictor` check the contract by `jax.eval_shape` on a batch of
`CHECK_BATCH` (shapes only: nothing runs or compiles), each failure one line.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse import own

CHECK_BATCH = own.CHECK_BATCH
NORM_HINT = (
    "the SSL trainer applies it as apply({'params': ...}, x): normalise by the batch's own "
    "statistics without running averages (vaecollapse.families.ssl.networks.Norm('batch')) "
    "or use LayerNorm"
)


class OwnEncoder(nn.Module):
    """A user's encoder in the trainer's form: the flat batch ``[B, prod(shape)]`` the
    trainer holds, reshaped to ``[B, *shape]``, through ``inner``."""

    inner: nn.Module
    shape: tuple[int, ...]

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.inner(x.reshape(x.shape[0], *self.shape))


def own_encoder(config_model: Any, meta: dict[str, Any], shape: tuple[int, ...]) -> OwnEncoder:
    """The encoder ``config_model.encoder`` names, checked: ``[B, *shape]`` float32 →
    ``[B, latent_dim]``, parameters only; in the trainer's form (`OwnEncoder`).

    Raises:
      ValueError: one line, ``config.model.encoder='…' …``: the path does not resolve, the
        function raised or did not return a flax Module, the module failed on the batch,
        returned another shape, or holds variables other than parameters.
    """
    latent = int(config_model.latent_dim)
    module = own.make_module(config_model, "encoder", meta)
    x = jax.ShapeDtypeStruct((CHECK_BATCH, *shape), jnp.float32)
    _check(config_model, "encoder", module, x, f"a batch x {own.dims(x.shape)} float32", latent)
    return OwnEncoder(module, tuple(shape))


def own_predictor(config_model: Any, meta: dict[str, Any]) -> nn.Module:
    """The predictor ``config_model.predictor`` names, checked: ``[B, latent_dim]`` →
    ``[B, latent_dim]``, parameters only (`own_encoder`'s errors)."""
    latent = int(config_model.latent_dim)
    module = own.make_module(config_model, "predictor", meta)
    z = jax.ShapeDtypeStruct((CHECK_BATCH, latent), jnp.float32)
    _check(config_model, "predictor", module, z, f"embeddings z {own.dims(z.shape)}", latent)
    return module


def _check(config_model: Any, field: str, module: nn.Module, arg, given: str, latent: int):
    """``module`` maps ``arg`` (``given``, in words) to ``[CHECK_BATCH, latent]``."""
    out = own.trace(own.where(config_model, field), field, module, (arg,), given, NORM_HINT)
    want = (CHECK_BATCH, latent)
    if not own.is_shaped(out) or tuple(out.shape) != want:
        raise ValueError(
            f"{own.where(config_model, field)}: the {field} must map {given} to embeddings "
            f"{own.dims(want)} (model.latent_dim={latent}); it returned {own.shapes(out)}"
        )
