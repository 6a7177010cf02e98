"""The `Dataset` container and the checks every loader's output passes; `from_loader`
checks a user's loader (``data.name`` an import path) and makes its output a `Dataset`."""

from __future__ import annotations

from collections.abc import Mapping
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


# the kinds a user's loader may name (`from_loader`); "real" is "continuous"
KINDS = {"binary": "binary", "real": "continuous", "continuous": "continuous", "tokens": "tokens"}


def from_loader(result: Any, name: str) -> Dataset:
    """A user's loader's output (``data.name`` an import path) as a checked `Dataset`.

    ``result`` is ``(train, test, meta)`` of NumPy arrays ``[N, *shape]`` or a `Dataset`;
    ``meta`` names ``kind`` (``binary``: values in [0, 1]; ``real``; ``tokens``: integers
    ``>= 0``, ``vocab_size`` read or taken as max + 1), ``shape`` (checked; default the
    arrays'), and may hold ``train_labels`` and ``test_labels`` (ints ``[N]``;
    ``num_classes`` read or taken as max + 1). Floats come back float32, tokens and labels
    int32; ``meta['name']`` is ``name`` and ``meta['value_range']`` the data's (min, max),
    which `models.build` checks against a Bernoulli likelihood.

    Raises:
      ValueError: one line naming ``data.name``, what was expected and what came back.
    """
    where = f"config.data.name={name!r}"
    if isinstance(result, Dataset):
        train, test, meta, train_labels, test_labels = result
        meta = dict(meta)
    elif isinstance(result, tuple | list) and len(result) == 3:
        train, test, meta = result
        if not isinstance(meta, Mapping):
            raise ValueError(f"{where}: meta must be a dict; it is a {type(meta).__name__}")
        meta = dict(meta)
        train_labels, test_labels = meta.pop("train_labels", None), meta.pop("test_labels", None)
    else:
        raise ValueError(
            f"{where} must return (train, test, meta) or a vaecollapse Dataset; it returned "
            f"{_describe(result)}"
        )
    kind = meta.get("kind")
    kind = KINDS.get(kind) if isinstance(kind, str) else None
    if kind is None:
        raise ValueError(
            f"{where}: meta['kind'] is {meta.get('kind')!r}; expected 'binary', 'real' or 'tokens'"
        )
    arrays = {"train": train, "test": test}
    for split, array in arrays.items():
        array = np.asarray(array) if hasattr(array, "__array__") else array
        arrays[split] = _as_data(array, kind, where, split)
    train, test = arrays["train"], arrays["test"]
    shape = tuple(int(n) for n in meta.get("shape", train.shape[1:]))
    for split, array in arrays.items():
        if array.shape[1:] != shape:
            raise ValueError(
                f"{where}: the {split} split is {list(array.shape)}; expected [N, *meta['shape']]"
                f" = [N, {', '.join(map(str, shape))}]"
            )
    meta.update(name=name, kind=kind, shape=shape)
    if kind == "tokens":
        top = int(max(train.max(initial=0), test.max(initial=0)))
        vocab = int(meta.setdefault("vocab_size", top + 1))
        if min(train.min(initial=0), test.min(initial=0)) < 0 or top >= vocab:
            raise ValueError(
                f"{where}: tokens must lie in [0, meta['vocab_size']={vocab}); they span "
                f"[{int(min(train.min(), test.min()))}, {top}]"
            )
    else:
        for split, array in arrays.items():
            check_finite(name, split, array)
        low = float(min(train.min(initial=np.inf), test.min(initial=np.inf)))
        high = float(max(train.max(initial=-np.inf), test.max(initial=-np.inf)))
        if kind == "binary" and (low < 0 or high > 1):
            raise ValueError(
                f"{where}: meta['kind']='binary' needs values in [0, 1]; they span "
                f"[{low:g}, {high:g}] (name the kind 'real' for other values)"
            )
        meta["value_range"] = (low, high)
    labels = _labels(where, train_labels, test_labels, len(train), len(test))
    if labels[0] is not None:
        top = int(max(labels[0].max(initial=0), labels[1].max(initial=0)))
        meta.setdefault("num_classes", top + 1)
    return validated(Dataset(train, test, meta, *labels))


def _describe(value: Any) -> str:
    """``value``'s type, and its length for a tuple or list."""
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def _as_data(array: Any, kind: str, where: str, split: str) -> np.ndarray:
    """One split as float32 (``binary``, ``real``) or int32 (``tokens``) ``[N, *shape]``."""
    if not isinstance(array, np.ndarray):
        raise ValueError(
            f"{where}: the {split} split must be a NumPy array; it is {_describe(array)}"
        )
    integer = np.issubdtype(array.dtype, np.integer)
    if kind == "tokens" and not integer:
        raise ValueError(
            f"{where}: the {split} split has dtype {array.dtype}; tokens need an integer dtype"
        )
    if not (integer or np.issubdtype(array.dtype, np.floating) or array.dtype == bool):
        raise ValueError(
            f"{where}: the {split} split has dtype {array.dtype}; expected real numbers "
            "(float32 for 'binary' and 'real', integers for 'tokens')"
        )
    if array.ndim < 2:
        raise ValueError(
            f"{where}: the {split} split is {list(array.shape)}; expected [N, *shape] "
            "(a batch of examples: at least 2 dims)"
        )
    return array.astype(np.int32 if kind == "tokens" else np.float32)


def _labels(where: str, train: Any, test: Any, num_train: int, num_test: int):
    """The labels as int32 ``[N]`` each, or (None, None)."""
    if train is None and test is None:
        return None, None
    if train is None or test is None:
        raise ValueError(f"{where}: give both train_labels and test_labels, or neither")
    out = []
    for split, labels, n in (("train", train, num_train), ("test", test, num_test)):
        labels = np.asarray(labels)
        if not np.issubdtype(labels.dtype, np.integer) or labels.shape != (n,) or labels.min() < 0:
            raise ValueError(
                f"{where}: {split}_labels must be integers >= 0 of shape [{n}]; they are "
                f"{labels.dtype} {list(labels.shape)}"
            )
        out.append(labels.astype(np.int32))
    return tuple(out)
