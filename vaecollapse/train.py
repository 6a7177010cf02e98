"""A whole training run as a pure function of (hyperparameters, PRNG key, data).

`make_train_fns` computes every shape-setting value in Python and returns pure `init`
and `advance`; `make_train` composes them into ``train(hparams, key)`` (purejaxrl
style). Minibatches are drawn on device inside `jax.lax.scan`; per-step keys are
``fold_in(key, step)``, so splitting a run into segments (for checkpoints) changes
nothing. A run whose loss or parameters turn non-finite is frozen at its last finite
state and flagged ``diverged``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from vaecollapse import diagnostics, objectives, schedules
from vaecollapse.data import Dataset
from vaecollapse.models import VAE

Array = jax.Array
Hparams = dict[str, Array]


class TrainState(NamedTuple):
    """Per-run training state (a pytree; vmapped it gains a leading run axis)."""

    params: Any
    previous_params: Any  # params one step back: restored if the loss at params is non-finite
    opt_state: Any
    step: Array  # int32, number of optimisation steps taken
    diverged: Array  # bool
    diverged_step: Array  # int32, first step whose update was non-finite; −1 if none


class TrainFns(NamedTuple):
    """Pure pieces of a run; shapes are fixed by the config they were made from.

    init(hparams, key, train_x) -> TrainState
    advance(state, hparams, key, train_x) -> (state, trace): ``log_every`` steps; the
      trace holds that interval's means of ``loss``, ``recon``, ``kl`` (unweighted),
      ``beta`` (in force) and ``kl_per_dim`` ``[d]``, and ``active_units`` and
      ``mutual_info`` at its end on the first ``diagnostics.trace_examples`` training
      examples.
    """

    init: Callable[..., TrainState]
    advance: Callable[..., tuple[TrainState, dict[str, Array]]]


def beta_at(schedule: str, step: Array, hparams: Hparams, total_steps: int) -> Array:
    """β in force at ``step`` under the named schedule, parameters from ``hparams``."""
    h = hparams
    if schedule == "constant":
        return schedules.constant(step, beta=h["beta"])
    if schedule == "linear_warmup":
        return schedules.linear_warmup(step, beta=h["beta"], warmup_steps=h["warmup_steps"])
    if schedule == "cyclical":
        return schedules.cyclical(
            step, beta=h["beta"], total_steps=total_steps, cycles=h["cycles"], ratio=h["ratio"]
        )
    return schedules.sigmoid(step, beta=h["beta"], midpoint=h["midpoint"], steepness=h["steepness"])


def make_optimizer(name: str) -> optax.GradientTransformation:
    """The learning-rate-free direction; the (vmapped) rate is applied by the step."""
    return optax.scale_by_adam() if name == "adam" else optax.identity()


def make_lr_factor(name: str, total_steps: int) -> Callable[[Array], Array]:
    """Multiplier of the (swept) learning rate: ``constant`` 1, or ``cosine`` decay
    ½(1 + cos(π t/T)) to 0 at the last step (Loshchilov & Hutter 2017)."""
    if name == "cosine":
        return lambda step: 0.5 * (1.0 + jnp.cos(jnp.pi * step / total_steps))
    return lambda step: jnp.float32(1.0)


def run_keys(key: Array) -> tuple[Array, Array, Array]:
    """(init key, base of the per-step keys, base of the logged-probe keys) of a run."""
    init_key, step_key, probe_key = jax.random.split(key, 3)
    return init_key, step_key, probe_key


def make_loss_fn(model: VAE) -> Callable:
    """loss(params, x, eps, keep, beta, free_bits) -> (scalar loss, metrics).

    loss = E_batch[−log p(x|z)] + β · Σ_j max(λ, E_batch KL_j)  (β-VAE with free bits);
    ``keep`` is the context-dropout mask (ignored by factorised decoders).
    """

    def loss_fn(params, x, eps, keep, beta, free_bits):
        mean, log_var, log_px = model.apply(params, x, eps, keep)
        kl_dims = objectives.gaussian_kl(mean, log_var)
        recon = -jnp.mean(log_px)
        loss = recon + beta * objectives.free_bits_kl(kl_dims, free_bits)
        kl_per_dim = jnp.mean(kl_dims, axis=0)
        return loss, {
            "loss": loss,
            "recon": recon,
            "kl": jnp.sum(kl_per_dim),
            "kl_per_dim": kl_per_dim,
        }

    return loss_fn


def _all_finite(tree) -> Array:
    leaves = jax.tree_util.tree_leaves(tree)
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in leaves]))


def make_train_fns(config: Any, model: VAE, dataset: Dataset) -> TrainFns:
    """Build the pure `init`/`advance` of one run for this static config."""
    batch_size = config.train.batch_size
    log_every = config.train.log_every
    total_steps = config.train.steps
    schedule = config.train.schedule
    latent_dim = config.model.latent_dim
    num_train = dataset.train.shape[0]
    example = jnp.zeros((1, *dataset.train.shape[1:]), dataset.train.dtype)
    diag = config.diagnostics
    tx = make_optimizer(config.train.optimizer)
    lr_factor = make_lr_factor(config.train.lr_schedule, total_steps)
    grad_fn = jax.value_and_grad(make_loss_fn(model), has_aux=True)

    def init(hparams: Hparams, key: Array, train_x: Array) -> TrainState:
        del train_x  # shapes come from the static config
        init_key, _, _ = run_keys(key)
        params = model.init(init_key, example, jnp.zeros((1, latent_dim)))
        return TrainState(
            params=params,
            previous_params=params,
            opt_state=tx.init(params),
            step=jnp.int32(0),
            diverged=jnp.bool_(False),
            diverged_step=jnp.int32(-1),
        )

    def one_step(state: TrainState, hparams: Hparams, step_key: Array, train_x: Array):
        key = jax.random.fold_in(step_key, state.step)
        batch_key, eps_key, drop_key = jax.random.split(key, 3)
        x = train_x[jax.random.randint(batch_key, (batch_size,), 0, num_train)]
        eps = jax.random.normal(eps_key, (batch_size, latent_dim))
        keep = jax.random.bernoulli(drop_key, 1.0 - hparams["context_dropout"], x.shape)
        beta = beta_at(schedule, state.step, hparams, total_steps)
        (_, metrics), grads = grad_fn(state.params, x, eps, keep, beta, hparams["free_bits"])
        direction, opt_state = tx.update(grads, state.opt_state, state.params)
        lr = hparams["learning_rate"] * lr_factor(state.step)
        params = jax.tree_util.tree_map(lambda p, u: p - lr * u, state.params, direction)
        # The loss is evaluated at state.params: if it is non-finite those params are
        # already bad, so the run is frozen at previous_params, the last finite state.
        finite = jnp.isfinite(metrics["loss"]) & _all_finite(grads)
        newly_bad = ~state.diverged & ~finite
        frozen = state.diverged | ~finite
        keep = lambda old, new: jax.tree_util.tree_map(  # noqa: E731
            lambda o, n: jnp.where(frozen, o, n), old, new
        )
        new_state = TrainState(
            params=keep(state.previous_params, params),
            previous_params=keep(state.previous_params, state.params),
            opt_state=keep(state.opt_state, opt_state),
            step=state.step + 1,
            diverged=frozen,
            diverged_step=jnp.where(newly_bad, state.step, state.diverged_step),
        )
        return new_state, {**metrics, "beta": beta}

    def probe(params: Any, x: Array, key: Array) -> dict[str, Array]:
        """Active units and I(x; z) on a fixed training subsample, at each logged step."""
        mean, log_var = model.apply(params, x, method=VAE.encode)
        return {
            "active_units": diagnostics.active_units(mean, diag.au_threshold),
            "mutual_info": diagnostics.mutual_information(mean, log_var, key, diag.mi_chunk),
        }

    def advance(state: TrainState, hparams: Hparams, key: Array, train_x: Array):
        _, step_key, probe_key = run_keys(key)
        state, metrics = jax.lax.scan(
            lambda s, _: one_step(s, hparams, step_key, train_x), state, None, length=log_every
        )
        metrics = jax.tree_util.tree_map(lambda m: jnp.mean(m, axis=0), metrics)
        probe_x = train_x[: diag.trace_examples]
        return state, {
            **metrics,
            **probe(state.params, probe_x, jax.random.fold_in(probe_key, state.step)),
        }

    return TrainFns(init=init, advance=advance)


def make_train(config: Any, model: VAE, dataset: Dataset) -> Callable:
    """``train(hparams, key) -> (state, trace)``: the whole run as one pure function.

    The trace has one row per logged interval (``steps / log_every`` rows). The
    dataset is closed over; `sweep` uses `make_train_fns` to pass it as an argument.
    """
    fns = make_train_fns(config, model, dataset)
    num_logs = config.train.steps // config.train.log_every
    train_x = jnp.asarray(dataset.train)

    def train(hparams: Hparams, key: Array):
        state = fns.init(hparams, key, train_x)
        return jax.lax.scan(
            lambda s, _: fns.advance(s, hparams, key, train_x), state, None, length=num_logs
        )

    return train
