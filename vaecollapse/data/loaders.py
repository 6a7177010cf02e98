"""Each dataset's loader from its ``config.data`` fields: the targets of `choices.DATA`.

Each is ``(config.data) -> Dataset``; `data.load` looks the name up and checks the result
(`dataset.validated`). Optional fields fall back to the defaults written here.
"""

from __future__ import annotations

from typing import Any

from vaecollapse.data import embedded, synthetic, tfds
from vaecollapse.data.dataset import Dataset


def digits(config: Any) -> Dataset:
    """`embedded.digits`: ``binarize``, ``test_fraction``, ``split_seed``."""
    return embedded.digits(
        binarize=config.get("binarize", True),
        test_fraction=config.get("test_fraction", 0.2),
        split_seed=config.get("split_seed", 0),
    )


def linear_gaussian(config: Any) -> Dataset:
    """`synthetic.linear_gaussian`: ``eigenvalues``, ``num_examples``, ``seed``,
    ``test_fraction``."""
    return synthetic.linear_gaussian(
        eigenvalues=tuple(config.eigenvalues),
        num_examples=int(config.num_examples),
        seed=int(config.seed),
        test_fraction=config.get("test_fraction", 0.2),
    )


def markov_topics(config: Any) -> Dataset:
    """`synthetic.markov_topics`: the topic fields (`_topic_fields`), ``concentration``,
    ``topic_weight``."""
    return synthetic.markov_topics(
        **_topic_fields(config),
        concentration=config.get("concentration", 0.1),
        topic_weight=config.get("topic_weight", 1.0),
    )


def lstm_mixture(config: Any) -> Dataset:
    """`synthetic.lstm_mixture`: the topic fields (`_topic_fields`), ``hidden``,
    ``z_scale``."""
    return synthetic.lstm_mixture(
        **_topic_fields(config),
        hidden=int(config.get("hidden", 100)),
        z_scale=config.get("z_scale", 1.0),
    )


def ring(config: Any) -> Dataset:
    """`synthetic.gaussian_mixture_2d` on `synthetic.ring_modes`: ``num_modes`` (8),
    ``radius`` (1), ``mode_std`` (0.01), ``num_examples`` (10,000), ``seed``,
    ``test_fraction`` (PacGAN's ring of 8 Gaussians)."""
    modes = synthetic.ring_modes(int(config.get("num_modes", 8)), config.get("radius", 1.0))
    return _mixture(config, "ring", modes, 0.01)


def grid(config: Any) -> Dataset:
    """`synthetic.gaussian_mixture_2d` on `synthetic.grid_modes`: ``grid_side`` (5),
    ``spacing`` (2), ``mode_std`` (0.05), ``num_examples``, ``seed``, ``test_fraction``
    (PacGAN's 5 × 5 grid of 25 Gaussians, means {−4, −2, 0, 2, 4}²)."""
    modes = synthetic.grid_modes(int(config.get("grid_side", 5)), config.get("spacing", 2.0))
    return _mixture(config, "grid", modes, 0.05)


def _mixture(config: Any, name: str, modes, default_std: float) -> Dataset:
    return synthetic.gaussian_mixture_2d(
        name=name,
        means=modes,
        std=config.get("mode_std", default_std),
        num_examples=int(config.get("num_examples", 10_000)),
        seed=int(config.get("seed", 0)),
        test_fraction=config.get("test_fraction", 0.2),
    )


def tfds_images(config: Any) -> Dataset:
    """`tfds.load_images` of ``name``: ``data_dir`` (None or "": tfds's default),
    ``binarize``."""
    return tfds.load_images(
        config.name,
        data_dir=config.get("data_dir") or None,
        binarize=config.get("binarize", True),
    )


def tfds_text(config: Any) -> Dataset:
    """`tfds.load_text` of ``name``: ``data_dir``, ``vocab_size``, ``length``."""
    return tfds.load_text(
        config.name,
        data_dir=config.get("data_dir") or None,
        vocab_size=int(config.get("vocab_size", 1000)),
        length=int(config.get("length", 16)),
    )


def _topic_fields(config: Any) -> dict[str, Any]:
    """The fields every synthetic token dataset takes: ``num_topics``, ``vocab_size``,
    ``length``, ``num_examples``, ``seed``, ``test_fraction``."""
    sizes = ("num_topics", "vocab_size", "length", "num_examples", "seed")
    return {
        **{field: int(config[field]) for field in sizes},
        "test_fraction": config.get("test_fraction", 0.2),
    }


def stacked_digits(config: Any) -> Dataset:
    """`embedded.stacked_digits`: ``num_examples`` (25,600), ``num_test`` (2,600),
    ``test_fraction`` (0.2), ``split_seed`` (0), ``seed`` (0)."""
    return embedded.stacked_digits(
        num_examples=int(config.get("num_examples", 25_600)),
        num_test=int(config.get("num_test", 2_600)),
        test_fraction=config.get("test_fraction", 0.2),
        split_seed=int(config.get("split_seed", 0)),
        seed=int(config.get("seed", 0)),
    )
