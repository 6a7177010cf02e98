"""The VAE family's config: its swept hyperparameters, its section of the config with
complete defaults, its checks, and the settings the image and text experiments share.

`defaults` writes the model (an MLP VAE: 16 latent dims, 256 hidden units each side,
Bernoulli likelihood, Gaussian bottleneck), the β schedule and the remedies' training
switches, the probes' settings and the collapse ε into `vaecollapse.config.base_config`;
`check_fields` (the whole sweep) and `check_point` (one compile) name the bad field, its
value and what is allowed. No JAX: reading or checking a config loads none.
"""

from __future__ import annotations

import ml_collections

from vaecollapse import choices, registry
from vaecollapse.config import Hparam, check_import_path, fail
from vaecollapse.families.vae import choices as vae_choices

# The VAE's swept hyperparameters (`vaecollapse.config.Hparam`); `seed` and
# `learning_rate` are every family's.
HPARAMS: dict[str, Hparam] = {
    "beta": Hparam(1.0, lambda v: v >= 0, "must be >= 0"),
    "free_bits": Hparam(0.0, lambda v: v >= 0, "must be >= 0 (nats per latent dim)"),
    "warmup_steps": Hparam(0.0, lambda v: v >= 0, "must be >= 0"),
    "cycles": Hparam(4.0, lambda v: v >= 1, "must be >= 1"),
    "ratio": Hparam(0.5, lambda v: 0 < v <= 1, "must be in (0, 1]"),
    "midpoint": Hparam(0.0),
    "steepness": Hparam(0.01),
    # the excursion schedule: β's peak (β_peak = β: no excursion, the control) and the
    # steps the excursion lasts (up over the first half, down over the second) from the
    # step it starts at
    "beta_peak": Hparam(1.0, lambda v: v > 0, "must be > 0"),
    "excursion_steps": Hparam(0.0, lambda v: v >= 0, "must be >= 0 (steps)"),
    "excursion_start": Hparam(0.0, lambda v: v >= 0, "must be >= 0 (steps)"),
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
}
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
IWAE_EXCLUDES = ("free_bits", "mmd_weight")  # terms the importance-weighted loss lacks


def defaults(c: ml_collections.ConfigDict) -> None:
    """Write the VAE's section into the engine's config ``c`` (`config.base_config`)."""
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
    c.train.update(
        {
            "schedule": "constant",  # β(step): `vae_choices.SCHEDULES`
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
    c.collapse_kl_eps = 0.05  # nats: a latent dim whose KL is below it has collapsed
    c.diagnostics.update({"au_threshold": 0.01, "iw_samples": 50, "mi_chunk": 256})


def pixelcnn_digits() -> ml_collections.ConfigDict:
    """`base_config` with the collapse-prone model of the image experiments: a gated
    PixelCNN VAE (8 latent dims, conv encoder 16-32, 3 gated layers of 16 channels) on
    binarised 8×8 digits, 256 eval examples, logged every 50 steps."""
    from vaecollapse.config import base_config

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
    from vaecollapse.config import base_config

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


def check_fields(config: ml_collections.ConfigDict) -> None:
    """The VAE's checks of a whole sweep's config: the collapse ε, and no variant that
    trains the importance-weighted bound with a term that bound lacks."""
    if not config.collapse_kl_eps > 0:
        fail("collapse_kl_eps", config.collapse_kl_eps, "must be > 0 (nats)")
    for name, fields in config.variants:
        values = dict(fields)
        if values.get("iwae_samples", config.train.iwae_samples) == 1:
            continue
        for term in IWAE_EXCLUDES:
            if values.get(term, 0.0) != 0:
                fail(
                    f"variants[{name!r}].{term}",
                    values[term],
                    "must be 0 with iwae_samples > 1 (the IWAE loss has no such term)",
                )


def check_point(c: ml_collections.ConfigDict) -> None:
    """The VAE's checks of one compile's config (static values written in): the model and
    likelihood for the data, sizes, divisibility, the β schedule and the remedies'
    switches."""
    # a name holding a colon is an import path (`models.own_pair`): its module is imported,
    # and its token-ness and the data's checked, when the model is built
    own_model, own_data = check_import_path("model.name", c.model.name), ":" in c.data.name
    if not own_model and c.model.name not in vae_choices.MODELS:
        fail(
            "model.name",
            c.model.name,
            f"allowed: {', '.join(vae_choices.MODELS)}, or an import path "
            "'package.module:function'",
        )
    tokens = None if own_data else choices.DATA[c.data.name].tokens
    if not own_model and tokens is not None and tokens != vae_choices.MODELS[c.model.name].tokens:
        fail(
            "model.name",
            c.model.name,
            f"data {c.data.name!r} needs one of: "
            + ", ".join(registry.names(vae_choices.MODELS, tokens=tokens)),
        )
    if tokens is not None and tokens != (c.model.likelihood == "categorical"):
        fail("model.likelihood", c.model.likelihood, "use 'categorical' for token data, only there")
    if c.model.likelihood not in vae_choices.LIKELIHOODS:
        fail(
            "model.likelihood", c.model.likelihood, f"allowed: {', '.join(vae_choices.LIKELIHOODS)}"
        )
    for field in POSITIVE_MODEL_FIELDS:
        if not isinstance(c.model[field], int) or c.model[field] <= 0:
            fail(f"model.{field}", c.model[field], "must be a positive integer")
    for field, divisor in (
        ("latent_dim", "code_groups"),
        ("transformer_width", "transformer_heads"),
    ):
        if c.model[field] % c.model[divisor]:
            fail(
                f"model.{field}",
                c.model[field],
                f"must be a multiple of model.{divisor}={c.model[divisor]}",
            )
    kernel = c.model.pixelcnn_kernel
    if not isinstance(kernel, int) or kernel < 3 or not kernel % 2:
        fail("model.pixelcnn_kernel", kernel, "must be an odd integer >= 3")
    if c.model.bottleneck not in BOTTLENECKS:
        fail("model.bottleneck", c.model.bottleneck, f"allowed: {', '.join(BOTTLENECKS)}")
    if c.model.codebook_update not in CODEBOOK_UPDATES:
        fail(
            "model.codebook_update",
            c.model.codebook_update,
            f"allowed: {', '.join(CODEBOOK_UPDATES)}",
        )
    if c.model.compute_dtype not in COMPUTE_DTYPES:
        fail("model.compute_dtype", c.model.compute_dtype, f"allowed: {', '.join(COMPUTE_DTYPES)}")
    if not c.model.sigma2 > 0:
        fail("model.sigma2", c.model.sigma2, "must be > 0")
    if c.train.schedule not in vae_choices.SCHEDULES:
        fail("train.schedule", c.train.schedule, f"allowed: {', '.join(vae_choices.SCHEDULES)}")
    if c.train.iwae_samples != 1:
        if c.model.bottleneck == "vq":
            fail("train.iwae_samples", c.train.iwae_samples, "must be 1 for a VQ-VAE")
        for name in IWAE_EXCLUDES:  # the variants' own fields: `check_fields`
            if c.hparams.get(name, 0.0) != 0 or name in c.sweep:
                fail(
                    "train.iwae_samples",
                    c.train.iwae_samples,
                    f"must be 1 when {name} can be non-zero (the IWAE loss has no such term)",
                )
    value = c.train.iwae_samples
    if not isinstance(value, int) or value <= 0:
        fail("train.iwae_samples", value, "must be a positive integer")
    if c.model.z_input not in Z_INPUTS:
        fail("model.z_input", c.model.z_input, f"allowed: {', '.join(Z_INPUTS)}")
    if c.model.z_input != "every_step" and c.model.name != "lstm":
        fail("model.z_input", c.model.z_input, "only the lstm decoder can take z elsewhere")
    for field in ("aggressive_steps", "pretrain_steps"):
        value = c.train[field]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            fail(f"train.{field}", value, "must be a non-negative integer (0: off)")
        if value and c.model.bottleneck == "vq":
            fail(f"train.{field}", value, "must be 0 for a VQ-VAE (a Gaussian posterior's remedy)")
        if value and c.model.conditional:
            fail(
                f"train.{field}",
                value,
                "must be 0 for a CVAE (its label embedding is shared by encoder and decoder)",
            )
    if c.train.aggressive_steps and c.train.pretrain_steps:
        fail(
            "train.pretrain_steps",
            c.train.pretrain_steps,
            "must be 0 with aggressive inference (train.aggressive_steps > 0): one at a time",
        )
    check = c.train.aggressive_check
    if not isinstance(check, int) or isinstance(check, bool) or check <= 0:
        fail("train.aggressive_check", check, "must be a positive integer")
    pretrain = c.train.pretrain_steps
    if pretrain and (pretrain % c.train.log_every or pretrain >= c.train.steps):
        fail(
            "train.pretrain_steps",
            pretrain,
            f"must be a multiple of train.log_every={c.train.log_every} below "
            f"train.steps={c.train.steps}",
        )
