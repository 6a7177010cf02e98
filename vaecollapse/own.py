"""A user's networks named by import path: the parts of every family's contract check that
are the same (the VAE's `models.own_pair`, SSL's and GAN's `own`).

A config field holding ``"package.module:make"`` names ``make(config.model, meta)``, which
returns a flax.linen Module; `make_module` resolves and calls it, `trace` runs the module
on a batch of `CHECK_BATCH` by `jax.eval_shape` (shapes only: nothing runs or compiles)
and refuses variables other than parameters (the trainers apply modules as
``apply({"params": ...}, x)``); `shapes`, `dims` and `first_line` write what came back in
the one-line errors.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax

from vaecollapse import data

CHECK_BATCH = 2  # the batch a user's module is traced with


def where(config_model: Any, field: str) -> str:
    """The start of an error about ``config.model.FIELD``: ``config.model.FIELD='…'``."""
    return f"config.model.{field}={config_model[field]!r}"


def make_module(config_model: Any, field: str, meta: dict[str, Any]) -> nn.Module:
    """The module ``make(config_model, meta)`` returns, ``make`` named by
    ``config_model[field]``.

    Raises:
      ValueError: one line: the path does not resolve, ``make`` raised, or it returned
        something other than one flax.linen Module.
    """
    make = data.resolve_path(config_model[field], f"model.{field}")
    try:
        module = make(config_model, meta)
    except Exception as err:
        raise ValueError(
            f"{where(config_model, field)} raised {type(err).__name__}: {first_line(err)}"
        ) from err
    if not isinstance(module, nn.Module):
        raise ValueError(
            f"{where(config_model, field)} must return one flax.linen Module; it returned "
            f"{type(module).__name__}"
        )
    return module


def trace(where_: str, what: str, module: nn.Module, args: tuple, given: str, hint: str) -> Any:
    """``module``'s output on ``args`` (`jax.ShapeDtypeStruct`s) by `jax.eval_shape`;
    ``where_`` starts the errors (`where`), ``what`` names the module in them (``encoder``).

    Raises:
      ValueError: one line: the module failed on ``given`` (``args`` in words), or holds
        variables other than parameters (``hint``: what to do instead).
    """

    def init(*a):
        return module.init_with_output(jax.random.PRNGKey(0), *a)

    try:
        out, variables = jax.eval_shape(init, *args)
    except Exception as err:
        raise ValueError(
            f"{where_}: the {what} failed on {given}: {type(err).__name__}: {first_line(err)}"
        ) from err
    extra = sorted(set(variables) - {"params"})
    if extra:
        raise ValueError(
            f"{where_}: the {what} holds variables other than parameters "
            f"({', '.join(extra)}); {hint}"
        )
    return out


def is_shaped(value: Any) -> bool:
    """An array or a `jax.ShapeDtypeStruct`."""
    return hasattr(value, "shape") and hasattr(value, "dtype")


def dims(shape: tuple[int, ...]) -> str:
    """``[2, 8]``."""
    return f"[{', '.join(map(str, shape))}]"


def shapes(value: Any) -> str:
    """What a module returned, in shapes: ``[2, 8]``, ``([2, 8], [2, 8])``, ``a dict``."""
    if is_shaped(value):
        return dims(tuple(value.shape))
    if isinstance(value, tuple | list):
        return f"({', '.join(shapes(v) for v in value)})" if value else "()"
    return f"a {type(value).__name__}"


def first_line(err: BaseException) -> str:
    """An exception's message, its first line only (the errors stay one line)."""
    return (str(err).strip().splitlines() or [""])[0]
