"""A whole training run as a pure function of (hyperparameters, PRNG key, data).

`make_train_fns` computes every shape-setting value in Python and returns pure `init`
and `advance`; `make_train` composes them into ``train(hparams, key)`` (purejaxrl
style). Minibatches are drawn on device inside `jax.lax.scan`; per-step keys are
``fold_in(key, step)``, so splitting a run into segments (for checkpoints) changes
nothing. A run whose loss or gradients turn non-finite is flagged ``diverged`` and
frozen at its last logged state before that step; its trace stops there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from vaecollapse import config as config_lib
from vaecollapse import optim
from vaecollapse.data import Dataset
from vaecollapse.families.vae import diagnostics, losses, objectives, schedules
from vaecollapse.families.vae.models import VAE

Array = jax.Array
Hparams = dict[str, Array]
Data = optim.Data


class TrainState(NamedTuple):
    """Per-run training state (a pytree; vmapped it gains a leading run axis)."""

    params: Any
    opt_state: Any
    step: Array  # int32, number of optimisation steps taken
    diverged: Array  # bool
    diverged_step: Array  # int32, first step whose loss or gradients were non-finite; −1 if none
    codebook_stats: Any  # VQ-VAE (EMA usage counts [K], EMA sums [K, d/G]); dummies otherwise
    # Aggressive inference (He et al. 2019; `train.aggressive_steps` > 0): still in the
    # aggressive phase (bool), I(x; z) of the last logged probe, and the encoder's own Adam
    # state for the inner encoder-only steps; False, −inf and () when off.
    aggressive: Array
    last_mi: Array
    encoder_opt_state: Any


ENCODER_PARAMS = ("encoder", "bn_shift")  # q(z|x)'s parameters; the rest is p(x|z)'s


def encoder_part(params: Any) -> dict:
    """The inference network's parameters (`ENCODER_PARAMS`) of a VAE's ``params``."""
    return {k: v for k, v in params["params"].items() if k in ENCODER_PARAMS}


def with_part(params: Any, part: dict) -> Any:
    """``params`` with the top-level modules of ``part`` replaced by ``part``'s."""
    return {**params, "params": {**params["params"], **part}}


def decoder_part(params: Any) -> dict:
    """The generative model's parameters: everything but `encoder_part`."""
    return {k: v for k, v in params["params"].items() if k not in ENCODER_PARAMS}


class Draws(NamedTuple):
    """The random numbers of optimisation steps (leading ``[L]`` axis for an interval)."""

    index: Array  # int32 [B]: the minibatch's example indices
    eps: Array  # float32 [B, d] ([k, B, d] with k IWAE samples): standard-normal noise
    drop_key: Array  # PRNG key of the context-dropout mask


class TrainFns(NamedTuple):
    """Pure pieces of a run; shapes are fixed by the config they were made from.

    init(key) -> TrainState: the run's initial state (parameters from its key alone)
    advance(state, hparams, key, train_data) -> (state, trace): ``log_every`` steps; the
      trace holds that interval's means (over the steps before any divergence; NaN
      once diverged) of ``loss``, ``recon``, ``kl`` (unweighted),
      ``beta`` (in force) and ``kl_per_dim`` ``[d]``, and ``active_units`` and
      ``mutual_info`` at its end on the first ``diagnostics.trace_examples`` training
      examples.
    interval_draws(key, step) -> `Draws` ``[L, ...]``: from the run's key, the random
      numbers of the ``L = log_every`` steps from ``step`` on, as `advance` draws them
      (exposed to measure their cost on their own).
    step(state, hparams, key, train_data) -> (state, metrics): one optimisation step, the
      same as a step of `advance` but without its interval bookkeeping (no probe, no
      trace means; a diverged run is flagged, not frozen; the aggressive phase's switch
      and the pretrained encoder's decoder reset happen only in `advance`): what a
      Python loop calls.
    """

    init: Callable[[Array], TrainState]
    advance: Callable[..., tuple[TrainState, dict[str, Array]]]
    interval_draws: Callable[[Array, Array], Draws]
    step: Callable[..., tuple[TrainState, dict[str, Array]]]


class RunKeys(NamedTuple):
    """The independent PRNG streams of one run, split from its key (from its seed)."""

    init: Array  # parameter initialisation
    steps: Array  # base of the per-step keys: fold_in(steps, step) (`Draws`)
    probe: Array  # base of the logged probes' keys: fold_in(probe, step)


def run_keys(key: Array) -> RunKeys:
    """Split a run's key into its `RunKeys`."""
    return RunKeys(*jax.random.split(key, 3))


def _masked_mean(values: Array, live: Array) -> Array:
    """Mean over the leading (step) axis of the steps where ``live``; NaN if none."""
    mask = live.reshape(live.shape + (1,) * (values.ndim - 1))
    return jnp.sum(jnp.where(mask, values, 0.0), axis=0) / jnp.sum(live)


def _undo_if_diverged(start: TrainState, end: TrainState) -> TrainState:
    """``end``, or, if the run has diverged, ``start``'s parameters, optimiser and
    codebook state under ``end``'s step and flags: a diverged run stays frozen at the
    state it had at the start of the logged interval in which it diverged.

    Checking once per interval instead of once per step keeps the guard off the
    step's critical path (a per-step select of every parameter and optimiser leaf
    cost a third of the reference model's step time on CPU).
    """
    restore = lambda old, new: optim.select(end.diverged, old, new)  # noqa: E731
    return end._replace(
        params=restore(start.params, end.params),
        opt_state=restore(start.opt_state, end.opt_state),
        codebook_stats=restore(start.codebook_stats, end.codebook_stats),
        encoder_opt_state=restore(start.encoder_opt_state, end.encoder_opt_state),
    )


def make_train_fns(config: Any, model: VAE, dataset: Dataset) -> TrainFns:
    """Build the pure `TrainFns` of one run for this static config (a compile's config,
    static values written in); names and settings are resolved here, outside any trace."""
    batch_size = config.train.batch_size
    log_every = config.train.log_every
    total_steps = config.train.steps
    beta_at = schedules.by_name(config.train.schedule)
    latent_dim = config.model.latent_dim
    num_train = dataset.train.shape[0]
    example = jnp.zeros((1, *dataset.train.shape[1:]), dataset.train.dtype)
    example_label = jnp.zeros((1,), jnp.int32)
    settings = diagnostics.Settings.from_config(config)
    tx = optim.make_optimizer(config.train.optimizer)
    lr_factor = optim.make_lr_factor(config.train.lr_schedule, total_steps)
    use_mmd = config_lib.can_be_nonzero(config, "mmd_weight")  # compiled only when used
    iwae_samples = int(config.train.iwae_samples)
    grad_fn = jax.value_and_grad(losses.make_loss_fn(model, use_mmd, iwae_samples), has_aux=True)
    eps_shape = (
        (batch_size, latent_dim) if iwae_samples == 1 else (iwae_samples, batch_size, latent_dim)
    )
    vq = model.quantizer
    probe_model = model.clone(dtype=jnp.float32)
    aggressive_cap = int(config.train.aggressive_steps)
    aggressive_check = int(config.train.aggressive_check)
    pretrain_steps = int(config.train.pretrain_steps)

    def initial_params(init_key: Array) -> Any:
        """The model's parameters initialised from ``init_key``."""
        strength = None if model.posterior == "gaussian" else jnp.float32(1.0)  # shapes only
        return model.init(
            init_key, example, jnp.zeros((1, latent_dim)), None, example_label, strength
        )

    def init(key: Array) -> TrainState:
        params = initial_params(run_keys(key).init)
        if vq is None:
            stats = (jnp.ones(1), jnp.zeros((1, 1)))
        else:  # every code starts as if used once, at its initial position
            codebook = params["params"]["quantizer"]["codebook"]
            stats = (jnp.ones(codebook.shape[0]), codebook)
        return TrainState(
            params=params,
            # with aggressive inference encoder and decoder keep separate Adam states (He
            # et al.'s two optimisers): the decoder's here, the encoder's below
            opt_state=tx.init({"params": decoder_part(params)} if aggressive_cap else params),
            step=jnp.int32(0),
            diverged=jnp.bool_(False),
            diverged_step=jnp.int32(-1),
            codebook_stats=stats,
            aggressive=jnp.bool_(aggressive_cap > 0),
            last_mi=jnp.float32(-jnp.inf),
            encoder_opt_state=tx.init(encoder_part(params)) if aggressive_cap else (),
        )

    def update_codebook(params, stats, extras, hparams, key):
        """VQ-VAE: EMA of code usage (and of the codebook itself with ``ema``), then
        dead-code restarts where ``hparams['dead_code_restart']`` is 1."""
        counts, sums, ema_codebook = objectives.vq_ema_update(
            *stats, extras["z_e"], extras["indices"], decay=hparams["vq_decay"]
        )
        codebook = params["params"]["quantizer"]["codebook"]
        if vq.update == "ema":
            codebook = ema_codebook
        codebook, counts, sums = objectives.restart_dead_codes(
            codebook, counts, sums, extras["z_e"], key, enabled=hparams["dead_code_restart"]
        )
        inner = {**params["params"], "quantizer": {"codebook": codebook}}
        return {**params, "params": inner}, (counts, sums)

    def step_draws(step_key: Array, step: Array) -> Draws:
        """One step's `Draws`, from ``fold_in(step_key, step)`` (``step_key``: the run's
        base of per-step keys, `run_keys`)."""
        batch_key, eps_key, drop_key = jax.random.split(jax.random.fold_in(step_key, step), 3)
        index = jax.random.randint(batch_key, (batch_size,), 0, num_train)
        return Draws(index, jax.random.normal(eps_key, eps_shape), drop_key)

    def loss_and_grads(params, hparams: Hparams, draws: Draws, train_data: Data, beta):
        """The loss's metrics, extras and gradients at ``params`` on ``draws``' minibatch."""
        x, label = train_data[0][draws.index], train_data[1][draws.index]
        keep = jax.random.bernoulli(draws.drop_key, 1.0 - hparams["context_dropout"], x.shape)
        prior = None
        if use_mmd:  # the prior's samples of the MMD, from their own stream
            shape = (batch_size, latent_dim)
            prior = jax.random.normal(jax.random.fold_in(draws.drop_key, 2), shape)
        (_, (metrics, extras)), grads = grad_fn(
            params, x, label, draws.eps, keep, hparams, beta, prior
        )
        return metrics, extras, grads

    def aggressive_encoder(state: TrainState, hparams, draws: Draws, train_data, beta, lr):
        """He et al. (2019)'s inner loop: encoder-only Adam steps, each on a fresh
        minibatch, while the run is in its aggressive phase, at most ``aggressive_cap``
        of them, stopping when the mean loss of the last ``aggressive_check`` steps rose
        above that of the ``aggressive_check`` before. A `lax.while_loop`: vmapped, the
        group runs until its last run stops, the others' carries held (so once every run
        has left the phase the loop costs nothing). Returns (params, encoder Adam state)."""
        inner_key = jax.random.fold_in(draws.drop_key, 3)

        def body(carry):
            i, params, opt, previous, current, going = carry
            metrics, _, grads = loss_and_grads(
                params, hparams, step_draws(inner_key, i), train_data, beta
            )
            update, opt = tx.update(encoder_part(grads), opt, encoder_part(params))
            encoder = jax.tree_util.tree_map(lambda p, u: p - lr * u, encoder_part(params), update)
            params = with_part(params, encoder)
            current = current + metrics["loss"]
            check = (i + 1) % aggressive_check == 0
            going = jnp.isfinite(metrics["loss"]) & ~(check & (current > previous))
            previous = jnp.where(check, current, previous)
            current = jnp.where(check, 0.0, current)
            return i + 1, params, opt, previous, current, going

        def cond(carry):
            i, *_, going = carry
            return state.aggressive & going & (i < aggressive_cap)

        start = (
            jnp.int32(0), state.params, state.encoder_opt_state,
            jnp.float32(jnp.inf), jnp.float32(0.0), jnp.bool_(True),
        )  # fmt: skip
        _, params, opt, *_ = jax.lax.while_loop(cond, body, start)
        return params, opt

    def one_step(state: TrainState, hparams: Hparams, draws: Draws, train_data: Data):
        if pretrain_steps:  # Li et al. (2019): an autoencoder (β = 0), then the schedule anew
            after = state.step - pretrain_steps
            beta = beta_at(jnp.maximum(after, 0), hparams, total_steps - pretrain_steps)
            beta = jnp.where(after < 0, 0.0, beta)
        else:
            beta = beta_at(state.step, hparams, total_steps)
        lr = hparams["learning_rate"] * lr_factor(state.step)
        start_params, encoder_opt_state = state.params, state.encoder_opt_state
        if aggressive_cap:
            start_params, encoder_opt_state = aggressive_encoder(
                state, hparams, draws, train_data, beta, lr
            )
        metrics, extras, grads = loss_and_grads(start_params, hparams, draws, train_data, beta)
        if aggressive_cap:  # the decoder's Adam; the encoder's moves only out of the phase
            decoder, opt_state = tx.update(
                {"params": decoder_part(grads)},
                state.opt_state,
                {"params": decoder_part(start_params)},
            )
            encoder, moved = tx.update(
                encoder_part(grads), encoder_opt_state, encoder_part(start_params)
            )
            zeros = jax.tree_util.tree_map(jnp.zeros_like, encoder)
            encoder = optim.select(state.aggressive, zeros, encoder)
            encoder_opt_state = optim.select(state.aggressive, encoder_opt_state, moved)
            direction = {"params": {**decoder["params"], **encoder}}
        else:
            direction, opt_state = tx.update(grads, state.opt_state, start_params)
        params = jax.tree_util.tree_map(lambda p, u: p - lr * u, start_params, direction)
        stats = state.codebook_stats
        if vq is not None:
            restart_key = jax.random.fold_in(draws.drop_key, 1)
            params, stats = update_codebook(params, stats, extras, hparams, restart_key)
        # Loss and gradients at start_params; a non-finite one marks the run diverged
        # (its interval is undone in `advance`) and drops this step from the trace.
        finite = jnp.isfinite(metrics["loss"]) & optim.all_finite(grads)
        new_state = state._replace(
            params=params,
            opt_state=opt_state,
            step=state.step + 1,
            diverged=state.diverged | ~finite,
            diverged_step=jnp.where(state.diverged | finite, state.diverged_step, state.step),
            codebook_stats=stats,
            encoder_opt_state=encoder_opt_state,
        )
        return new_state, ({**metrics, "beta": beta}, ~new_state.diverged)

    def probe(params: Any, x: Array, label: Array, key: Array, hparams) -> dict[str, Array]:
        """Active units, I(x; z) and the pull on each dim's spread of means
        (`diagnostics.latent_pull`, for the early warning) on a fixed training subsample,
        at each logged step (VQ-VAE: active units of z_q and the code entropy,
        `diagnostics.vq_information`; no pull)."""
        if vq is not None:
            out = probe_model.apply(params, x, None, label, method=VAE.vq_forward)
            absent = jnp.full((latent_dim,), jnp.nan)  # no Gaussian posterior to pull on
            return {
                "active_units": diagnostics.active_units(out.z_q, settings.au_threshold),
                "mutual_info": diagnostics.vq_information(out.indices, vq.num_codes),
                **{name: absent for name in diagnostics.Pull._fields},
            }
        strength = objectives.posterior_strength(model.posterior, hparams)
        mean, log_var = probe_model.apply(params, x, label, strength, method=VAE.encode)

        def recon(z):  # the probed inputs' mean −log p(x|z), nothing hidden from the decoder
            return -jnp.mean(probe_model.apply(params, x, z, None, label, method=VAE.log_prob))

        eps = jax.random.normal(jax.random.fold_in(key, 1), mean.shape)  # not I(x; z)'s draw
        recon_grad = jax.grad(recon)(mean + jnp.exp(0.5 * log_var) * eps)
        pull = diagnostics.latent_pull(recon_grad, mean, log_var, hparams["free_bits"])
        return {
            "active_units": diagnostics.active_units(mean, settings.au_threshold),
            "mutual_info": diagnostics.mutual_information(mean, log_var, key, settings.mi_chunk),
            **pull._asdict(),
        }

    def interval_draws(key: Array, step: Array) -> Draws:
        # The interval's draws at once: one vectorised PRNG call instead of one per step
        # (the same numbers as drawing step by step).
        steps = step + jnp.arange(log_every, dtype=jnp.int32)
        return jax.vmap(step_draws, in_axes=(None, 0))(run_keys(key).steps, steps)

    def step(state: TrainState, hparams: Hparams, key: Array, train_data: Data):
        draws = step_draws(run_keys(key).steps, state.step)
        state, (metrics, _) = one_step(state, hparams, draws, train_data)
        return state, metrics

    def advance(state: TrainState, hparams: Hparams, key: Array, train_data: Data):
        start = state
        state, (metrics, live) = jax.lax.scan(
            lambda s, d: one_step(s, hparams, d, train_data),
            state,
            interval_draws(key, state.step),
        )
        metrics = jax.tree_util.tree_map(lambda m: _masked_mean(m, live), metrics)
        state = _undo_if_diverged(start, state)
        probe_x, probe_label = (a[: settings.trace_examples] for a in train_data)
        probe_key = jax.random.fold_in(run_keys(key).probe, state.step)
        probed = probe(state.params, probe_x, probe_label, probe_key, hparams)
        if aggressive_cap:  # leave the aggressive phase once I(x; z) stops rising
            mi = probed["mutual_info"]
            state = state._replace(aggressive=state.aggressive & (mi > state.last_mi), last_mi=mi)
        if pretrain_steps:  # Li et al. (2019): a fresh decoder once the autoencoder is trained
            state = reset_decoder(state, key)
        return state, {**metrics, **probed}

    def reset_decoder(state: TrainState, key: Array) -> TrainState:
        """At step ``pretrain_steps``: the decoder re-initialised (from its own key) and
        the optimiser restarted; the pretrained encoder kept. Otherwise ``state``. (Its
        init runs at every logged step, a fraction of one step's cost; under vmap a
        `lax.cond` would run both branches anyway.)"""
        fresh = initial_params(jax.random.fold_in(run_keys(key).init, 1))
        params = with_part(state.params, decoder_part(fresh))
        reset = (state.step == pretrain_steps) & ~state.diverged  # a diverged run stays frozen
        return state._replace(
            params=optim.select(reset, params, state.params),
            opt_state=optim.select(reset, tx.init(params), state.opt_state),
        )

    return TrainFns(init=init, advance=advance, interval_draws=interval_draws, step=step)


def make_train(config: Any, model: VAE, dataset: Dataset) -> Callable:
    """``train(hparams, key) -> (state, trace)``: the whole run as one pure function.

    The trace has one row per logged interval (``steps / log_every`` rows). The
    dataset is closed over; `sweep` uses `make_train_fns` to pass it as an argument.
    """
    fns = make_train_fns(config, model, dataset)
    num_logs = config.train.steps // config.train.log_every
    train_data = optim.data_arrays(dataset.train, dataset.train_labels)

    def train(hparams: Hparams, key: Array):
        state = fns.init(key)
        return jax.lax.scan(
            lambda s, _: fns.advance(s, hparams, key, train_data), state, None, length=num_logs
        )

    return train
