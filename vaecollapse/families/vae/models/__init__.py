"""`build(config.model, data_meta)`: the model `choices.MODELS` names, as a `VAE`."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from vaecollapse import registry
from vaecollapse.families.vae import choices
from vaecollapse.families.vae.models.vae import LIKELIHOODS, VAE
from vaecollapse.families.vae.models.vq import VectorQuantizer

NAMES = tuple(choices.MODELS)
AUTOREGRESSIVE = registry.names(choices.MODELS, autoregressive=True)
IMAGE_ONLY = registry.names(choices.MODELS, image_only=True)
TOKEN_MODELS = registry.names(choices.MODELS, tokens=True)

__all__ = ["LIKELIHOODS", "NAMES", "VAE", "build"]


def build(config: Any, data_meta: dict[str, Any]) -> VAE:
    """Build the VAE ``config.name`` names (`choices.MODELS`) for data of shape
    ``data_meta['shape']``.

    Its encoder and decoder come from the name's target in `models.architectures`
    (each documents the fields it reads); every model reads ``latent_dim``,
    ``likelihood``, ``sigma2``; ``bottleneck``: ``gaussian``, ``vq`` (VQ-VAE:
    ``num_codes``, ``code_groups``, ``codebook_update``), ``bn`` (BN-VAE) or ``delta``
    (δ-VAE) (`VAE.posterior`); ``conditional``: a CVAE on the
    data's labels (``data_meta['num_classes']``); ``compute_dtype``: dtype the networks
    compute in (`VAE.dtype`). Image-only models (``conv``, ``pixelcnn``) need
    ``[H, W, C]`` data with H and W divisible by ``2**len(conv_features)``; token models
    (``lstm``, ``transformer``) need ``data_meta['vocab_size']``.

    Raises:
      ValueError: an unknown name (naming the allowed ones), an image-only model on data
        of the wrong shape, or a CVAE on unlabelled data.
    """
    entry = registry.lookup(choices.MODELS, config.name, f"model.name={config.name!r}")
    if entry.image_only:
        shape = tuple(data_meta["shape"])
        scale = 2 ** len(config.conv_features)
        if len(shape) != 3 or shape[0] % scale or shape[1] % scale:
            raise ValueError(
                f"model.name={config.name!r} needs images [H, W, C] with H and W divisible "
                f"by 2**len(model.conv_features)={scale}; the data's shape is {shape}"
            )
    encoder, decoder = entry.load()(config, data_meta)
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
        autoregressive=entry.autoregressive,
        num_classes=num_classes,
        quantizer=quantizer,
        dtype=jnp.dtype(config.compute_dtype),
        posterior=config.bottleneck if config.bottleneck in ("bn", "delta") else "gaussian",
    )
