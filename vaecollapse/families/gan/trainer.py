"""The GAN family's trainer: a generator and a discriminator trained against each other
behind the `family.Trainer` contract (init, advance, evaluate), and `finish`, every run's
measures after the sweep.

The networks are `gan.networks` (or a user's by import path, ``generator`` and
``discriminator``, `gan.own`), the losses and penalties `gan.losses`. Static knobs
(``config.model``, one compile each; `settings` checks them): ``gan_loss`` (``"ns"``,
``"wgan"``), ``generator_hidden`` and ``discriminator_hidden``, ``d_steps``
(discriminator updates per generator update, each on fresh samples), ``pack`` (PacGAN's
m: both players draw ``batch_size``·m samples per update), ``spectral_norm``,
``minibatch_std`` and ``unroll`` (D's look-ahead steps in the generator's loss, each a
full Adam update on the same generated batch).

Swept knobs (``hparams``, arrays in the trace): ``learning_rate`` (the generator's),
``d_lr_ratio`` (D's learning rate over G's), ``adam_b1`` (Adam's β₁ of both players),
``r1_gamma`` and ``gp_lambda`` (the penalties' weights); a remedy window
(``window_start``, ``window_steps``; `optim.in_window`) in which R1's weight is
``window_r1_gamma`` and D's learning rate is multiplied by ``window_d_lr_factor``. A
penalty's double backward pass is compiled only when the config can make it non-zero
(default non-zero, swept, or set by a variant).

Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization") is written here so
that β₁ can be an array (`adam_step`; β₂ = `ADAM_B2`, ε = `ADAM_EPS`). Both learning
rates follow ``config.train.lr_schedule`` (`choices.LR_SCHEDULES`: ``constant``,
``cosine`` to 0 at the last step). Real samples are drawn on device from the mixture's
means and std at every update (``dataset.meta['modes']``, ``['mode_std']``); on stacked
digits (``stacked_digits``), uniformly from the train stacks, and the generator's images
(``[N, 8·8·3]`` flattened, in [0, 1] by a sigmoid) are read by the mode classifier
(`gan.digits`) on device: ``network = "conv"`` picks the small DCGAN-style players. One
training step is ``d_steps`` D updates then one G update; ``train.steps`` counts G
updates. At each logged interval the compiled run measures `gan.TRACE_SAMPLES` generated
samples (`traced_modes`: `gan.monitor`'s formulas in ``jax.numpy``); the eval samples'
measures are taken after the sweep by `gan.monitor` itself (`finish`).

Imported only when a sweep runs (`families.gan` names it by path).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vaecollapse import assemble, data, optim, states
from vaecollapse import config as config_lib
from vaecollapse.families import gan as schema
from vaecollapse.families.gan import config as gan_config
from vaecollapse.families.gan import digits, losses, networks, own
from vaecollapse.families.gan import monitor as sample_measures
from vaecollapse.family import Trace, Trainer

ADAM_B2, ADAM_EPS = 0.999, 1e-8
GENERATE_BATCH = 1000  # stacked digits: generated samples per batch when measuring many


# ----------------------------------------------------------------------------- measures


def traced_modes(samples: jax.Array, means: jax.Array, std: float) -> dict[str, jax.Array]:
    """The mode trace of one logged interval: ``modes_fraction`` (modes captured / K) and
    ``mode_mass [K]`` (high-quality samples per mode over the fair share N/K), by
    `gan.monitor`' own formulas in ``jax.numpy`` inside the compiled program."""
    num, k = samples.shape[0], means.shape[0]
    nearest, distance = sample_measures.nearest_chunk(samples, means, xp=jnp)
    good = distance <= schema.HQ_STDS * std
    counts = sample_measures.mode_counts(nearest, good, k, xp=jnp)
    return {
        "modes_fraction": jnp.sum(counts > 0) / k,
        "mode_mass": counts * k / num,
    }


def traced_digit_modes(samples: jax.Array, classifier: dict) -> dict[str, jax.Array]:
    """The mode trace of one logged interval on stacked digits: ``modes_fraction``
    (modes with >= 1 sample / 1,000) and ``mode_mass [1000]`` (samples per mode over the
    fair share N/1000), every sample's mode read by `gan.digits.classify` in
    ``jax.numpy`` (PacGAN counts every sample)."""
    labels, _, _ = digits.classify(classifier, samples, xp=jnp)
    counts = digit_mode_counts(labels)
    return {
        "modes_fraction": jnp.sum(counts > 0) / digits.NUM_MODES,
        "mode_mass": counts * digits.NUM_MODES / samples.shape[0],
    }


def digit_mode_counts(labels: jax.Array) -> jax.Array:
    """``[1000]`` float32: stacked digits per mode, from their classified ``labels [N, 3]``
    (`gan.digits.classify`)."""
    modes = digits.modes_of(labels, xp=jnp)
    return jnp.zeros(digits.NUM_MODES, jnp.float32).at[modes].add(1.0)


# --------------------------------------------------------------------------- optimiser


class Adam(NamedTuple):
    """Adam's state: first and second moments (trees like the parameters), step count."""

    mu: Any
    nu: Any
    count: jax.Array  # float32


def adam_init(params) -> Adam:
    zeros = jax.tree.map(jnp.zeros_like, params)
    return Adam(zeros, zeros, jnp.float32(0))


def adam_step(params, grads, opt: Adam, lr: jax.Array, b1: jax.Array):
    """One Adam update (Kingma & Ba 2015) with β₁ ``b1`` an array (`ADAM_B2`, `ADAM_EPS`
    fixed); returns the new parameters and state."""
    count = opt.count + 1
    mu = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, opt.mu, grads)
    nu = jax.tree.map(lambda v, g: ADAM_B2 * v + (1 - ADAM_B2) * g * g, opt.nu, grads)
    c1, c2 = 1 - b1**count, 1 - ADAM_B2**count
    params = jax.tree.map(
        lambda p, m, v: p - lr * (m / c1) / (jnp.sqrt(v / c2) + ADAM_EPS), params, mu, nu
    )
    return params, Adam(mu, nu, count)


class State(NamedTuple):
    params: Any  # {"generator": ..., "discriminator": ...}
    opt_state: Any  # {"generator": Adam, "discriminator": Adam}
    step: jax.Array  # int32, generator updates taken
    diverged: jax.Array  # bool
    diverged_step: jax.Array  # int32, first step with a non-finite loss or gradient; −1


def sample_mixture(key: jax.Array, means: jax.Array, std: float, num: int) -> jax.Array:
    """``num`` samples of the equal-weight mixture of N(means[k], std²·I)."""
    k_mode, k_noise = jax.random.split(key)
    modes = jax.random.randint(k_mode, (num,), 0, means.shape[0])
    return means[modes] + std * jax.random.normal(k_noise, (num, means.shape[1]))


# ----------------------------------------------------------------------------- trainer


class Settings(NamedTuple):
    """The static knobs of one compile (`make_trainer` checks them)."""

    gan_loss: str
    generator_hidden: tuple[int, ...]
    discriminator_hidden: tuple[int, ...]
    d_steps: int
    pack: int
    spectral_norm: bool
    minibatch_std: bool
    unroll: int
    network: str  # "mlp" or "conv" (`networks.ConvGenerator`, `networks.ConvDiscriminator`)
    generator: str  # "" (`networks.Generator`) or a user's by import path (`gan.own`)
    discriminator: str  # "" (`networks.Discriminator`) or a user's by import path


def settings(config) -> Settings:
    """The static knobs of ``config.model``, checked (`gan.config.check_point`).

    Raises:
      ValueError: one line naming the field, its value and what is allowed.
    """
    gan_config.check_point(config)
    model = config.model
    return Settings(
        model.gan_loss,
        tuple(model.generator_hidden),
        tuple(model.discriminator_hidden),
        model.d_steps,
        model.pack,
        model.spectral_norm,
        model.minibatch_std,
        model.unroll,
        model.network,
        model.generator,
        model.discriminator,
    )


def check_data(config, dataset) -> None:
    """A mixture with known modes (``meta['modes']``, ``['mode_std']``: ``ring``,
    ``grid``) and at least `gan.PRDC_K` + 1 test points; the static knobs (`settings`)."""
    if not is_digits(dataset) and ("modes" not in dataset.meta or "mode_std" not in dataset.meta):
        raise ValueError(
            f"data {config.data.name!r} has no known modes; family 'gan' needs a mixture "
            "of 2-D Gaussians (ring, grid) or stacked_digits"
        )
    if len(dataset.test) < schema.PRDC_K + 1:
        raise ValueError(
            f"data {config.data.name!r}: family 'gan' needs at least {schema.PRDC_K + 1} "
            "test points"
        )
    settings(config)


def is_digits(dataset) -> bool:
    """Whether ``dataset`` is stacked digits (images whose modes a classifier reads)
    rather than a mixture with known means."""
    return dataset.meta.get("name") == "stacked_digits"


def digit_classifier(config) -> digits.Classifier:
    """The mode classifier of ``config.data``'s digit split (`gan.digits`)."""
    return digits.load_classifier(
        int(config.data.get("split_seed", 0)), config.data.get("test_fraction", 0.2)
    )


def make_trainer(config, dataset) -> Trainer:
    """The GAN family's `Trainer` for one static config."""
    s = settings(config)
    images = is_digits(dataset)
    if images:  # stacked digits: real samples drawn from the train stacks, flattened
        real_pool = np.asarray(dataset.train, np.float32).reshape(len(dataset.train), -1)
        dim = real_pool.shape[1]  # 8·8·3
        classifier = {k: jnp.asarray(v) for k, v in digit_classifier(config).params.items()}
        num_modes, std = digits.NUM_MODES, 0.0
    else:
        means = np.asarray(dataset.meta["modes"], np.float32)
        dim = means.shape[1]  # the data's dim D (2 for ring and grid)
        std = float(dataset.meta["mode_std"])
        num_modes = len(means)
    meta = {**dataset.meta, "shape": (dim,)}
    if data.is_import_path(s.generator):  # a user's generator by import path, its contract checked
        generator = own.own_generator(config.model, meta, dim)
    elif s.network == "conv":
        generator = networks.ConvGenerator(s.generator_hidden)
    elif images:
        generator = networks.Generator(s.generator_hidden, dim, sigmoid=True)
    else:
        generator = networks.Generator(s.generator_hidden)
    if data.is_import_path(s.discriminator):  # a user's discriminator, likewise
        discriminator = own.own_discriminator(config.model, meta, dim)
    elif s.network == "conv":
        discriminator = networks.ConvDiscriminator(
            s.discriminator_hidden, s.spectral_norm, s.minibatch_std
        )
    else:
        discriminator = networks.Discriminator(
            s.discriminator_hidden, s.spectral_norm, s.minibatch_std
        )
    latent = config.model.latent_dim
    batch, log_every = config.train.batch_size, config.train.log_every
    use_r1 = config_lib.can_be_nonzero(config, "r1_gamma") or (
        config_lib.can_be_nonzero(config, "window_r1_gamma")
        and config_lib.can_be_nonzero(config, "window_steps")
    )
    use_gp = config_lib.can_be_nonzero(config, "gp_lambda")
    n = batch * s.pack  # samples per update
    trace_samples = schema.DIGITS_TRACE_SAMPLES if images else schema.TRACE_SAMPLES
    lr_factor = optim.make_lr_factor(config.train.lr_schedule, config.train.steps)

    def generate(g_params, z):
        return generator.apply({"params": g_params}, z)

    def many(g_params, z):
        """``generate`` on many noise vectors: on stacked digits in batches of
        `GENERATE_BATCH` (`lax.map`; the conv generator's patches of 26,000 samples at
        once, times the runs vmapped together, exhausted 23 GB), else at once."""
        if not images or z.shape[0] % GENERATE_BATCH:
            return generate(g_params, z)
        out = jax.lax.map(
            lambda zb: generate(g_params, zb), z.reshape(-1, GENERATE_BATCH, z.shape[-1])
        )
        return out.reshape(z.shape[0], -1)

    def draw_real(key, train_data, num):
        """``num`` real samples: the mixture's (``train_data`` its means) or train stacks
        drawn uniformly (``train_data['images']``)."""
        if images:
            pool = train_data["images"]
            return pool[jax.random.randint(key, (num,), 0, pool.shape[0])]
        return sample_mixture(key, train_data, std, num)

    def traced(samples, train_data):
        if images:
            return traced_digit_modes(samples, train_data["classifier"])
        return traced_modes(samples, train_data, std)

    def critic(d_params):
        return lambda packs: discriminator.apply({"params": d_params}, packs)

    def judge(d_params, x):
        """D's logits of ``x [B·pack, D]`` in packs of ``pack`` consecutive samples."""
        return critic(d_params)(networks.pack(x, s.pack))

    def d_loss_fn(d_params, real, fake, hparams, key):
        return losses.discriminator_objective(
            critic(d_params),
            networks.pack(real, s.pack),
            networks.pack(fake, s.pack),
            s.gan_loss,
            key,
            r1_gamma=hparams["r1_gamma"] if use_r1 else None,
            gp_lambda=hparams["gp_lambda"] if use_gp else None,
        )

    def g_loss_fn(g_params, d_params, d_opt, z, key, hparams, d_lr, train_data):
        fake = generate(g_params, z)

        def d_update(d_params, d_opt, key):  # one look-ahead step of D, on the same fakes
            k_real, k_pen = jax.random.split(key)
            real = draw_real(k_real, train_data, n)
            grads = jax.grad(d_loss_fn)(d_params, real, fake, hparams, k_pen)
            return adam_step(d_params, grads, d_opt, d_lr, hparams["adam_b1"])

        d_params = losses.unrolled(d_params, d_opt, d_update, s.unroll, key)
        return losses.generator_loss(s.gan_loss, judge(d_params, fake))

    def init(key):
        k_g, k_d = jax.random.split(jax.random.fold_in(key, 1))
        params = {
            "generator": generator.init(k_g, jnp.zeros((2, latent)))["params"],
            "discriminator": discriminator.init(k_d, jnp.zeros((2, dim * s.pack)))["params"],
        }
        opt = {part: adam_init(p) for part, p in params.items()}
        return State(params, opt, jnp.int32(0), jnp.bool_(False), jnp.int32(-1))

    def train_step(state: State, hparams, key, train_data):
        """``d_steps`` D updates, then one G update; returns (params, opt, losses, finite)."""
        hparams = optim.window_hparams(hparams, state.step, gan_config.WINDOW)
        g_lr = hparams["learning_rate"] * lr_factor(state.step)
        window_factor = jnp.where(
            optim.in_window(hparams, state.step), hparams["window_d_lr_factor"], 1.0
        )
        d_lr = g_lr * hparams["d_lr_ratio"] * window_factor
        b1 = hparams["adam_b1"]
        g_params, d_params = state.params["generator"], state.params["discriminator"]
        g_opt, d_opt = state.opt_state["generator"], state.opt_state["discriminator"]
        finite = jnp.bool_(True)
        d_losses = []
        for i in range(s.d_steps):
            k_real, k_z, k_pen = jax.random.split(jax.random.fold_in(key, i), 3)
            real = draw_real(k_real, train_data, n)
            fake = generate(g_params, jax.random.normal(k_z, (n, latent)))
            d_loss, grads = jax.value_and_grad(d_loss_fn)(d_params, real, fake, hparams, k_pen)
            finite = finite & jnp.isfinite(d_loss) & optim.all_finite(grads)
            d_params, d_opt = adam_step(d_params, grads, d_opt, d_lr, b1)
            d_losses.append(d_loss)
        k_z, k_unroll = jax.random.split(jax.random.fold_in(key, s.d_steps))
        z = jax.random.normal(k_z, (n, latent))
        g_loss, grads = jax.value_and_grad(g_loss_fn)(
            g_params, d_params, d_opt, z, k_unroll, hparams, d_lr, train_data
        )
        finite = finite & jnp.isfinite(g_loss) & optim.all_finite(grads)
        g_params, g_opt = adam_step(g_params, grads, g_opt, g_lr, b1)
        params = {"generator": g_params, "discriminator": d_params}
        opt = {"generator": g_opt, "discriminator": d_opt}
        return params, opt, jnp.mean(jnp.stack(d_losses)), g_loss, finite

    def advance(state, hparams, key, train_data):

        def one(state, _):
            k_step = jax.random.fold_in(jax.random.fold_in(key, 2), state.step)
            params, opt, d_loss, g_loss, finite = train_step(state, hparams, k_step, train_data)
            new = optim.guarded_step(state, finite, params=params, opt_state=opt)
            return new, (d_loss, g_loss)

        state, (d_losses, g_losses) = jax.lax.scan(one, state, None, length=log_every)
        k_trace = jax.random.fold_in(jax.random.fold_in(key, 3), state.step)
        z = jax.random.normal(k_trace, (trace_samples, latent))
        m = traced(many(state.params["generator"], z), train_data)
        return state, {
            "d_loss": jnp.mean(d_losses),
            "g_loss": jnp.mean(g_losses),
            "modes_fraction": m["modes_fraction"],
            "mode_mass": m["mode_mass"],
        }

    def evaluate(state, key, hparams, traces, eval_data, steps):
        """The eval samples and the onset; the measures are taken from the samples after
        the sweep (`finish`), by the public API."""
        del hparams, eval_data
        z = jax.random.normal(key, (schema.EVAL_SAMPLES, latent))
        return {
            "eval_samples": generate(state.params["generator"], z),
            "collapse_onset_step": states.collapse_onset_step(
                traces["modes_fraction"], steps, schema.HEALTHY_FRACTION
            ),
        }

    def evaluate_digits(state, key, hparams, traces, eval_data, steps):
        """On stacked digits: `digits.EVAL_SAMPLES` generated stacks classified on device
        (their 26,000 images are not kept): the mode histogram, the high-quality count,
        the classifier's features of the first `gan.PRDC_POINTS` and the first
        `gan.PLOT_DIGITS` images; the measures after the sweep (`finish`)."""
        del hparams
        z = jax.random.normal(key, (digits.EVAL_SAMPLES, latent))
        x = many(state.params["generator"], z)
        labels, confidence, features = digits.classify(eval_data, x, xp=jnp)
        good = jnp.all(confidence >= digits.CONFIDENCE, axis=1)
        return {
            "eval_mode_counts": digit_mode_counts(labels),
            "eval_high_quality": jnp.mean(good),
            "eval_features": features[: schema.PRDC_POINTS],
            "eval_digits": x[: schema.PLOT_DIGITS],
            "collapse_onset_step": states.collapse_onset_step(
                traces["modes_fraction"], steps, schema.HEALTHY_FRACTION
            ),
        }

    if images:
        train_data = {"images": jnp.asarray(real_pool), "classifier": classifier}
        eval_data = classifier
    else:
        train_data = eval_data = jnp.asarray(means)
    return Trainer(
        init=init,
        advance=advance,
        evaluate=evaluate_digits if images else evaluate,
        trace={
            "d_loss": Trace(),
            "g_loss": Trace(),
            "modes_fraction": Trace(),
            "mode_mass": Trace((num_modes,), ("mode",)),
        },
        evaluate_traces=("modes_fraction",),
        train_data=train_data,
        eval_data=eval_data,
        trace_bytes=4 * (3 + num_modes),
    )


def finish(config, dataset, variables: dict) -> tuple[dict, dict, dict]:
    """Every run's measures from its eval samples by the public API
    (`monitor.diagnose_samples` against the modes, `prdc.coverage` of the first
    `PRDC_POINTS` samples against as many real test points): one implementation for the
    sweep and for anyone re-measuring a run. Kept beside the runs unless
    ``config.diagnostics.keep_eval_arrays`` is False: ``eval_samples [..., sample, xy]``
    (every sample the measures read) and ``eval_real [example, xy]``; always
    ``mode_centres [mode, xy]`` and the attribute ``mode_std``. Stacked digits:
    `finish_digits`."""
    if is_digits(dataset):
        return finish_digits(config, dataset, variables)
    dims, generated = variables["eval_samples"]
    generated = np.asarray(generated)
    centres = np.asarray(dataset.meta["modes"], np.float32)
    std = float(dataset.meta["mode_std"])
    real = np.asarray(dataset.test[: min(schema.PRDC_POINTS, len(dataset.test))], np.float32)
    k = len(centres)

    def measure(run: np.ndarray) -> dict:
        if not np.isfinite(run).all():  # a diverged run (see `diverged`): no mode, NaN else
            return (
                {"modes_captured": 0, "modes_fraction": 0.0}
                | dict.fromkeys(("high_quality", "reverse_kl", "precision", "coverage"), np.nan)
                | {"mode_mass": np.full(k, np.nan), "collapse_state": schema.FULL}
            )
        r = sample_measures.diagnose_samples(run, centres, std)
        prdc = sample_measures.coverage(real, run[: len(real)], k=schema.PRDC_K)
        return {
            "modes_captured": r.modes_captured,
            "modes_fraction": r.modes_captured / k,
            "high_quality": r.high_quality,
            "reverse_kl": r.reverse_kl,
            "mode_mass": r.mode_counts * k / r.num_samples,
            "precision": prdc["precision"],
            "coverage": prdc["coverage"],
            "collapse_state": schema.collapse_state(r.modes_captured, k),
        }

    extra = {"eval_samples": None}
    extra.update(assemble.measure_runs((dims, generated), measure, {"mode_mass": "mode"}))
    grid_dims = list(dims[:-2])
    extra["mode_centres"] = (["mode", "xy"], centres)
    if config.diagnostics.keep_eval_arrays:
        extra["eval_samples"] = ([*grid_dims, "sample", "xy"], generated)
        extra["eval_real"] = (["example", "xy"], real)
    return extra, {}, {"mode_std": std}


def finish_digits(config, dataset, variables: dict) -> tuple[dict, dict, dict]:
    """Stacked digits: every run's PacGAN measures from the mode histogram of its
    `digits.EVAL_SAMPLES` generated stacks (`digits.mode_measures`, the function
    `diagnose_stacked_digits` uses), precision / coverage of its first `PRDC_POINTS`
    classifier features against as many real test stacks' (`prdc.coverage`). Kept:
    ``eval_mode_counts [..., mode]``, ``eval_digits [..., image, pixel]`` (the first
    `gan.PLOT_DIGITS` generated stacks, flattened 8·8·3); ``eval_features`` (and
    ``eval_real_features [example, feature]``) unless
    ``config.diagnostics.keep_eval_arrays`` is False; the attributes
    ``classifier_accuracy``, ``classifier_real_high_quality``, ``digit_eval_samples``."""
    dims, features = variables["eval_features"]
    features = np.asarray(features)
    counts = np.asarray(variables["eval_mode_counts"][1])
    high_quality = np.asarray(variables["eval_high_quality"][1])
    finite = np.isfinite(np.asarray(variables["eval_digits"][1])).reshape(*counts.shape[:-1], -1)
    clf = digit_classifier(config)
    real = np.asarray(dataset.test[: min(schema.PRDC_POINTS, len(dataset.test))], np.float32)
    _, _, real_features = digits.classify(clf.params, real)
    k = digits.NUM_MODES
    runs = iter(
        zip(
            counts.reshape(-1, k),
            high_quality.reshape(-1),
            finite.reshape(len(counts.reshape(-1, k)), -1).all(axis=1),
            strict=True,
        )
    )

    def measure(run_features: np.ndarray) -> dict:
        run_counts, hq, ok = next(runs)
        if not (ok and np.isfinite(run_features).all()):  # diverged: no mode, NaN else
            return (
                {"modes_captured": 0, "modes_fraction": 0.0}
                | dict.fromkeys(("high_quality", "reverse_kl", "precision", "coverage"), np.nan)
                | {"mode_mass": np.full(k, np.nan), "collapse_state": schema.FULL}
            )
        captured, rkl = digits.mode_measures(run_counts)
        m = min(len(real_features), len(run_features))
        prdc = sample_measures.coverage(real_features[:m], run_features[:m], k=schema.PRDC_K)
        return {
            "modes_captured": captured,
            "modes_fraction": captured / k,
            "high_quality": float(hq),
            "reverse_kl": rkl,
            "mode_mass": run_counts * k / run_counts.sum(),
            "precision": prdc["precision"],
            "coverage": prdc["coverage"],
            "collapse_state": schema.collapse_state(captured, k),
        }

    extra = {"eval_high_quality": None, "eval_features": None}
    extra.update(assemble.measure_runs((dims, features), measure, {"mode_mass": "mode"}))
    if config.diagnostics.keep_eval_arrays:
        extra["eval_features"] = (list(dims), features)
        extra["eval_real_features"] = (["example", "feature"], real_features)
    attrs = {
        "classifier_accuracy": clf.accuracy,
        "classifier_real_high_quality": clf.real_high_quality,
        "digit_eval_samples": digits.EVAL_SAMPLES,
    }
    return extra, {}, attrs
