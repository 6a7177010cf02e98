"""`build(config.model, data_meta)`: models found by name."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from vaecollapse import choices
from vaecollapse.models.decoders import ConvDecoder, LinearDecoder, LSTMDecoder, MLPDecoder
from vaecollapse.models.encoders import ConvEncoder, LinearEncoder, LSTMEncoder, MLPEncoder
from vaecollapse.models.pixelcnn import GatedPixelCNN
from vaecollapse.models.transformer import TransformerDecoder
from vaecollapse.models.vae import LIKELIHOODS, VAE
from vaecollapse.models.vq import VectorQuantizer

NAMES = choices.MODELS
AUTOREGRESSIVE = ("pixelcnn", "lstm", "transformer")
IMAGE_ONLY = ("conv", "pixelcnn")  # need [H, W, C] data with H, W divisible by 2^len(conv)
TOKEN_MODELS = choices.TOKEN_MODELS

__all__ = ["LIKELIHOODS", "NAMES", "VAE", "build"]


def build(config: Any, data_meta: dict[str, Any]) -> VAE:
    """Build the VAE ``config.name`` names for data of shape ``data_meta['shape']``.

    Fields: ``name`` (``mlp`` | ``linear`` | ``lstm``), ``latent_dim``, ``likelihood``,
    ``sigma2``; ``mlp``: ``encoder_hidden``, ``decoder_hidden`` (tuples of widths);
    ``conv``: ``conv_features`` (channels per stride-2 layer; the decoder mirrors them);
    ``pixelcnn``: a ``conv`` encoder and a gated PixelCNN decoder (van den Oord et al.
    2016) with ``pixelcnn_features``, ``pixelcnn_layers``, ``pixelcnn_kernel``;
    ``bottleneck``: ``gaussian`` or ``vq`` (VQ-VAE: ``num_codes``, ``code_groups``,
    ``codebook_update``);
    ``conditional``: a CVAE on the data's labels (``data_meta['num_classes']``);
    ``compute_dtype``: dtype the networks compute in (`VAE.dtype`); ``remat``: PixelCNN
    gated layers recomputed in the backward pass (``jax.checkpoint``);
    ``lstm`` (token data, ``data_meta['vocab_size']``): ``embed_dim``, ``hidden`` — a
    bidirectional-LSTM encoder and an LSTM language-model decoder (Bowman et al. 2016);
    ``transformer``: the same encoder and a causal Transformer decoder with z as a memory
    slot (``transformer_width``, ``transformer_layers``, ``transformer_heads``).
    """
    shape = tuple(data_meta["shape"])
    if config.name == "mlp":
        encoder = MLPEncoder(hidden=tuple(config.encoder_hidden), latent_dim=config.latent_dim)
        decoder = MLPDecoder(hidden=tuple(config.decoder_hidden), shape=shape)
    elif config.name == "linear":
        encoder = LinearEncoder(latent_dim=config.latent_dim)
        decoder = LinearDecoder(shape=shape)
    elif config.name in IMAGE_ONLY:
        features = tuple(config.conv_features)
        scale = 2 ** len(features)
        if len(shape) != 3 or shape[0] % scale or shape[1] % scale:
            raise ValueError(
                f"model.name={config.name!r} needs images [H, W, C] with H and W divisible "
                f"by 2**len(model.conv_features)={scale}; the data's shape is {shape}"
            )
        encoder = ConvEncoder(features=features, latent_dim=config.latent_dim)
        if config.name == "conv":
            decoder = ConvDecoder(features=features[::-1], shape=shape)
        else:
            decoder = GatedPixelCNN(
                config.pixelcnn_features,
                config.pixelcnn_layers,
                config.pixelcnn_kernel,
                remat=config.remat,
            )
    elif config.name in TOKEN_MODELS:
        vocab = data_meta["vocab_size"]
        encoder = LSTMEncoder(vocab, config.embed_dim, config.hidden, config.latent_dim)
        if config.name == "lstm":
            decoder = LSTMDecoder(vocab, config.embed_dim, config.hidden)
        else:
            decoder = TransformerDecoder(
                vocab, config.transformer_width, config.transformer_layers, config.transformer_heads
            )
    else:
        raise ValueError(f"model.name={config.name!r} is unknown; allowed: {', '.join(NAMES)}")
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
        autoregressive=config.name in AUTOREGRESSIVE,
        num_classes=num_classes,
        quantizer=quantizer,
        dtype=jnp.dtype(config.compute_dtype),
    )
