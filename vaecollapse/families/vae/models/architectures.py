"""The encoder and decoder each model name stands for: the targets of `choices.MODELS`.

Each is ``(config.model, data_meta) -> (encoder, decoder)`` with the data's shape in
``data_meta['shape']`` (and ``vocab_size`` for token data); `models.build` wraps the pair
in a `VAE` with what every model shares (likelihood, bottleneck, conditioning, dtype).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn

from vaecollapse.families.vae.models.decoders import (
    ConvDecoder,
    LinearDecoder,
    LSTMDecoder,
    MLPDecoder,
)
from vaecollapse.families.vae.models.encoders import (
    ConvEncoder,
    LinearEncoder,
    LSTMEncoder,
    MLPEncoder,
)
from vaecollapse.families.vae.models.pixelcnn import GatedPixelCNN
from vaecollapse.families.vae.models.transformer import TransformerDecoder

Pair = tuple[nn.Module, nn.Module]


def mlp(config: Any, data_meta: dict[str, Any]) -> Pair:
    """Dense ReLU encoder and decoder: ``encoder_hidden``, ``decoder_hidden``."""
    return (
        MLPEncoder(hidden=tuple(config.encoder_hidden), latent_dim=config.latent_dim),
        MLPDecoder(hidden=tuple(config.decoder_hidden), shape=tuple(data_meta["shape"])),
    )


def linear(config: Any, data_meta: dict[str, Any]) -> Pair:
    """The linear-Gaussian VAE of Lucas et al. 2019 (`analytic` has its closed forms)."""
    return (
        LinearEncoder(latent_dim=config.latent_dim),
        LinearDecoder(shape=tuple(data_meta["shape"])),
    )


def conv(config: Any, data_meta: dict[str, Any]) -> Pair:
    """Stride-2 convolutions with ``conv_features`` channels; the decoder mirrors them."""
    features = tuple(config.conv_features)
    return (
        ConvEncoder(features=features, latent_dim=config.latent_dim),
        ConvDecoder(features=features[::-1], shape=tuple(data_meta["shape"])),
    )


def pixelcnn(config: Any, data_meta: dict[str, Any]) -> Pair:
    """The ``conv`` encoder and a gated PixelCNN decoder (van den Oord et al. 2016):
    ``pixelcnn_features``, ``pixelcnn_layers``, ``pixelcnn_kernel``, ``remat``."""
    return (
        ConvEncoder(features=tuple(config.conv_features), latent_dim=config.latent_dim),
        GatedPixelCNN(
            config.pixelcnn_features,
            config.pixelcnn_layers,
            config.pixelcnn_kernel,
            remat=config.remat,
        ),
    )


def lstm(config: Any, data_meta: dict[str, Any]) -> Pair:
    """A bidirectional-LSTM encoder and an LSTM language-model decoder (Bowman et al.
    2016): ``embed_dim``, ``hidden``; ``z_input`` ``initial`` feeds z to the decoder's
    initial state only."""
    vocab = data_meta["vocab_size"]
    z_every_step = config.get("z_input", "every_step") == "every_step"
    return (
        LSTMEncoder(vocab, config.embed_dim, config.hidden, config.latent_dim),
        LSTMDecoder(vocab, config.embed_dim, config.hidden, z_every_step),
    )


def transformer(config: Any, data_meta: dict[str, Any]) -> Pair:
    """The ``lstm`` encoder and a causal Transformer decoder with z as a memory slot:
    ``transformer_width``, ``transformer_layers``, ``transformer_heads``."""
    vocab = data_meta["vocab_size"]
    return (
        LSTMEncoder(vocab, config.embed_dim, config.hidden, config.latent_dim),
        TransformerDecoder(
            vocab, config.transformer_width, config.transformer_layers, config.transformer_heads
        ),
    )
