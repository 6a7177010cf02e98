"""`load(config.data)`: one entry point for every dataset, offline ones first."""

from __future__ import annotations

from typing import Any

from vaecollapse import choices
from vaecollapse.data import embedded, synthetic, tfds
from vaecollapse.data.dataset import Dataset, validated

NAMES = choices.DATA
TOKEN_DATA = choices.TOKEN_DATA

__all__ = ["NAMES", "Dataset", "load"]


def load(config: Any) -> Dataset:
    """Load the dataset a ``config.data`` ConfigDict names.

    Fields: ``name`` (see ``NAMES``); ``digits``: ``binarize``, ``test_fraction``,
    ``split_seed``; ``linear_gaussian``: ``eigenvalues``, ``num_examples``, ``seed``;
    ``markov_topics``: ``num_topics``, ``vocab_size``, ``length``, ``num_examples``,
    ``seed``, ``concentration``, ``topic_weight``; ``lstm_mixture``: ``num_topics``,
    ``vocab_size``, ``length``, ``num_examples``, ``seed``, ``hidden``, ``z_scale``;
    tfds image names: ``data_dir`` (None or "": tfds's default), ``binarize``; tfds text
    names (``ptb_text_only``, ``lm1b``): ``data_dir``, ``vocab_size``, ``length``.

    Raises:
      ValueError: unknown name, bad fields, non-finite data or tfds data not prepared.
    """
    name = config.name
    if name == "digits":
        dataset = embedded.digits(
            binarize=config.get("binarize", True),
            test_fraction=config.get("test_fraction", 0.2),
            split_seed=config.get("split_seed", 0),
        )
    elif name == "linear_gaussian":
        dataset = synthetic.linear_gaussian(
            eigenvalues=tuple(config.eigenvalues),
            num_examples=int(config.num_examples),
            seed=int(config.seed),
            test_fraction=config.get("test_fraction", 0.2),
        )
    elif name == "markov_topics":
        dataset = synthetic.markov_topics(
            **_topic_fields(config),
            concentration=config.get("concentration", 0.1),
            topic_weight=config.get("topic_weight", 1.0),
        )
    elif name == "lstm_mixture":
        dataset = synthetic.lstm_mixture(
            **_topic_fields(config),
            hidden=int(config.get("hidden", 100)),
            z_scale=config.get("z_scale", 1.0),
        )
    elif name in tfds.IMAGE_DATASETS:
        dataset = tfds.load_images(
            name, data_dir=config.get("data_dir") or None, binarize=config.get("binarize", True)
        )
    elif name in tfds.TEXT_DATASETS:
        dataset = tfds.load_text(
            name,
            data_dir=config.get("data_dir") or None,
            vocab_size=int(config.get("vocab_size", 1000)),
            length=int(config.get("length", 16)),
        )
    else:
        raise ValueError(f"data.name={name!r} is unknown; allowed: {', '.join(NAMES)}")
    return validated(dataset)


def _topic_fields(config: Any) -> dict[str, Any]:
    """The fields every synthetic token dataset takes."""
    sizes = ("num_topics", "vocab_size", "length", "num_examples", "seed")
    return {
        **{field: int(config[field]) for field in sizes},
        "test_fraction": config.get("test_fraction", 0.2),
    }
