"""The SSL family's trainer: joint-embedding training behind the `family.Trainer`
contract, and the measures of every run after the sweep (`finish`).

`make_trainer` builds one static config's program from the family's parts: the encoder
and predictor (`ssl.networks`, or a user's by import path, `ssl.own`), the two views
(`ssl.augment`) and the objective (`ssl.losses`: SimSiam, BYOL, VICReg, InfoNCE or Barlow
Twins, ``config.model.ssl_loss``).
`check_data` refuses data the family cannot train on before anything compiles.

The collapse measures are `ssl.monitor`'s (the public API's): ``std_normalized`` on a
train subset after every ``log_every`` steps inside the compiled program (with
``xp=jax.numpy``), the onset from its trace at evaluation, and every other measure from
each run's eval embeddings after the sweep (`finish`).

Optimiser ``config.train.optimizer`` (adam or sgd) with ``learning_rate``; decoupled
``weight_decay``: every step p ← p − lr·(u + wd·p) (for SGD, L2 regularisation of
strength wd/2 in the loss, as PyTorch's ``weight_decay``); the predictor's step is
scaled by ``predictor_lr``. Inside the remedy window (``window_start``, ``window_steps``)
``target_gradient`` and ``vicreg_variance`` take ``window_target_gradient`` and
``window_vicreg_variance`` (`ssl.config.WINDOW`, `optim.window_hparams`). BYOL's target
network follows the online encoder by its EMA after every step (`ssl.losses.ema_momentum`).

Imported only when a sweep runs (`families.ssl` names it by path).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vaecollapse import assemble, data, optim, states
from vaecollapse.families import ssl as schema
from vaecollapse.families.ssl import config as ssl_config
from vaecollapse.families.ssl import monitor as embeddings
from vaecollapse.families.ssl import own
from vaecollapse.families.ssl.augment import augment
from vaecollapse.families.ssl.losses import (
    barlow_loss,
    byol_loss,
    ema_momentum,
    infonce_loss,
    simsiam_loss,
    vicreg_loss,
)
from vaecollapse.families.ssl.networks import (
    ConvEncoder,
    Encoder,
    LinearEncoder,
    Predictor,
)
from vaecollapse.family import Trace, Trainer


class State(NamedTuple):
    """One run's training state (a pytree: the sweep stacks runs along a leading axis)."""

    params: Any  # {"encoder": ..., "predictor": ...}
    opt_state: Any
    step: jax.Array  # int32, optimisation steps taken
    diverged: jax.Array  # bool
    diverged_step: jax.Array  # int32, first step with a non-finite loss or gradient; −1
    target: Any  # BYOL: the EMA of the encoder's parameters; else a placeholder int32 0


def check_data(config, dataset) -> None:
    """Images or vectors, at least 20 eval examples; labels (for the probe) optional; the
    conv encoder and shifts on images only (`image_settings`)."""
    if dataset.meta["kind"] == "tokens":
        raise ValueError(f"data {config.data.name!r} is tokens; family 'ssl' needs images")
    if min(len(dataset.test), config.train.eval_examples) < 20:
        raise ValueError(f"data {config.data.name!r}: family 'ssl' needs at least 20 eval examples")
    image_settings(config, dataset)


def image_settings(config, dataset) -> tuple[tuple[int, ...], int]:
    """The data's shape per example and ``config.model.aug_shift`` (default 0), checked:
    ``encoder="conv"`` and a shift > 0 need images ``[H, W, C]``, a shift in
    [0, min(H, W))."""
    shape = tuple(int(n) for n in dataset.train.shape[1:])
    is_image = len(shape) == 3
    kind = config.model.encoder
    if kind == "conv" and not is_image:
        raise ValueError(
            f"config.model.encoder={kind!r} is invalid for data {config.data.name!r} of shape "
            f"{shape}: 'conv' needs images [H, W, C]; allowed here: "
            f"{', '.join(e for e in ssl_config.ENCODERS if e != 'conv')}"
        )
    max_shift = config.model.aug_shift
    if not isinstance(max_shift, int) or max_shift < 0:
        raise ValueError(
            f"config.model.aug_shift={max_shift!r} is invalid: a number of pixels, an int >= 0"
        )
    if max_shift > 0 and not is_image:
        raise ValueError(
            f"config.model.aug_shift={max_shift!r} is invalid for data {config.data.name!r} "
            f"of shape {shape}: shifts need images [H, W, C]; allowed here: 0"
        )
    if max_shift > 0 and max_shift >= min(shape[:2]):
        raise ValueError(
            f"config.model.aug_shift={max_shift!r} is invalid: must be in [0, "
            f"{min(shape[:2])}) for images of shape {shape}"
        )
    return shape, max_shift


def make_trainer(config, dataset) -> Trainer:
    """The SSL family's `Trainer` for one static config."""
    ssl_config.check_point(config)  # as grid.validate does, for a trainer built directly
    model = config.model
    latent_dim, norm, loss_name, kind = model.latent_dim, model.norm, model.ssl_loss, model.encoder
    mask_prob = float(model.mask_prob)
    cosine = bool(model.cosine)
    hidden = tuple(config.model.encoder_hidden)
    shape, max_shift = image_settings(config, dataset)
    output_norm, output_affine = bool(model.output_norm), bool(model.output_affine)
    meta = {**dataset.meta, "shape": shape}
    if data.is_import_path(kind):  # a user's encoder by import path, its contract checked
        encoder = own.own_encoder(model, meta, shape)
    elif kind == "linear":
        encoder = LinearEncoder(hidden, latent_dim)
    elif kind == "conv":
        features = tuple(config.model.conv_features)
        encoder = ConvEncoder(shape, features, hidden, latent_dim, norm, output_norm, output_affine)
    else:
        encoder = Encoder(hidden, latent_dim, norm, output_norm, output_affine)
    predictor = None
    if loss_name in ("simsiam", "byol"):
        predictor = Predictor(latent_dim, norm)
        if data.is_import_path(model.predictor):  # a user's predictor by import path
            predictor = own.own_predictor(model, meta)
    batch, log_every = config.train.batch_size, config.train.log_every
    num_trace = config.diagnostics.trace_examples
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    features = flat(dataset.train).shape[-1]
    noise_from = int(model.noise_from)
    if not 0 <= noise_from < features:
        raise ValueError(
            f"config.model.noise_from={noise_from!r} is invalid: must be in [0, {features})"
        )
    tx = optim.make_optimizer(config.train.optimizer)
    ema_cosine = model.ema_schedule == "cosine"
    total_steps = config.train.steps

    def embed(params, x):
        return encoder.apply({"params": params["encoder"]}, x)

    def init(key):
        k_enc, k_pred = jax.random.split(jax.random.fold_in(key, 1))
        params = {"encoder": encoder.init(k_enc, jnp.zeros((2, features)))["params"]}
        if predictor is not None:
            dummy = jnp.zeros((2, latent_dim))
            params["predictor"] = predictor.init(k_pred, dummy)["params"]
        target = params["encoder"] if loss_name == "byol" else jnp.int32(0)
        return State(params, tx.init(params), jnp.int32(0), jnp.bool_(False), jnp.int32(-1), target)

    def loss_fn(params, key, x, hparams, target):
        k1, k2 = jax.random.split(key)
        views = (hparams["aug_noise"], mask_prob, noise_from, shape, max_shift)
        x1, x2 = augment(k1, x, *views), augment(k2, x, *views)
        z1, z2 = embed(params, x1), embed(params, x2)
        if loss_name == "vicreg":
            return vicreg_loss(
                z1,
                z2,
                hparams["vicreg_invariance"],
                hparams["vicreg_variance"],
                hparams["vicreg_covariance"],
            )
        if loss_name == "infonce":
            return infonce_loss(z1, z2, hparams["temperature"], cosine)
        if loss_name == "barlow":
            return barlow_loss(z1, z2, hparams["barlow_offdiag"])
        predict = lambda z: predictor.apply({"params": params["predictor"]}, z)  # noqa: E731
        if loss_name == "byol":
            t1 = jax.lax.stop_gradient(encoder.apply({"params": target}, x1))
            t2 = jax.lax.stop_gradient(encoder.apply({"params": target}, x2))
            return byol_loss(predict(z1), predict(z2), t1, t2)
        return simsiam_loss(predict(z1), predict(z2), z1, z2, hparams["target_gradient"])

    def advance(state, hparams, key, x):
        lr, decay = hparams["learning_rate"], hparams["weight_decay"]
        scale = {"encoder": lr, "predictor": lr * hparams["predictor_lr"]}

        def one(state, _):
            k_step = jax.random.fold_in(jax.random.fold_in(key, 2), state.step)
            k_rows, k_views = jax.random.split(k_step)
            rows = jax.random.randint(k_rows, (batch,), 0, len(x))
            h = optim.window_hparams(hparams, state.step, ssl_config.WINDOW)
            value, grads = jax.value_and_grad(loss_fn)(
                state.params, k_views, x[rows], h, state.target
            )
            finite = jnp.isfinite(value) & optim.all_finite(grads)
            updates, opt_state = tx.update(grads, state.opt_state)
            params = {
                part: jax.tree.map(
                    lambda p, u, s=scale[part]: p - s * (u + decay * p), state.params[part], u
                )
                for part, u in updates.items()
            }
            target = state.target
            if loss_name == "byol":
                tau = ema_momentum(hparams["ema_momentum"], state.step, total_steps, ema_cosine)
                target = jax.tree.map(
                    lambda t, p: tau * t + (1 - tau) * p, state.target, params["encoder"]
                )
            new = optim.guarded_step(
                state, finite, params=params, opt_state=opt_state, target=target
            )
            return new, value

        state, losses = jax.lax.scan(one, state, None, length=log_every)
        std = embeddings.std_normalized(embed(state.params, x[:num_trace]), xp=jnp)
        return state, {"loss": jnp.mean(losses), "std_normalized": std}

    def evaluate(state, key, hparams, traces, eval_data, steps):
        """The eval embeddings, the loss and the onset; the measures that need a
        singular value decomposition or a solve are taken from the embeddings after the
        sweep (`finish`): LAPACK calls in a program sharded over several CPU devices
        beside the network hung XLA:CPU on 2 cores."""
        x, _ = eval_data
        return {
            "embeddings": embed(state.params, x),
            "loss": loss_fn(state.params, key, x, hparams, state.target),
            "collapse_onset_step": states.collapse_onset_step(
                traces["std_normalized"], steps, schema.STD_THRESHOLD
            ),
        }

    n_eval = config.train.eval_examples
    test_labels = None if dataset.test_labels is None else dataset.test_labels[:n_eval]
    return Trainer(
        init=init,
        advance=advance,
        evaluate=evaluate,
        trace={"loss": Trace(), "std_normalized": Trace()},
        evaluate_traces=("std_normalized",),
        train_data=jnp.asarray(flat(dataset.train), jnp.float32),
        eval_data=optim.data_arrays(
            jnp.asarray(flat(dataset.test[:n_eval]), jnp.float32), test_labels
        ),
        trace_bytes=8,
    )


def finish(config, dataset, variables: dict) -> tuple[dict, dict, dict]:
    """Every run's measures from its eval embeddings by the public API
    (`monitor.diagnose_embeddings`, float64): one implementation for the sweep and for
    anyone re-measuring a run. The embeddings (``eval_embeddings [..., example,
    embedding]``) and their labels (``eval_labels [example]``) stay in ``results.nc``
    unless ``config.diagnostics.keep_eval_arrays`` is False."""
    dims, z = variables["embeddings"]
    z = np.asarray(z)
    labels = None
    if dataset.test_labels is not None:
        labels = np.asarray(dataset.test_labels[: z.shape[-2]])
    state_codes = {name: code for code, name in schema.STATE_NAMES.items()}

    def measure(run: np.ndarray) -> dict:
        if not np.isfinite(run).all():  # a diverged run (see `diverged`): NaN, the rule's
            d = run.shape[-1]  # state of NaN measures
            code = schema.collapse_state(np.nan, np.nan, np.nan, len(run), d)
            return dict.fromkeys(("std_normalized", "rankme", "probe_accuracy"), np.nan) | {
                "spectrum": np.full(d, np.nan),
                "collapse_state": code,
            }
        r = embeddings.diagnose_embeddings(run, labels)
        return {
            "std_normalized": r.std_normalized,
            "rankme": r.rankme,
            "spectrum": r.spectrum,
            "probe_accuracy": np.nan if r.probe_accuracy is None else r.probe_accuracy,
            "collapse_state": state_codes[r.state],
        }

    extra = {"embeddings": None}
    extra.update(assemble.measure_runs((dims, z), measure, {"spectrum": "rank"}))
    grid_dims = list(dims[:-2])
    if config.diagnostics.keep_eval_arrays:
        extra["eval_embeddings"] = ([*grid_dims, "example", "embedding"], z)
        if labels is not None:
            extra["eval_labels"] = (["example"], labels)
    return extra, {}, {"eval_examples": int(z.shape[-2])}
