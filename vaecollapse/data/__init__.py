"""`load(config.data)`: one entry point for every dataset `choices.DATA` names."""

from __future__ import annotations

from typing import Any

from vaecollapse import choices, registry
from vaecollapse.data import tfds
from vaecollapse.data.dataset import Dataset, validated

NAMES = tuple(choices.DATA)
TOKEN_DATA = choices.TOKEN_DATA

__all__ = ["NAMES", "Dataset", "load", "tfds"]


def load(config: Any) -> Dataset:
    """Load the dataset a ``config.data`` ConfigDict names.

    ``name`` is one of ``NAMES``; its loader in `data.loaders` reads the other fields
    (each loader's docstring names them) and the result is checked (`validated`).

    Raises:
      ValueError: unknown name, bad fields, non-finite data or tfds data not prepared.
    """
    entry = registry.lookup(choices.DATA, config.name, f"data.name={config.name!r}")
    return validated(entry.load()(config))
