"""`build(config.model, data_meta)`: models found by name."""

from __future__ import annotations

from typing import Any

from vaecollapse.models.decoders import LinearDecoder, LSTMDecoder, MLPDecoder
from vaecollapse.models.encoders import LinearEncoder, LSTMEncoder, MLPEncoder
from vaecollapse.models.vae import LIKELIHOODS, VAE

NAMES = ("mlp", "linear", "lstm")
AUTOREGRESSIVE = ("lstm",)
TOKEN_MODELS = ("lstm",)

__all__ = ["LIKELIHOODS", "NAMES", "VAE", "build"]


def build(config: Any, data_meta: dict[str, Any]) -> VAE:
    """Build the VAE ``config.name`` names for data of shape ``data_meta['shape']``.

    Fields: ``name`` (``mlp`` | ``linear`` | ``lstm``), ``latent_dim``, ``likelihood``,
    ``sigma2``; ``mlp``: ``encoder_hidden``, ``decoder_hidden`` (tuples of widths);
    ``lstm`` (token data, ``data_meta['vocab_size']``): ``embed_dim``, ``hidden`` — a
    bidirectional-LSTM encoder and an LSTM language-model decoder (Bowman et al. 2016).
    """
    shape = tuple(data_meta["shape"])
    if config.name == "mlp":
        encoder = MLPEncoder(hidden=tuple(config.encoder_hidden), latent_dim=config.latent_dim)
        decoder = MLPDecoder(hidden=tuple(config.decoder_hidden), shape=shape)
    elif config.name == "linear":
        encoder = LinearEncoder(latent_dim=config.latent_dim)
        decoder = LinearDecoder(shape=shape)
    elif config.name == "lstm":
        vocab = data_meta["vocab_size"]
        encoder = LSTMEncoder(vocab, config.embed_dim, config.hidden, config.latent_dim)
        decoder = LSTMDecoder(vocab, config.embed_dim, config.hidden)
    else:
        raise ValueError(f"model.name={config.name!r} is unknown; allowed: {', '.join(NAMES)}")
    return VAE(
        encoder,
        decoder,
        likelihood=config.likelihood,
        sigma2=float(config.sigma2),
        autoregressive=config.name in AUTOREGRESSIVE,
    )
