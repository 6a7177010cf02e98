"""The names a config's fields choose among: datasets, models, likelihoods, β schedules,
optimizers and learning-rate schedules.

One list each, in a module that imports nothing: `config` checks a config against them
without importing the implementations (JAX, Flax, optax, scikit-learn), and the
implementations dispatch on the same names (`data.load`, `models.build`,
`schedules.by_name`, `train.OPTIMIZERS`, `train.make_lr_factor`; ``tests/test_config.py``
checks each accepts exactly these).
"""

from __future__ import annotations

# datasets that need no download: every loader's fallback, named when tfds data is missing
OFFLINE_DATA = ("digits", "linear_gaussian", "markov_topics", "lstm_mixture")
TFDS_IMAGE_DATA = ("mnist", "fashion_mnist", "binarized_mnist")
TFDS_TEXT_DATA = ("ptb_text_only", "lm1b")
DATA = OFFLINE_DATA + TFDS_IMAGE_DATA + TFDS_TEXT_DATA
TOKEN_DATA = ("markov_topics", "lstm_mixture", *TFDS_TEXT_DATA)

MODELS = ("mlp", "linear", "conv", "pixelcnn", "lstm", "transformer")
TOKEN_MODELS = ("lstm", "transformer")  # the models of token data, and only of those
LIKELIHOODS = ("bernoulli", "gaussian", "gaussian_learned", "categorical")

SCHEDULES = ("constant", "linear_warmup", "cyclical", "sigmoid")  # β(step)
OPTIMIZERS = ("adam", "sgd")
LR_SCHEDULES = ("constant", "cosine")
