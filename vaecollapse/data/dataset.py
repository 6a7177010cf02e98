"""The `Dataset` container and the checks every loader's output passes."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from vaecollapse import choices

# the datasets that need no download: every loader's fallback, named when tfds data is missing
OFFLINE = choices.OFFLINE_DATA


class Dataset(NamedTuple):
    """Train/test arrays held as numpy, moved to device once by the trainer.

    Attributes:
      train: ``[N_train, *shape]`` float32 (images ``[N, H, W, 1]`` in [0, 1];
        vectors ``[N, D]``) or int32 tokens ``[N, T]``.
      test: ``[N_test, *shape]``, same dtype.
      meta: ``name``, ``kind`` (``binary`` | ``continuous`` | ``tokens``), ``shape``
        and loader-specific facts (e.g. ``eigenvalues``, ``num_classes``).
      train_labels, test_labels: optional int32 ``[N]`` (class or topic), for CVAEs.
    """

    train: np.ndarray
    test: np.ndarray
    meta: dict[str, Any]
    train_labels: np.ndarray | None = None
    test_labels: np.ndarray | None = None


def check_finite(name: str, split: str, array: np.ndarray) -> None:
    """Raise ValueError with the count and first index of non-finite values."""
    bad = ~np.isfinite(array)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"data {name!r} {split} split has {int(bad.sum())} non-finite values "
            f"(NaN/Inf), first at index {first}; clean the data before training"
        )


def validated(dataset: Dataset) -> Dataset:
    """Return ``dataset`` after checking it is finite and non-empty."""
    name = dataset.meta["name"]
    for split, array in (("train", dataset.train), ("test", dataset.test)):
        if len(array) == 0:
            raise ValueError(f"data {name!r} {split} split is empty")
        check_finite(name, split, array)
    return dataset
