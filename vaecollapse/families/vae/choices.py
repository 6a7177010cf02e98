"""The VAE family's choices: models, likelihoods and β schedules, each a table
``name -> Entry`` (`vaecollapse.registry`) in a module that imports no implementation.

An entry names the function that implements the choice (imported when first asked for)
and the facts about it needed without it: `families.vae.config` checks a config against
the tables without loading JAX; `models.build` and `schedules.by_name` dispatch through
them, so a name is written here once.
"""

from __future__ import annotations

import dataclasses

from vaecollapse.registry import Entry, names


@dataclasses.dataclass(frozen=True)
class ModelEntry(Entry):
    """A model: ``target`` is ``(config.model, data_meta) -> (encoder, decoder)``."""

    tokens: bool = False  # a model of token data, and only of those
    image_only: bool = False  # needs [H, W, C] data, H and W divisible by 2^len(conv_features)
    autoregressive: bool = False  # the decoder sees x_<i (teacher forcing, shifted inputs)


_ARCHITECTURES = "vaecollapse.families.vae.models.architectures"
MODELS = {
    "mlp": ModelEntry(f"{_ARCHITECTURES}:mlp"),
    "linear": ModelEntry(f"{_ARCHITECTURES}:linear"),
    "conv": ModelEntry(f"{_ARCHITECTURES}:conv", image_only=True),
    "pixelcnn": ModelEntry(f"{_ARCHITECTURES}:pixelcnn", image_only=True, autoregressive=True),
    "lstm": ModelEntry(f"{_ARCHITECTURES}:lstm", tokens=True, autoregressive=True),
    "transformer": ModelEntry(f"{_ARCHITECTURES}:transformer", tokens=True, autoregressive=True),
}
TOKEN_MODELS = names(MODELS, tokens=True)

LIKELIHOODS = ("bernoulli", "gaussian", "gaussian_learned", "categorical")

# β(step): ``(step, hparams, total_steps) -> beta``, parameters read from the hyperparameters
SCHEDULES = {
    "constant": Entry("vaecollapse.families.vae.schedules:constant_from_hparams"),
    "linear_warmup": Entry("vaecollapse.families.vae.schedules:linear_warmup_from_hparams"),
    "cyclical": Entry("vaecollapse.families.vae.schedules:cyclical_from_hparams"),
    "sigmoid": Entry("vaecollapse.families.vae.schedules:sigmoid_from_hparams"),
    "excursion": Entry("vaecollapse.families.vae.schedules:excursion_from_hparams"),
}
