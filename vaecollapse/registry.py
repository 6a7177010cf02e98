"""Tables from a name to what it stands for, read without importing the implementations.

A table is a dict ``name -> Entry``; an entry names its implementation by a
``"package.module:attribute"`` string imported on first use (`resolve`), so a table
can live in a module that imports nothing heavy (`choices`) while the engine dispatches
through it: the names are written once, in the table, and every list of names (all of
them, the token models, the offline datasets, ...) is derived from it (`names`).
Unknown names raise one line naming the allowed ones (`lookup`).

Imports only the standard library.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

E = TypeVar("E")


def resolve(target: Callable | str) -> Any:
    """The attribute a ``"package.module:attribute"`` path names, importing its module
    (once: Python caches it); a callable as is."""
    if not isinstance(target, str):
        return target
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclasses.dataclass(frozen=True)
class Entry:
    """What a name stands for: ``target``, a ``"package.module:attribute"`` path (or,
    added from outside the package, the callable itself).

    Subclasses add the facts about a choice that are needed without its implementation
    (`choices.ModelEntry`, `choices.DataEntry`).
    """

    target: Callable | str

    def load(self) -> Any:
        """The implementation (`resolve`)."""
        return resolve(self.target)


def lookup(table: Mapping[str, E], name: str, what: str) -> E:
    """``table[name]``, or ValueError ``"<what> is unknown; allowed: a, b, ..."``
    (``what`` names the choice, e.g. ``f"model.name={name!r}"``)."""
    if name not in table:
        raise ValueError(f"{what} is unknown; allowed: {', '.join(table)}")
    return table[name]


def names(table: Mapping[str, Any], **facts: Any) -> tuple[str, ...]:
    """The names, in table order, whose entries have these attribute values
    (``names(choices.MODELS, tokens=True)``: the token models); all of them if none."""
    return tuple(
        name
        for name, entry in table.items()
        if all(getattr(entry, fact) == value for fact, value in facts.items())
    )
