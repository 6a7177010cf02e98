"""The choices the engine's config fields name: datasets, optimizers and learning-rate
schedules, each a table ``name -> Entry`` (`registry`); a family's own (the VAE's models,
likelihoods and β schedules: `families.vae.choices`) live in its folder.

One table each, in a module that imports no implementation: an entry names the function
that implements the choice (imported when the engine first asks for it) and the facts
about it that are needed without it. `config` checks a config against the tables
without loading JAX, Flax, optax or scikit-learn; the implementations dispatch through
the same tables (`data.load`, `optim.make_optimizer`, `optim.make_lr_factor`), so a
name is written here once, and every list of names is derived (`registry.names`).
``tests/test_config.py`` checks that every target loads.
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


_LOADERS = "vaecollapse.data.loaders"
DATA = {
    "digits": DataEntry(f"{_LOADERS}:digits", OFFLINE),
    "linear_gaussian": DataEntry(f"{_LOADERS}:linear_gaussian", OFFLINE),
    "markov_topics": DataEntry(f"{_LOADERS}:markov_topics", OFFLINE, tokens=True),
    "lstm_mixture": DataEntry(f"{_LOADERS}:lstm_mixture", OFFLINE, tokens=True),
    "ring": DataEntry(f"{_LOADERS}:ring", OFFLINE),  # 8 Gaussians on a circle (GAN modes)
    "grid": DataEntry(f"{_LOADERS}:grid", OFFLINE),  # 5 × 5 Gaussians (GAN modes)
    # three 8×8 digits as channels: 1,000 modes (GAN modes, Stacked MNIST's construction)
    "stacked_digits": DataEntry(f"{_LOADERS}:stacked_digits", OFFLINE),
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

# the learning-rate-free direction: ``() -> optax.GradientTransformation``
OPTIMIZERS = {"adam": Entry("optax:scale_by_adam"), "sgd": Entry("optax:identity")}
# the learning rate's multiplier: ``(total_steps) -> (step -> factor)``
LR_SCHEDULES = {
    "constant": Entry("vaecollapse.optim:constant_lr"),
    "cosine": Entry("vaecollapse.optim:cosine_lr"),
}
