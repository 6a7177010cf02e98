"""`load(config.data)`: one entry point for every dataset `choices.DATA` names, and for a
user's own loader named by import path (``"my_package.data:load"``, `is_import_path`);
`resolve_path`, which resolves such a path, serves the VAE's models by path too."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from vaecollapse import choices, registry
from vaecollapse.data import tfds
from vaecollapse.data.dataset import Dataset, from_loader, validated

NAMES = tuple(choices.DATA)
TOKEN_DATA = choices.TOKEN_DATA

__all__ = ["NAMES", "Dataset", "is_import_path", "load", "resolve_path", "tfds"]


def is_import_path(name: str) -> bool:
    """Whether a config's name is an import path ``"package.module:attribute"`` (it holds
    a colon) rather than a name of a table."""
    return ":" in name


def resolve_path(path: str, field: str) -> Any:
    """The callable an import path ``"package.module:attribute"`` names (`registry.resolve`),
    with the current directory importable (besides the config file's folder, which
    `config.experiment_config` puts first on ``sys.path``).

    Raises:
      ValueError: one line, ``config.FIELD='PATH' ...``: the path is malformed, its module
        does not import, it lacks the attribute, or that is not callable.
    """
    where = f"config.{field}={path!r}"
    module, _, attribute = path.partition(":")
    if not module or not attribute or ":" in attribute:
        raise ValueError(f"{where} is invalid: an import path is 'package.module:function'")
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as err:
        raise ValueError(
            f"{where}: cannot import module {module!r} ({err}); importable: the current "
            "directory, the config file's folder and sys.path"
        ) from err
    except Exception as err:
        raise ValueError(
            f"{where}: importing module {module!r} failed: {type(err).__name__}: {_first_line(err)}"
        ) from err
    try:
        target = registry.resolve(path)  # the module imported above, Python's cached one
    except AttributeError as err:
        raise ValueError(f"{where}: module {module!r} has no attribute {attribute!r}") from err
    if not callable(target):
        raise ValueError(f"{where} is not callable (type {type(target).__name__})")
    return target


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [""])[0]


def load(config: Any) -> Dataset:
    """Load the dataset a ``config.data`` ConfigDict names.

    ``name`` is one of ``NAMES``, whose loader in `data.loaders` reads the other fields
    (each loader's docstring names them), or an import path ``"package.module:function"``
    of a function ``(config.data) -> (train, test, meta)`` (or a `Dataset`), checked by
    `dataset.from_loader`. The result is checked (`validated`).

    Raises:
      ValueError: unknown name, bad fields, non-finite data, tfds data not prepared, or a
        user's loader that fails or breaks its contract (one line each).
    """
    if is_import_path(config.name):
        loader = resolve_path(config.name, "data.name")
        try:
            result = loader(config)
        except Exception as err:
            raise ValueError(
                f"config.data.name={config.name!r} raised {type(err).__name__}: {_first_line(err)}"
            ) from err
        return from_loader(result, config.name)
    entry = registry.lookup(choices.DATA, config.name, f"data.name={config.name!r}")
    return validated(entry.load()(config))
