"""The config schema: defaults every experiment starts from, and validation.

Experiments call `base_config()` and override fields; `experiment_config` loads one of
``experiments/``. `check_fields` and `check_point` name the bad field, its value and
what is allowed; `grid.validate` runs them over a whole sweep before anything compiles.

It imports no implementation module (only ml_collections and `choices`, the tables the
implementations dispatch through, with `registry`), so reading a config, or checking one,
loads no JAX. The swept hyperparameters are one table here, `HPARAMS`: defaults, rules,
dtypes and families are derived from it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ml_collections

from vaecollapse import choices, families, registry


@dataclasses.dataclass(frozen=True)
class Hparam:
    """A hyperparameter that may be swept (vmapped): a scalar of every run's ``hparams``.

    ``rule`` accepts its valid values (finite numbers; None: all of them) and ``allowed``
    says which in words (`check_hparam`'s message); ``dtype``: its array's (`grid`);
    ``family``: the kind of model that reads it (`ANY_FAMILY`: every kind); a family may
    read others' too (`families.Family.hparams`).
    """

    default: float
    rule: Callable[[float], bool] | None = None
    allowed: str = ""
    dtype: str = "float32"
    family: str = "vae"


ANY_FAMILY = "*"  # `Hparam.family` of the hyperparameters every family reads


# The swept hyperparameters, each written once: name -> `Hparam`. The pure code reads them
# from ``hparams[name]``; `seed` is the one int32, from which the run's PRNG key comes.
HPARAMS: dict[str, Hparam] = {
    "seed": Hparam(
        0,
        lambda v: float(v).is_integer() and v >= 0,
        "must be a non-negative integer",
        dtype="int32",
        family=ANY_FAMILY,
    ),
    "beta": Hparam(1.0, lambda v: v >= 0, "must be >= 0"),
    "free_bits": Hparam(0.0, lambda v: v >= 0, "must be >= 0 (nats per latent dim)"),
    "learning_rate": Hparam(1e-3, lambda v: v > 0, "must be > 0", family=ANY_FAMILY),
    "warmup_steps": Hparam(0.0, lambda v: v >= 0, "must be >= 0"),
    "cycles": Hparam(4.0, lambda v: v >= 1, "must be >= 1"),
    "ratio": Hparam(0.5, lambda v: 0 < v <= 1, "must be in (0, 1]"),
    "midpoint": Hparam(0.0),
    "steepness": Hparam(0.01),
    "context_dropout": Hparam(0.0, lambda v: 0 <= v <= 1, "must be in [0, 1]"),
    # VQ-VAE: β_c of the commitment loss
    "commitment_cost": Hparam(0.25, lambda v: v >= 0, "must be >= 0"),
    # VQ-VAE: EMA decay of code usage (and of the codebook, with ema)
    "vq_decay": Hparam(0.99, lambda v: 0 <= v < 1, "must be in [0, 1)"),
    # VQ-VAE: 1 restarts unused codes at encoder outputs, 0 not
    "dead_code_restart": Hparam(0.0, lambda v: v in (0, 1), "must be 0 (off) or 1 (on)"),
    # MMD-VAE / InfoVAE (Zhao et al. 2019): the weight λ of MMD(q(z), p(z)) in the loss
    "mmd_weight": Hparam(0.0, lambda v: v >= 0, "must be >= 0"),
    # BN-VAE (model.bottleneck "bn"): the fixed scale γ of the batch-normalised μ
    "bn_gamma": Hparam(0.5, lambda v: v > 0, "must be > 0"),
    # δ-VAE (model.bottleneck "delta"): the floor δ on every dim's KL, nats
    "delta": Hparam(0.1, lambda v: v >= 0, "must be >= 0 (nats per latent dim)"),
    # SSL (SimSiam): the gradient through the target branch (0: stop-gradient, 1: none)
    "target_gradient": Hparam(0.0, lambda v: 0 <= v <= 1, "must be in [0, 1]", family="ssl"),
    # SSL: the predictor's learning rate as a multiple of learning_rate
    "predictor_lr": Hparam(1.0, lambda v: v > 0, "must be > 0", family="ssl"),
    # SSL: std of the Gaussian noise added to each augmented view
    "aug_noise": Hparam(0.2, lambda v: v >= 0, "must be >= 0", family="ssl"),
    # SSL (VICReg, Bardes et al. 2022): the weights of invariance, variance, covariance
    "vicreg_invariance": Hparam(25.0, lambda v: v >= 0, "must be >= 0", family="ssl"),
    "vicreg_variance": Hparam(25.0, lambda v: v >= 0, "must be >= 0", family="ssl"),
    "vicreg_covariance": Hparam(1.0, lambda v: v >= 0, "must be >= 0", family="ssl"),
    # SSL (InfoNCE): the logits' temperature
    "temperature": Hparam(0.1, lambda v: v > 0, "must be > 0", family="ssl"),
    # SSL (Barlow Twins, Zbontar et al. 2021): the off-diagonal weight λ
    "barlow_offdiag": Hparam(0.0051, lambda v: v >= 0, "must be >= 0", family="ssl"),
    # SSL (BYOL, Grill et al. 2020): the target network's EMA momentum τ
    "ema_momentum": Hparam(0.99, lambda v: 0 <= v <= 1, "must be in [0, 1]", family="ssl"),
    # SSL: decoupled weight decay, p <- p - lr * (update + weight_decay * p)
    "weight_decay": Hparam(0.0, lambda v: v >= 0, "must be >= 0", family="ssl"),
    # GAN: the discriminator's learning rate as a multiple of learning_rate (the generator's)
    "d_lr_ratio": Hparam(1.0, lambda v: v > 0, "must be > 0", family="gan"),
    # GAN: Adam's β₁ (first-moment decay) of both players
    "adam_b1": Hparam(0.5, lambda v: 0 <= v < 1, "must be in [0, 1)", family="gan"),
    # GAN: R1 penalty γ/2·E‖∇D(real)‖² (Mescheder et al. 2018)
    "r1_gamma": Hparam(0.0, lambda v: v >= 0, "must be >= 0", family="gan"),
    # GAN: gradient penalty λ·E(‖∇D(x̂)‖ − 1)² on interpolates (WGAN-GP)
    "gp_lambda": Hparam(0.0, lambda v: v >= 0, "must be >= 0", family="gan"),
}
HPARAM_DEFAULTS: dict[str, float] = {name: h.default for name, h in HPARAMS.items()}
BOTTLENECKS = ("gaussian", "vq", "bn", "delta")  # bn: BN-VAE, delta: δ-VAE
Z_INPUTS = ("every_step", "initial")  # where the lstm decoder takes z
POSITIVE_MODEL_FIELDS = (
    "latent_dim",
    "num_codes",
    "code_groups",
    "pixelcnn_features",
    "pixelcnn_layers",
    "transformer_width",
    "transformer_layers",
    "transformer_heads",
)
CODEBOOK_UPDATES = ("loss", "ema")
COMPUTE_DTYPES = ("float32", "bfloat16")
# Static axes (one compile each) name fields of config.model or config.train.
STATIC_FIELDS = ("model", "train")


def base_config() -> ml_collections.ConfigDict:
    """Defaults: an MLP VAE on binarised digits, one run, no sweep axes."""
    c = ml_collections.ConfigDict()
    c.name = "vaecollapse"
    c.quick = False  # --config.quick=True applies quick_overrides: a small, fast version
    c.quick_overrides = ()  # ((dotted field, value), ...)
    c.family = "vae"  # the kind of collapse mapped (`vaecollapse.families`)
    c.family_module = ""  # a module that registers a family from outside the package
    c.data = ml_collections.ConfigDict(
        {
            "name": "digits",
            "binarize": True,
            "test_fraction": 0.2,
            "split_seed": 0,
            "data_dir": "",  # tfds data directory ("": tfds's default, ~/tensorflow_datasets)
        }
    )
    c.model = ml_collections.ConfigDict(
        {
            "name": "mlp",
            "latent_dim": 16,
            "encoder_hidden": (256,),
            "decoder_hidden": (256,),
            "likelihood": "bernoulli",
            "sigma2": 1.0,
            "conditional": False,  # CVAE on the data's labels
            "bottleneck": "gaussian",  # or "vq" (VQ-VAE), "bn" (BN-VAE), "delta" (δ-VAE)
            "num_codes": 64,  # vq: codebook size K
            "code_groups": 1,  # vq: latent_dim / code_groups dims per code
            "codebook_update": "loss",  # vq: "loss" (codebook loss) or "ema"
            "conv_features": (16, 32),  # conv, pixelcnn encoder
            "pixelcnn_features": 32,
            "pixelcnn_layers": 4,
            "pixelcnn_kernel": 3,
            "embed_dim": 16,  # lstm
            "hidden": 64,  # lstm
            # lstm decoder: z at every step's input and the initial state ("every_step"),
            # or at the initial state only ("initial", Bowman et al. 2016's first model)
            "z_input": "every_step",
            "transformer_width": 64,
            "transformer_layers": 2,
            "transformer_heads": 4,
            # dtype of the training step's matmuls and activations; parameters, optimiser
            # state, loss and evaluation stay float32 (bfloat16: for accelerators)
            "compute_dtype": "float32",
            "remat": False,  # pixelcnn: recompute each gated layer in the backward pass
        }
    )
    c.train = ml_collections.ConfigDict(
        {
            "steps": 2000,
            "batch_size": 64,
            "log_every": 50,
            "schedule": "constant",
            "optimizer": "adam",
            "lr_schedule": "constant",
            "eval_examples": 512,
            # k > 1: train on the importance-weighted bound with k samples (Burda et al.)
            "iwae_samples": 1,
            # > 0: aggressive inference (He et al. 2019): at most this many encoder-only
            # steps per joint step (stopping when the mean loss over the last
            # aggressive_check steps rises), the joint step moving only the decoder, until
            # the probe's I(x; z) stops rising between logged steps; 0: off
            "aggressive_steps": 0,
            "aggressive_check": 10,
            # > 0: a pretrained encoder (Li et al. 2019): this many steps of the
            # autoencoder (β = 0), then the decoder re-initialised and the optimiser
            # restarted; a multiple of log_every; 0: off
            "pretrain_steps": 0,
        }
    )
    c.hparams = ml_collections.ConfigDict(dict(HPARAM_DEFAULTS))
    c.sweep = ml_collections.ConfigDict()
    c.sweep_static = ml_collections.ConfigDict()
    # Named variants ((name, ((field, value), ...)), ...): a list of grid points that is not
    # a product (e.g. one remedy each), crossed with the config.sweep axes. Fields are
    # hyperparameters (vmapped: variants differing only there share one compile) or
    # model/train fields (static: one compile per distinct set).
    c.variants = ()
    c.sweep_chunk = 0  # max runs per compiled call; 0: as many as fit in half the free memory
    # Runs vmapped together per device, groups in turn; 0: all at once; -1: automatic
    # (`devices.run_group`: 4 on CPU, where a group's state stays in cache, else all).
    c.run_group = -1
    c.checkpoint_every = 500
    c.collapse_kl_eps = 0.05
    c.diagnostics = ml_collections.ConfigDict(
        {
            "au_threshold": 0.01,
            "iw_samples": 50,
            "mi_chunk": 256,
            "trace_examples": 256,
            # SSL, GAN: keep what the measures read (eval embeddings, samples) in results.nc
            "keep_eval_arrays": True,
        }
    )
    return c


def pixelcnn_digits() -> ml_collections.ConfigDict:
    """`base_config` with the collapse-prone model of the image experiments: a gated
    PixelCNN VAE (8 latent dims, conv encoder 16-32, 3 gated layers of 16 channels) on
    binarised 8×8 digits, 256 eval examples, logged every 50 steps."""
    c = base_config()
    c.model.update(
        name="pixelcnn",
        latent_dim=8,
        conv_features=(16, 32),
        pixelcnn_features=16,
        pixelcnn_layers=3,
    )
    c.train.log_every = 50
    c.train.eval_examples = 256
    return c


def lstm_text() -> ml_collections.ConfigDict:
    """`base_config` with the text experiments' setting: `lstm_mixture` (He et al. 2019's
    synthetic text: 20,000 sentences of 10 tokens, vocabulary 1,000, from a random LSTM
    language model driven by a 2-d z from a mixture of 4 Gaussians), a bidirectional-LSTM
    encoder and Bowman et al.'s LSTM decoder (latent 4, embeddings 16, hidden 64), Adam
    3e-3, 4,000 steps logged every 100, 400 eval examples, KL warm-up over 2,000 steps
    when the schedule is ``linear_warmup``."""
    c = base_config()
    c.data.update(
        name="lstm_mixture",
        num_topics=4,
        vocab_size=1000,
        length=10,
        num_examples=20000,
        seed=0,
        hidden=100,
        z_scale=1.0,
    )
    c.model.update(name="lstm", likelihood="categorical", latent_dim=4, embed_dim=16, hidden=64)
    c.train.steps = 4000
    c.train.log_every = 100
    c.train.eval_examples = 400
    c.hparams.learning_rate = 3e-3
    c.hparams.warmup_steps = 2000.0
    return c


def finalize(
    config: ml_collections.ConfigDict, explicit: frozenset[str] = frozenset()
) -> ml_collections.ConfigDict:
    """Apply ``quick_overrides`` when ``config.quick`` is set; return the config to run.

    ``explicit``: fields the user set on the command line (``train.steps``); a quick
    override of one of them, or of a section holding one, gives way to it.
    """
    out = ml_collections.ConfigDict(config.to_dict())
    if out.quick:
        for field, value in out.quick_overrides:
            if any(f == field or f.startswith(f"{field}.") for f in explicit):
                continue
            *sections, leaf = field.split(".")
            node = out
            for section in sections:
                node = node[section]
            if leaf not in node and sections[:1] not in (["sweep"], ["sweep_static"]):
                _fail("quick_overrides", field, "names no existing config field")
            node[leaf] = value
    return out


EXPERIMENTS_DIR = Path(__file__).resolve().parent.parent / "experiments"


def experiment_config(name: str | Path, *, quick: bool = False) -> ml_collections.ConfigDict:
    """The config of an experiment file: ``name`` is a path to a ``get_config()`` file or
    the name of one in the repository's ``experiments/`` (``"demo"``). ``quick`` applies
    its ``quick_overrides`` (`finalize`).

    Raises:
      FileNotFoundError: no such file (the message lists the known experiments).
      ValueError: the file does not load (a syntax error, with its line) or defines no
        ``get_config``.
    """
    path = Path(name)
    if path.suffix != ".py" and not path.is_file():
        path = EXPERIMENTS_DIR / f"{name}.py"
    if not path.is_file():
        known = sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.py"))
        raise FileNotFoundError(
            f"config file {str(name)!r} not found; known experiments: {known} "
            f"(in {str(EXPERIMENTS_DIR)!r})"
        )
    spec = importlib.util.spec_from_file_location(f"vaecollapse_experiment_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as err:
        raise ValueError(
            f"config file {str(path)!r} has a syntax error at line {err.lineno}: {err.msg}"
        ) from None
    except Exception as err:
        raise ValueError(
            f"config file {str(path)!r} failed to load: {type(err).__name__}: {err}"
        ) from None
    if not callable(getattr(module, "get_config", None)):
        raise ValueError(f"config file {str(path)!r} defines no get_config(); see experiments/")
    config = module.get_config()
    config.quick = quick
    return finalize(config)


def _fail(field: str, value: Any, allowed: str) -> None:
    raise ValueError(f"config.{field}={value!r} is invalid: {allowed}")


def check_hparam(name: str, value: Any, where: str) -> None:
    """Raise ValueError naming ``where`` and ``value`` unless it is a finite number the
    hyperparameter's rule (`HPARAMS`) accepts."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        _fail(where, value, "must be a finite number")
    hparam = HPARAMS.get(name)
    if hparam is not None and hparam.rule is not None and not hparam.rule(value):
        _fail(where, value, hparam.allowed)


def static_section(config: ml_collections.ConfigDict, field: str) -> str:
    """The section (``model`` or ``train``) a static field (axis or variant field) sets."""
    sections = [s for s in STATIC_FIELDS if field in config[s]]
    if len(sections) != 1:
        allowed = sorted(set(config.model) | set(config.train))
        _fail(f"sweep_static.{field}", None, f"not a model/train field; allowed: {allowed}")
    return sections[0]


def can_be_nonzero(config: ml_collections.ConfigDict, name: str) -> bool:
    """Whether a run of ``config`` may have hyperparameter ``name`` non-zero: by default,
    swept, or set by a variant (a term weighted by it need not be compiled otherwise)."""
    return (
        config.hparams.get(name, 0.0) != 0
        or name in config.sweep
        or any(name in dict(fields) for _, fields in config.variants)
    )


def family_hparams(config: ml_collections.ConfigDict) -> tuple[str, ...]:
    """The hyperparameters ``config``'s family reads: its own, every family's
    (`ANY_FAMILY`) and those it borrows (`families.Family.hparams`)."""
    family = families.of_config(config)
    return tuple(
        name
        for name, h in HPARAMS.items()
        if h.family in (ANY_FAMILY, family.name) or name in family.hparams
    )


def check_fields(config: ml_collections.ConfigDict) -> None:
    """Check everything but the static points' own configs (`grid.validate` checks the
    whole sweep): swept and default hyperparameters, static axes, variants, sweep
    settings. Raise ValueError naming the first bad field, its value and what is allowed."""
    try:
        families.of_config(config)
    except ImportError as err:
        _fail("family_module", config.family_module, f"cannot be imported ({err})")
    except ValueError:
        _fail("family", config.family, f"allowed: {', '.join(families.names())}")
    readable = family_hparams(config)
    for name, values in config.sweep.items():
        if name not in HPARAM_DEFAULTS:
            _fail(
                f"sweep.{name}", values, f"not a hyperparameter; allowed: {list(HPARAM_DEFAULTS)}"
            )
        if name not in readable:
            _fail(
                f"sweep.{name}",
                values,
                f"not read by family {config.family!r} (a no-op axis); allowed: {list(readable)}",
            )
        if not isinstance(values, tuple | list) or len(values) == 0:
            _fail(f"sweep.{name}", values, "must be a non-empty tuple of values")
        if len(set(values)) != len(values):
            _fail(f"sweep.{name}", values, "has duplicate values")
        for v in values:
            check_hparam(name, v, f"sweep.{name}")
    for name, value in config.hparams.items():
        if name not in HPARAM_DEFAULTS:
            _fail(f"hparams.{name}", value, f"unknown; allowed: {list(HPARAM_DEFAULTS)}")
        check_hparam(name, value, f"hparams.{name}")
    for axis, values in config.sweep_static.items():
        static_section(config, axis)
        if not isinstance(values, tuple | list) or len(values) == 0:
            _fail(f"sweep_static.{axis}", values, "must be a non-empty tuple of values")
        if axis in config.sweep:
            _fail(f"sweep_static.{axis}", values, "is also a dynamic sweep axis")
    _validate_variants(config)
    if not isinstance(config.run_group, int) or config.run_group < -1:
        _fail(
            "run_group",
            config.run_group,
            "must be an integer >= -1 (-1: automatic, 0: all at once)",
        )
    if not isinstance(config.sweep_chunk, int) or config.sweep_chunk < 0:
        _fail("sweep_chunk", config.sweep_chunk, "must be a non-negative integer (0: automatic)")
    if not isinstance(config.checkpoint_every, int) or config.checkpoint_every <= 0:
        _fail("checkpoint_every", config.checkpoint_every, "must be a positive integer")
    if not config.collapse_kl_eps > 0:
        _fail("collapse_kl_eps", config.collapse_kl_eps, "must be > 0 (nats)")


IWAE_EXCLUDES = ("free_bits", "mmd_weight")  # terms the importance-weighted loss lacks


def _validate_variants(config: ml_collections.ConfigDict) -> None:
    if not config.variants:
        return
    if config.sweep_static:
        _fail("variants", "...", "cannot be combined with sweep_static (put those in variants)")
    if "variant" in config.sweep:
        _fail("sweep.variant", config.sweep.variant, "'variant' is the variants' axis name")
    names = []
    for entry in config.variants:
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            _fail("variants", entry, "each entry must be (name, ((field, value), ...))")
        name, fields = entry
        names.append(name)
        values = dict(fields)
        if values.get("iwae_samples", config.train.get("iwae_samples", 1)) != 1:
            for term in IWAE_EXCLUDES:
                if values.get(term, 0.0) != 0:
                    _fail(
                        f"variants[{name!r}].{term}",
                        values[term],
                        "must be 0 with iwae_samples > 1 (the IWAE loss has no such term)",
                    )
        for field, value in fields:
            if field in config.sweep:
                _fail(f"variants[{name!r}].{field}", value, "is also a dynamic sweep axis")
            if field in HPARAM_DEFAULTS:
                check_hparam(field, value, f"variants[{name!r}].{field}")
            else:
                static_section(config, field)
    if len(set(names)) != len(names):
        _fail("variants", names, "variant names must be unique")


def check_point(c: ml_collections.ConfigDict) -> None:
    """Check one compile's config (static values written in): names, sizes, divisibility."""
    if c.data.name not in choices.DATA:
        _fail("data.name", c.data.name, f"allowed: {', '.join(choices.DATA)}")
    if c.model.name not in choices.MODELS:
        _fail("model.name", c.model.name, f"allowed: {', '.join(choices.MODELS)}")
    tokens = choices.DATA[c.data.name].tokens
    if tokens != choices.MODELS[c.model.name].tokens:
        _fail(
            "model.name",
            c.model.name,
            f"data {c.data.name!r} needs one of: "
            + ", ".join(registry.names(choices.MODELS, tokens=tokens)),
        )
    if tokens != (c.model.likelihood == "categorical"):
        _fail(
            "model.likelihood", c.model.likelihood, "use 'categorical' for token data, only there"
        )
    if c.model.likelihood not in choices.LIKELIHOODS:
        _fail("model.likelihood", c.model.likelihood, f"allowed: {', '.join(choices.LIKELIHOODS)}")
    for field in POSITIVE_MODEL_FIELDS:
        if not isinstance(c.model[field], int) or c.model[field] <= 0:
            _fail(f"model.{field}", c.model[field], "must be a positive integer")
    for field, divisor in (
        ("latent_dim", "code_groups"),
        ("transformer_width", "transformer_heads"),
    ):
        if c.model[field] % c.model[divisor]:
            _fail(
                f"model.{field}",
                c.model[field],
                f"must be a multiple of model.{divisor}={c.model[divisor]}",
            )
    kernel = c.model.pixelcnn_kernel
    if not isinstance(kernel, int) or kernel < 3 or not kernel % 2:
        _fail("model.pixelcnn_kernel", kernel, "must be an odd integer >= 3")
    if c.model.bottleneck not in BOTTLENECKS:
        _fail("model.bottleneck", c.model.bottleneck, f"allowed: {', '.join(BOTTLENECKS)}")
    if c.model.codebook_update not in CODEBOOK_UPDATES:
        _fail(
            "model.codebook_update",
            c.model.codebook_update,
            f"allowed: {', '.join(CODEBOOK_UPDATES)}",
        )
    if c.model.compute_dtype not in COMPUTE_DTYPES:
        _fail("model.compute_dtype", c.model.compute_dtype, f"allowed: {', '.join(COMPUTE_DTYPES)}")
    if not c.model.sigma2 > 0:
        _fail("model.sigma2", c.model.sigma2, "must be > 0")
    if c.train.schedule not in choices.SCHEDULES:
        _fail("train.schedule", c.train.schedule, f"allowed: {', '.join(choices.SCHEDULES)}")
    if c.train.optimizer not in choices.OPTIMIZERS:
        _fail("train.optimizer", c.train.optimizer, f"allowed: {', '.join(choices.OPTIMIZERS)}")
    if c.train.lr_schedule not in choices.LR_SCHEDULES:
        _fail(
            "train.lr_schedule", c.train.lr_schedule, f"allowed: {', '.join(choices.LR_SCHEDULES)}"
        )
    if c.train.iwae_samples != 1:
        if c.model.bottleneck == "vq":
            _fail("train.iwae_samples", c.train.iwae_samples, "must be 1 for a VQ-VAE")
        for name in IWAE_EXCLUDES:  # the variants' own fields: `_validate_variants`
            if c.hparams.get(name, 0.0) != 0 or name in c.sweep:
                _fail(
                    "train.iwae_samples",
                    c.train.iwae_samples,
                    f"must be 1 when {name} can be non-zero (the IWAE loss has no such term)",
                )
    for field in ("steps", "batch_size", "log_every", "eval_examples", "iwae_samples"):
        value = c.train[field]
        if not isinstance(value, int) or value <= 0:
            _fail(f"train.{field}", value, "must be a positive integer")
    if c.model.z_input not in Z_INPUTS:
        _fail("model.z_input", c.model.z_input, f"allowed: {', '.join(Z_INPUTS)}")
    if c.model.z_input != "every_step" and c.model.name != "lstm":
        _fail("model.z_input", c.model.z_input, "only the lstm decoder can take z elsewhere")
    for field in ("aggressive_steps", "pretrain_steps"):
        value = c.train[field]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            _fail(f"train.{field}", value, "must be a non-negative integer (0: off)")
        if value and c.model.bottleneck == "vq":
            _fail(f"train.{field}", value, "must be 0 for a VQ-VAE (a Gaussian posterior's remedy)")
        if value and c.model.conditional:
            _fail(
                f"train.{field}",
                value,
                "must be 0 for a CVAE (its label embedding is shared by encoder and decoder)",
            )
    if c.train.aggressive_steps and c.train.pretrain_steps:
        _fail(
            "train.pretrain_steps",
            c.train.pretrain_steps,
            "must be 0 with aggressive inference (train.aggressive_steps > 0): one at a time",
        )
    check = c.train.aggressive_check
    if not isinstance(check, int) or isinstance(check, bool) or check <= 0:
        _fail("train.aggressive_check", check, "must be a positive integer")
    pretrain = c.train.pretrain_steps
    if pretrain and (pretrain % c.train.log_every or pretrain >= c.train.steps):
        _fail(
            "train.pretrain_steps",
            pretrain,
            f"must be a multiple of train.log_every={c.train.log_every} below "
            f"train.steps={c.train.steps}",
        )
    if c.train.steps % c.train.log_every:
        _fail(
            "train.steps",
            c.train.steps,
            f"must be a multiple of train.log_every={c.train.log_every}",
        )
