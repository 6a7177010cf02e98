"""The training pieces every family uses: the optimiser and the learning rate's schedule
by name, the ``(x, labels)`` arrays the pure functions take, and the finite-step guard.

Every family's step is a pure function of (parameters, hyperparameters as arrays, key,
data); these are the parts of it that are not a family's own. The swept learning rate is
applied by the step (`make_optimizer` returns the rate-free direction), so it stays an
array in the trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from vaecollapse import choices, registry

Array = jax.Array
Data = tuple[Array, Array]  # (examples [N, *shape], int32 labels [N]; zeros when unlabelled)


def data_arrays(x, labels) -> Data:
    """The ``(x, labels)`` pair the pure functions take; labels are zeros when absent."""
    labels = np.zeros(len(x), np.int32) if labels is None else labels
    return jnp.asarray(x), jnp.asarray(labels, jnp.int32)


def make_optimizer(name: str) -> optax.GradientTransformation:
    """The learning-rate-free direction ``name`` names in `choices.OPTIMIZERS`; the
    (vmapped) rate is applied by the step. Raises ValueError on an unknown name."""
    return registry.lookup(choices.OPTIMIZERS, name, f"optimizer {name!r}").load()()


def make_lr_factor(name: str, total_steps: int) -> Callable[[Array], Array]:
    """Multiplier of the (swept) learning rate at a step, of the schedule ``name`` names
    in `choices.LR_SCHEDULES`. Raises ValueError on an unknown name."""
    return registry.lookup(choices.LR_SCHEDULES, name, f"lr schedule {name!r}").load()(total_steps)


def constant_lr(total_steps: int) -> Callable[[Array], Array]:
    """The ``constant`` learning-rate schedule: factor 1."""
    return lambda step: jnp.float32(1.0)


def cosine_lr(total_steps: int) -> Callable[[Array], Array]:
    """The ``cosine`` learning-rate schedule: ½(1 + cos(π t/T)), to 0 at the last step
    (Loshchilov & Hutter 2017)."""
    return lambda step: 0.5 * (1.0 + jnp.cos(jnp.pi * step / total_steps))


def in_window(hparams: dict, step: Array) -> Array:
    """Whether optimisation step ``step`` is inside the run's remedy window,
    ``window_start`` ≤ step < ``window_start`` + ``window_steps`` (never when
    ``window_steps`` is 0: the control in the same vmapped grid)."""
    t = jnp.asarray(step, jnp.float32) - hparams["window_start"]
    return (t >= 0) & (t < hparams["window_steps"])


def window_hparams(hparams: dict, step: Array, replaced: dict[str, str]) -> dict:
    """``hparams`` at optimisation step ``step``: inside the window (`in_window`) each
    hyperparameter named by ``replaced``'s keys takes the value of the one its value names
    (e.g. ``{"r1_gamma": "window_r1_gamma"}``: R1's weight inside the window), outside it
    keeps its own. A pure function of arrays: the window is swept like any hyperparameter."""
    inside = in_window(hparams, step)
    return {
        **hparams,
        **{name: jnp.where(inside, hparams[w], hparams[name]) for name, w in replaced.items()},
    }


def all_finite(tree) -> Array:
    """Whether every leaf of ``tree`` is finite everywhere (a scalar bool)."""
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves]))


def select(condition: Array, if_true: Any, if_false: Any) -> Any:
    """Leaf by leaf, ``if_true`` where the (per-run scalar) ``condition`` holds, else
    ``if_false`` (two pytrees of one structure)."""
    return jax.tree_util.tree_map(lambda t, f: jnp.where(condition, t, f), if_true, if_false)


def guarded_step(state, finite: Array, **updates):
    """The finite-step guard of one step: ``state`` (a NamedTuple with ``step``,
    ``diverged``, ``diverged_step``) advanced by one step, each field in ``updates`` taking
    its new value only where the step's loss and gradients were ``finite`` and the run had
    not diverged before; a run is flagged ``diverged`` at its first non-finite step, and
    ``diverged_step`` keeps that step (−1 while it has not), so a diverged run stays frozen
    at its last finite state."""
    ok = finite & ~state.diverged
    kept = {name: select(ok, new, getattr(state, name)) for name, new in updates.items()}
    return state._replace(
        **kept,
        step=state.step + 1,
        diverged=state.diverged | ~finite,
        diverged_step=jnp.where(state.diverged | finite, state.diverged_step, state.step),
    )
