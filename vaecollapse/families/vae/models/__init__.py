"""`build(config.model, data_meta)`: the model `choices.MODELS` names, or a user's own
named by import path (`own_pair`, its contract checked by `check_own`), as a `VAE`."""

from __future__ import annotations

import inspect
import math
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from vaecollapse import data, own, registry
from vaecollapse.families.vae import choices
from vaecollapse.families.vae.models.vae import LIKELIHOODS, VAE
from vaecollapse.families.vae.models.vq import VectorQuantizer

NAMES = tuple(choices.MODELS)
AUTOREGRESSIVE = registry.names(choices.MODELS, autoregressive=True)
IMAGE_ONLY = registry.names(choices.MODELS, image_only=True)
TOKEN_MODELS = registry.names(choices.MODELS, tokens=True)
CHECK_BATCH = own.CHECK_BATCH  # the batch `check_own` traces the user's modules with
LABEL_DIM = VAE.label_dim  # a CVAE's label embedding, beside z at the decoder's input

__all__ = ["LIKELIHOODS", "NAMES", "VAE", "build", "check_own", "own_pair"]


def build(config: Any, data_meta: dict[str, Any]) -> VAE:
    """Build the VAE ``config.name`` names (`choices.MODELS`) for data of shape
    ``data_meta['shape']``.

    Its encoder and decoder come from the name's target in `models.architectures`
    (each documents the fields it reads), or, for a name holding a colon, from the user's
    function that import path names (`own_pair`); every model reads ``latent_dim``,
    ``likelihood``, ``sigma2``; ``bottleneck``: ``gaussian``, ``vq`` (VQ-VAE:
    ``num_codes``, ``code_groups``, ``codebook_update``), ``bn`` (BN-VAE) or ``delta``
    (δ-VAE) (`VAE.posterior`); ``conditional``: a CVAE on the
    data's labels (``data_meta['num_classes']``); ``compute_dtype``: dtype the networks
    compute in (`VAE.dtype`). Image-only models (``conv``, ``pixelcnn``) need
    ``[H, W, C]`` data with H and W divisible by ``2**len(conv_features)``; token models
    (``lstm``, ``transformer``) need ``data_meta['vocab_size']``.

    Raises:
      ValueError: an unknown name (naming the allowed ones), an image-only model on data
        of the wrong shape, a CVAE on unlabelled data, or a model by path that breaks
        its contract (`check_own`).
    """
    if data.is_import_path(config.name):
        encoder, decoder, autoregressive = own_pair(config, data_meta)
    else:
        entry = registry.lookup(choices.MODELS, config.name, f"model.name={config.name!r}")
        if entry.image_only:
            shape = tuple(data_meta["shape"])
            scale = 2 ** len(config.conv_features)
            if len(shape) != 3 or shape[0] % scale or shape[1] % scale:
                raise ValueError(
                    f"model.name={config.name!r} needs images [H, W, C] with H and W divisible"
                    f" by 2**len(model.conv_features)={scale}; the data's shape is {shape}"
                )
        encoder, decoder = entry.load()(config, data_meta)
        autoregressive = entry.autoregressive
    num_classes = 0
    if config.conditional:
        num_classes = data_meta.get("num_classes") or 0
        if not num_classes:
            raise ValueError(
                "model.conditional=True is invalid for these data: a CVAE needs labels, "
                f"and data {data_meta.get('name')!r} has none"
            )
    quantizer = None
    if config.bottleneck == "vq":
        quantizer = VectorQuantizer(config.num_codes, config.code_groups, config.codebook_update)
    return VAE(
        encoder,
        decoder,
        likelihood=config.likelihood,
        sigma2=float(config.sigma2),
        autoregressive=autoregressive,
        num_classes=num_classes,
        quantizer=quantizer,
        dtype=jnp.dtype(config.compute_dtype),
        posterior=config.bottleneck if config.bottleneck in ("bn", "delta") else "gaussian",
    )


class OwnEncoder(nn.Module):
    """A user's encoder in the package's form ``encoder(x, cond)``: ``inner(x)``, or
    ``inner(x, cond)`` for a CVAE; (μ, log σ²) ``[B, latent_dim]`` each."""

    inner: nn.Module
    latent_dim: int

    def __call__(self, x: jax.Array, cond: jax.Array | None = None):
        mean, log_var = self.inner(x) if cond is None else self.inner(x, cond)
        return mean, log_var


class OwnDecoder(nn.Module):
    """A user's decoder in the package's form ``decoder(z, context, keep)``: ``inner(z)``
    (factorised), ``inner(z, x)`` or ``inner(z, x, keep)`` (autoregressive: ``takes_keep``),
    its output (``[B, *shape]`` or flat) reshaped to ``[B, *shape]``."""

    inner: nn.Module
    shape: tuple[int, ...]
    autoregressive: bool = False
    takes_keep: bool = False

    def __call__(self, z: jax.Array, context=None, keep=None) -> jax.Array:
        if not self.autoregressive:
            out = self.inner(z)
        elif self.takes_keep:
            out = self.inner(z, context, keep)
        else:
            out = self.inner(z, context)
        return out.reshape(z.shape[0], *self.shape)


def own_pair(config: Any, data_meta: dict[str, Any]) -> tuple[OwnEncoder, OwnDecoder, bool]:
    """The user's function ``config.name`` names (``"package.module:make"``, the current
    directory and the config file's folder importable), called as ``make(config,
    data_meta) -> (encoder, decoder)``, its pair checked (`check_own`) and wrapped in the
    package's call forms (`OwnEncoder`, `OwnDecoder`); with whether it is autoregressive.

    The function's attributes say what `choices.ModelEntry` says of a built-in model:
    ``make.tokens = True`` (a model of token data, only of those), ``make.image_only =
    True`` (needs ``[H, W, C]`` data), ``make.autoregressive = True`` (the decoder is
    called ``decoder(z, x)``, or ``decoder(z, x, keep)`` when its ``__call__`` has a
    ``keep`` parameter); without them a model is factorised and not a token model.
    """
    where = f"config.model.name={config.name!r}"
    make = data.resolve_path(config.name, "model.name")
    tokens = bool(getattr(make, "tokens", False))
    autoregressive = bool(getattr(make, "autoregressive", False))
    kind, shape = data_meta.get("kind"), tuple(data_meta["shape"])
    if kind is not None and (kind == "tokens") != tokens:
        raise ValueError(
            f"{where} is a {'token' if tokens else 'non-token'} model and the data's kind is "
            f"{kind!r} (set make.tokens = True for a model of token data)"
        )
    if (config.likelihood == "categorical") != (kind == "tokens" or tokens):
        raise ValueError(
            f"config.model.likelihood={config.likelihood!r} is invalid: use 'categorical' for "
            "token data, only there"
        )
    if getattr(make, "image_only", False) and len(shape) != 3:
        raise ValueError(f"{where} needs images [H, W, C] (make.image_only); the data are {shape}")
    low, high = data_meta.get("value_range", (0.0, 1.0))
    if config.likelihood == "bernoulli" and (low < 0 or high > 1):
        raise ValueError(
            f"config.model.likelihood='bernoulli' is invalid for data in [{low:g}, {high:g}]: "
            "it needs values in [0, 1]; use 'gaussian' or 'gaussian_learned'"
        )
    try:
        pair = make(config, data_meta)
    except Exception as err:
        raise ValueError(f"{where} raised {type(err).__name__}: {own.first_line(err)}") from err
    if not (
        isinstance(pair, tuple | list)
        and len(pair) == 2
        and all(isinstance(m, nn.Module) for m in pair)
    ):
        got = type(pair).__name__
        if isinstance(pair, tuple | list):
            got = f"{got} of ({', '.join(type(m).__name__ for m in pair)})"
        raise ValueError(
            f"{where} must return (encoder, decoder), two flax.linen Modules; it returned {got}"
        )
    encoder, decoder = pair
    takes_keep = autoregressive and "keep" in inspect.signature(type(decoder).__call__).parameters
    check_own(config, data_meta, encoder, decoder, autoregressive, takes_keep)
    return (
        OwnEncoder(encoder, int(config.latent_dim)),
        OwnDecoder(decoder, output_shape(config, data_meta), autoregressive, takes_keep),
        autoregressive,
    )


def output_shape(config: Any, data_meta: dict[str, Any]) -> tuple[int, ...]:
    """The decoder's output per example: the data's shape, with the vocabulary last for a
    categorical likelihood (logits ``[*shape, vocab_size]``)."""
    shape = tuple(int(n) for n in data_meta["shape"])
    if config.likelihood == "categorical":
        return (*shape, int(data_meta["vocab_size"]))
    return shape


def check_own(
    config: Any,
    data_meta: dict[str, Any],
    encoder: nn.Module,
    decoder: nn.Module,
    autoregressive: bool = False,
    takes_keep: bool = False,
) -> None:
    """Check a user's pair by `jax.eval_shape` (shapes only: nothing runs, nothing is
    compiled for a device): the encoder maps x ``[B, *shape]`` to (μ, log σ²), each
    ``[B, latent_dim]``; the decoder maps z ``[B, latent_dim]`` (with the data as context
    when autoregressive) to the likelihood's parameters ``[B, *shape]`` or flat
    ``[B, prod(shape)]`` (categorical: a vocabulary dim last); each holds parameters only.

    Raises:
      ValueError: one line naming the module, what it was given and expected, and what it
        returned or raised.
    """
    where = f"config.model.name={config.name!r}"
    batch, latent = CHECK_BATCH, int(config.latent_dim)
    shape = tuple(int(n) for n in data_meta["shape"])
    dtype = jnp.int32 if data_meta.get("kind") == "tokens" else jnp.float32
    x = jax.ShapeDtypeStruct((batch, *shape), dtype)
    cond = jax.ShapeDtypeStruct((batch, LABEL_DIM), jnp.float32) if config.conditional else None
    z = jax.ShapeDtypeStruct((batch, latent + (LABEL_DIM if cond else 0)), jnp.float32)
    enc_args = (x,) if cond is None else (x, cond)
    dec_args = (z, x, jax.ShapeDtypeStruct(x.shape, jnp.bool_)) if takes_keep else (z, x)
    if not autoregressive:
        dec_args = (z,)
    given = {
        "encoder": f"a batch x {own.dims(x.shape)} {x.dtype}" + (" and cond" if cond else ""),
        "decoder": f"z {own.dims(z.shape)}" + (" and the context x" if autoregressive else ""),
    }
    hint = "the VAE trains parameters only (no batch statistics or mutable state)"
    outputs = {
        name: own.trace(where, name, module, args, given[name], hint)
        for name, module, args in (("encoder", encoder, enc_args), ("decoder", decoder, dec_args))
    }
    want = f"(μ, log σ²), each {own.dims((batch, latent))} (model.latent_dim={latent})"
    out = outputs["encoder"]
    if not (isinstance(out, tuple | list) and len(out) == 2 and all(own.is_shaped(a) for a in out)):
        raise ValueError(f"{where}: the encoder must return {want}; it returned {own.shapes(out)}")
    if any(tuple(a.shape) != (batch, latent) for a in out):
        raise ValueError(
            f"{where}: the encoder must map {given['encoder']} to {want}; it returned "
            f"{own.shapes(out)}"
        )
    expected = output_shape(config, data_meta)
    out = outputs["decoder"]
    if not own.is_shaped(out) or tuple(out.shape) not in (
        (batch, *expected),
        (batch, math.prod(expected)),
    ):
        raise ValueError(
            f"{where}: the decoder must map {given['decoder']} to the {config.likelihood} "
            f"likelihood's parameters {own.dims((batch, *expected))} (or flat "
            f"{own.dims((batch, math.prod(expected)))}); it returned {own.shapes(out)}"
        )
