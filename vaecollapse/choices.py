"""The choices a config's fields name: datasets, models, likelihoods, β schedules,
optimizers and learning-rate schedules, each a table ``name -> Entry`` (`registry`).

One table each, in a module that imports no implementation: an entry names the function
that implements the choice (imported when the engine first asks for it) and the facts
about it that are needed without it. `config` checks a config against the tables
without loading JAX, Flax, optax or scikit-learn; the implementations dispatch through
the same tables (`data.load`, `models.build`, `schedules.by_name`,
`optim.make_optimizer`, `optim.make_lr_factor`), so a name is written here once, and
every list of names is derived (`registry.names`). ``tests/test_config.py`` checks that
every target loads.
"""

from __future__ import annotations

import dataclasses

from vaecollapse.registry import Entry, names

# where a dataset comes from (`DataEntry.kind`)
OFFLINE = "offline"  # shipped with packages or generated: needs no download
TFDS_IMAGE = "tfds_image"  # a tensorflow_datasets image dataset (`data.tfds.load_images`)
TFDS_TEXT = "tfds_text"  # a tensorflow_datasets text dataset (`data.tfds.load_text`)


@dataclasses.dataclass(frozen=True)
class DataEntry(Entry):
    """A dataset: ``target`` is its loader ``(config.data) -> data.Dataset``."""

    kind: str  # OFFLINE, TFDS_IMAGE or TFDS_TEXT
    tokens: bool = False  # int32 token sequences (the token models' data, only theirs)


@dataclasses.dataclass(frozen=True)
class ModelEntry(Entry):
    """A model: ``target`` is ``(config.model, data_meta) -> (encoder, decoder)``."""

    tokens: bool = False  # a model of token data, and only of those
    image_only: bool = False  # needs [H, W, C] data, H and W divisible by 2^len(conv_features)
    autoregressive: bool = False  # the decoder sees x_<i (teacher forcing, shifted inputs)


_LOADERS = "vaecollapse.data.loaders"
DATA = {
    "digits": DataEntry(f"{_LOADERS}:digits", OFFLINE),
    "linear_gaussian": DataEntry(f"{_LOADERS}:linear_gaussian", OFFLINE),
    "markov_topics": DataEntry(f"{_LOADERS}:markov_topics", OFFLINE, tokens=True),
    "lstm_mixture": DataEntry(f"{_LOADERS}:lstm_mixture", OFFLINE, tokens=True),
    "ring": DataEntry(f"{_LOADERS}:ring", OFFLINE),  # 8 Gaussians on a circle (GAN modes)
    "grid": DataEntry(f"{_LOADERS}:grid", OFFLINE),  # 5 × 5 Gaussians (GAN modes)
    "mnist": DataEntry(f"{_LOADERS}:tfds_images", TFDS_IMAGE),
    "fashion_mnist": DataEntry(f"{_LOADERS}:tfds_images", TFDS_IMAGE),
    "binarized_mnist": DataEntry(f"{_LOADERS}:tfds_images", TFDS_IMAGE),
    "ptb_text_only": DataEntry(f"{_LOADERS}:tfds_text", TFDS_TEXT, tokens=True),
    "lm1b": DataEntry(f"{_LOADERS}:tfds_text", TFDS_TEXT, tokens=True),
}
# datasets that need no download: every loader's fallback, named when tfds data is missing
OFFLINE_DATA = names(DATA, kind=OFFLINE)
TFDS_IMAGE_DATA = names(DATA, kind=TFDS_IMAGE)
TFDS_TEXT_DATA = names(DATA, kind=TFDS_TEXT)
TOKEN_DATA = names(DATA, tokens=True)

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
}
# the learning-rate-free direction: ``() -> optax.GradientTransformation``
OPTIMIZERS = {"adam": Entry("optax:scale_by_adam"), "sgd": Entry("optax:identity")}
# the learning rate's multiplier: ``(total_steps) -> (step -> factor)``
LR_SCHEDULES = {
    "constant": Entry("vaecollapse.optim:constant_lr"),
    "cosine": Entry("vaecollapse.optim:cosine_lr"),
}
