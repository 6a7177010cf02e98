"""The SSL family's config: its swept hyperparameters, its section of the config with
complete defaults, and its checks. No JAX.

`defaults` writes the encoder (an MLP 64-256-32 with batch statistics, its projector
ending in batch norm without affine parameters as SimSiam's does; a user's encoder or
predictor by import path, `ssl.own`), the objective
(``ssl_loss``: SimSiam), the views' augmentations and BYOL's τ schedule into
`vaecollapse.config.base_config`; `check_point` names a bad field, its value and what is
allowed before anything compiles.
"""

from __future__ import annotations

import ml_collections

from vaecollapse.config import Hparam, check_import_path, fail

HPARAMS: dict[str, Hparam] = {
    # SimSiam: the gradient through the target branch (0: stop-gradient, 1: none)
    "target_gradient": Hparam(0.0, lambda v: 0 <= v <= 1, "must be in [0, 1]"),
    # the predictor's learning rate as a multiple of learning_rate
    "predictor_lr": Hparam(1.0, lambda v: v > 0, "must be > 0"),
    # std of the Gaussian noise added to each augmented view
    "aug_noise": Hparam(0.2, lambda v: v >= 0, "must be >= 0"),
    # VICReg (Bardes et al. 2022): the weights of invariance, variance, covariance
    "vicreg_invariance": Hparam(25.0, lambda v: v >= 0, "must be >= 0"),
    "vicreg_variance": Hparam(25.0, lambda v: v >= 0, "must be >= 0"),
    "vicreg_covariance": Hparam(1.0, lambda v: v >= 0, "must be >= 0"),
    # InfoNCE: the logits' temperature
    "temperature": Hparam(0.1, lambda v: v > 0, "must be > 0"),
    # Barlow Twins (Zbontar et al. 2021): the off-diagonal weight λ
    "barlow_offdiag": Hparam(0.0051, lambda v: v >= 0, "must be >= 0"),
    # BYOL (Grill et al. 2020): the target network's EMA momentum τ
    "ema_momentum": Hparam(0.99, lambda v: 0 <= v <= 1, "must be in [0, 1]"),
    # inside the remedy window (``window_start``, ``window_steps``; `optim.window_hparams`):
    # SimSiam's target gradient (1: the stop-gradient removed) and VICReg's variance weight
    # (0: the variance term removed)
    "window_target_gradient": Hparam(1.0, lambda v: 0 <= v <= 1, "must be in [0, 1]"),
    "window_vicreg_variance": Hparam(0.0, lambda v: v >= 0, "must be >= 0"),
    # decoupled weight decay, p <- p - lr * (update + weight_decay * p)
    "weight_decay": Hparam(0.0, lambda v: v >= 0, "must be >= 0"),
}
NORMS = ("batch", "layer", "none")  # model.norm: the encoder's and predictor's
LOSSES = ("simsiam", "vicreg", "infonce", "barlow", "byol")  # model.ssl_loss
ENCODERS = ("mlp", "linear", "conv")  # model.encoder ("conv": images only)
EMA_SCHEDULES = ("cosine", "constant")  # model.ema_schedule (BYOL's τ)
# what the remedy window replaces: hyperparameter -> the one it takes inside the window
WINDOW = {"target_gradient": "window_target_gradient", "vicreg_variance": "window_vicreg_variance"}
MASK_PROB = 0.25  # share of pixels set to 0 in each view


def defaults(c: ml_collections.ConfigDict) -> None:
    """Write the SSL family's section into the engine's config ``c``."""
    c.model = ml_collections.ConfigDict(
        {
            "encoder": "mlp",  # or a user's, by import path "package.module:make" (`ssl.own`)
            "predictor": "",  # SimSiam/BYOL: "" the package's, or "package.module:make"
            "encoder_hidden": (256,),
            "conv_features": (16, 32),  # conv encoder
            "latent_dim": 16,  # the embedding's dim d
            "norm": "batch",
            # the projector's output batch norm (SimSiam's ends in one without affine)
            "output_norm": True,
            "output_affine": False,
            "ssl_loss": "simsiam",
            "cosine": False,  # infonce: l2-normalise z first (SimCLR)
            "ema_schedule": "cosine",  # byol: τ from τ_base to 1 (Grill et al. 2020)
            "aug_shift": 0,  # images: largest random shift of a view, pixels
            "mask_prob": MASK_PROB,
            "noise_from": 0,  # the views' noise on features from this index on (0: all)
        }
    )


def check_point(c: ml_collections.ConfigDict) -> None:
    """The SSL family's checks of one compile's config."""
    # a name holding a colon is an import path (`ssl.own`): imported and its contract
    # checked when the trainer is built
    for field, package in (("encoder", ENCODERS), ("predictor", ("",))):
        value = c.model[field]
        if not check_import_path(f"model.{field}", value) and value not in package:
            allowed = ", ".join(v or repr(v) for v in package)
            fail(
                f"model.{field}",
                value,
                f"allowed: {allowed}, or an import path 'package.module:function'",
            )
    for field, allowed in (
        ("norm", NORMS),
        ("ssl_loss", LOSSES),
        ("ema_schedule", EMA_SCHEDULES),
    ):
        if c.model[field] not in allowed:
            fail(f"model.{field}", c.model[field], f"allowed: {', '.join(allowed)}")
    if not isinstance(c.model.latent_dim, int) or c.model.latent_dim <= 0:
        fail("model.latent_dim", c.model.latent_dim, "must be a positive integer")
    if not 0 <= c.model.mask_prob < 1:
        fail("model.mask_prob", c.model.mask_prob, "must be in [0, 1)")
