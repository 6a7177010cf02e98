"""The GAN family's config: its swept hyperparameters, its section of the config with
complete defaults, and its checks. No JAX.

`defaults` writes the data (the 5 × 5 grid of Gaussians, 10,000 examples), the players
(noise dim 2, MLP generator and discriminator of 128-128; either may be a user's, by
import path: `gan.own`), the non-saturating loss with no remedy on, and the training
loop (Adam, β₁ 0.5, at 1e-3 for both players with a cosine decay to 0, batch 64, 12,000
generator steps logged every 200) into
`vaecollapse.config.base_config`; `check_point` names a bad field, its value and what is
allowed before anything compiles.
"""

from __future__ import annotations

import ml_collections

from vaecollapse.config import Hparam, check_import_path, fail

HPARAMS: dict[str, Hparam] = {
    # the discriminator's learning rate as a multiple of learning_rate (the generator's)
    "d_lr_ratio": Hparam(1.0, lambda v: v > 0, "must be > 0"),
    # Adam's β₁ (first-moment decay) of both players
    "adam_b1": Hparam(0.5, lambda v: 0 <= v < 1, "must be in [0, 1)"),
    # R1 penalty γ/2·E‖∇D(real)‖² (Mescheder et al. 2018)
    "r1_gamma": Hparam(0.0, lambda v: v >= 0, "must be >= 0"),
    # gradient penalty λ·E(‖∇D(x̂)‖ − 1)² on interpolates (WGAN-GP)
    "gp_lambda": Hparam(0.0, lambda v: v >= 0, "must be >= 0"),
    # inside the remedy window (``window_start``, ``window_steps``; `optim.window_hparams`):
    # R1's weight (0: R1 removed), and a factor on D's learning rate (1: unchanged)
    "window_r1_gamma": Hparam(0.0, lambda v: v >= 0, "must be >= 0"),
    "window_d_lr_factor": Hparam(1.0, lambda v: v > 0, "must be > 0"),
}
# what the remedy window replaces: hyperparameter -> the one it takes inside the window
WINDOW = {"r1_gamma": "window_r1_gamma"}
LOSSES = ("ns", "wgan")  # non-saturating (Goodfellow et al. 2014), Wasserstein
NETWORKS = ("mlp", "conv")  # model.network
IMAGE_DATA = ("stacked_digits",)  # the data the conv players take (8×8×3 images)
# the players' static knobs (model.*): every one written, so variants and static axes
# may set them
MODEL = {
    "latent_dim": 2,  # the generator's noise dim
    "gan_loss": "ns",
    "generator_hidden": (128, 128),
    "discriminator_hidden": (128, 128),
    "d_steps": 1,  # discriminator updates per generator update
    "pack": 1,  # PacGAN: samples the discriminator judges jointly
    "spectral_norm": False,  # the discriminator's (Miyato et al. 2018)
    "minibatch_std": False,  # the discriminator's minibatch-std feature (Karras et al. 2018)
    "unroll": 0,  # unrolled GAN's k (Metz et al. 2017); 0: off
    # the package's players: "mlp" (any data), or "conv" (small DCGAN-style, images:
    # stacked_digits); hidden widths are then channels
    "network": "mlp",
    # "": the package's MLPs; or a user's by import path "package.module:make" (`gan.own`)
    "generator": "",
    "discriminator": "",
}


def defaults(c: ml_collections.ConfigDict) -> None:
    """Write the GAN family's section into the engine's config ``c``."""
    c.data = ml_collections.ConfigDict({"name": "grid", "num_examples": 10_000, "seed": 0})
    c.model = ml_collections.ConfigDict(dict(MODEL))
    c.train.update(steps=12_000, log_every=200, batch_size=64, lr_schedule="cosine")
    c.checkpoint_every = 2000
    c.hparams.learning_rate = 1e-3


def check_point(c: ml_collections.ConfigDict) -> None:
    """The GAN family's checks of one compile's config: the loss, the players' sizes and
    switches."""
    model = c.model
    if model.gan_loss not in LOSSES:
        fail("model.gan_loss", model.gan_loss, f"allowed: {', '.join(LOSSES)}")
    if model.network not in NETWORKS:
        fail("model.network", model.network, f"allowed: {', '.join(NETWORKS)}")
    if model.network == "conv" and c.data.name not in IMAGE_DATA:
        fail(
            "model.network",
            model.network,
            f"needs image data ({', '.join(IMAGE_DATA)}), not data.name={c.data.name!r}",
        )
    for name, least in (("latent_dim", 1), ("d_steps", 1), ("pack", 1), ("unroll", 0)):
        value = model[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            fail(f"model.{name}", value, f"must be an integer >= {least}")
    for name in ("generator_hidden", "discriminator_hidden"):
        value = model[name]
        if not isinstance(value, tuple | list) or not all(
            isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in value
        ):
            fail(f"model.{name}", value, "must be a tuple of positive integers")
    for name in ("spectral_norm", "minibatch_std"):
        if not isinstance(model[name], bool):
            fail(f"model.{name}", model[name], "must be True or False")
    # a name holding a colon is an import path (`gan.own`): imported and its contract
    # checked when the trainer is built
    for name in ("generator", "discriminator"):
        value = model[name]
        if not check_import_path(f"model.{name}", value) and value != "":
            fail(
                f"model.{name}",
                value,
                "allowed: '' (the package's MLP), or an import path 'package.module:function'",
            )
    if model.discriminator:  # a user's judges single samples [B, D]
        for name, plain in (("pack", 1), ("spectral_norm", False), ("minibatch_std", False)):
            if model[name] != plain:
                fail(
                    f"model.{name}",
                    model[name],
                    f"must be {plain} with a user's model.discriminator={model.discriminator!r}"
                    " (it judges single samples [B, D]; this acts on the package's only)",
                )
