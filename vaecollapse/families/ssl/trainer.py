"""The SSL family's writing side: joint-embedding training behind the `families.Trainer`
contract — SimSiam (Chen & He 2021), BYOL (Grill et al. 2020), VICReg (Bardes et al.
2022), InfoNCE (the linear toy of Jing et al. 2022) or Barlow Twins (Zbontar et al. 2021)
— whose collapse measures are `ssl.monitor`' (the public API's), applied to
every run's eval embeddings after the sweep (`finish`) and, for the traced
``std_normalized``, inside the compiled program with ``xp=jax.numpy``.

Model (architecture only, Flax linen), ``config.model.encoder`` (optional field):
``"mlp"`` (default) an MLP encoder x → z ∈ R^d (hidden widths ``config.model.encoder_hidden``,
d = ``config.model.latent_dim``; each hidden layer Dense → norm → ReLU, the output Dense →
norm, as SimSiam's projector — without learned scale and shift, as SimSiam's
``BatchNorm1d(dim, affine=False)``, unless ``config.model.output_affine`` is True;
``config.model.output_norm`` False drops the output's norm, as VICReg's expander);
``"linear"`` a stack of bias-free Dense layers (the hidden widths, then d) with no norm
and no non-linearity, PyTorch's default ``nn.Linear`` init
(Jing et al.'s toy: one layer is their case 1, two their case 2); ``"conv"`` (images
``[H, W, C]`` only) 3×3 stride-2 convolutions with ``config.model.conv_features`` channels
each (H and W halve per layer), each → norm → ReLU (batch: statistics per channel over
examples and positions, as BatchNorm2d; layer: over the channels of each position),
flattened, then the MLP encoder above on the flattened map (its hidden widths, then d).
``config.model.norm`` (optional): ``"batch"`` (default; batch statistics of the batch
itself, in training and in evaluation — no running averages, so the state is the
parameters alone), ``"layer"`` or ``"none"``. SimSiam adds a bottleneck predictor
z → d/2 → d (Dense → norm → ReLU → Dense).

Views: two per input, each (images only, ``config.model.aug_shift`` > 0, optional, default
0) translated by an integer shift per axis drawn uniformly from [−s, s], s =
``aug_shift``, zero-filled (`shift_images`), then with pixels masked with probability
``config.model.mask_prob`` (optional, default `MASK_PROB`), then Gaussian noise of std
``aug_noise`` on the input features from index ``config.model.noise_from`` on (optional,
default 0: all; Jing et al. put noise on the last half only).

Loss, ``config.model.ssl_loss`` (optional, default ``"simsiam"``):

- ``simsiam``: z_i = f(x_i), p_i = h(z_i), the symmetric negative cosine ½D(p₁, t(z₂)) +
  ½D(p₂, t(z₁)), D(p, z) = −cos(p, z), where the target branch t(z) = α·z + (1 − α)·
  stop_gradient(z) has the value z and the gradient α (``target_gradient``: 0 is SimSiam,
  1 is no stop-gradient, which collapses). The predictor's updates are scaled by
  ``predictor_lr``.
- ``vicreg``: λ·MSE(z₁, z₂) + μ·½[v(z₁) + v(z₂)] + ν·[c(z₁) + c(z₂)] with v(z) the mean over
  dims of max(0, 1 − √(Var z_k + 1e-4)) and c(z) the squared off-diagonal entries of the
  covariance (ddof 1) summed, over d — ``facebookresearch/vicreg``'s ``main_vicreg.py``;
  λ, μ, ν = ``vicreg_invariance``, ``vicreg_variance``, ``vicreg_covariance`` (25, 25, 1).
- ``infonce``: the cross-entropy of logits z₁ z₂ᵀ / ``temperature`` with the matching view
  as the class (Jing et al.'s ``toy_task``: one direction, all other rows of the batch as
  negatives, no normalisation; ``config.model.cosine`` (optional, default False)
  l2-normalises z first, as SimCLR).
- ``byol`` (Grill et al. 2020): the predictor's output against a *target* encoder whose
  parameters are an exponential moving average of the online encoder's, ξ ← τ·ξ +
  (1 − τ)·θ after every step (τ = ``ema_momentum``; τ = 0 is the online encoder itself
  behind a stop-gradient, i.e. SimSiam), loss 2 − cos(p₁, t₂) − cos(p₂, t₁) (the
  normalised squared error of the paper, symmetrised and halved). τ follows the paper's
  cosine schedule from τ_base = ``ema_momentum`` up to 1 at the last step
  (`ema_momentum`; ``config.model.ema_schedule = "constant"`` holds it at τ_base).
- ``barlow``: Σ_k (1 − C_kk)² + λ·Σ_{k≠l} C_kl², C the cross-correlation of the two views'
  embeddings, each dimension standardised over the batch (``facebookresearch/barlowtwins``:
  BatchNorm1d without affine, then z̃₁ᵀz̃₂ / B); λ = ``barlow_offdiag`` (0.0051).

Optimiser ``config.train.optimizer`` (adam or sgd) with ``learning_rate``; decoupled
``weight_decay``: every step p ← p − lr·(u + wd·p) (for SGD, L2 regularisation of
strength wd/2 in the loss, as PyTorch's ``weight_decay``).

Imported only when a sweep runs (`families.ssl` names it by path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from vaecollapse import assemble, optim, states
from vaecollapse.families import ssl as schema
from vaecollapse.families.ssl import monitor as embeddings
from vaecollapse.family import Trace, Trainer
from vaecollapse.layers import TapConv, square_taps

MASK_PROB = 0.25  # share of pixels set to 0 in each view
NORMS = ("batch", "layer", "none")
LOSSES = ("simsiam", "vicreg", "infonce", "barlow", "byol")  # config.model.ssl_loss
ENCODERS = ("mlp", "linear", "conv")  # config.model.encoder ("conv": images only)
EMA_SCHEDULES = ("cosine", "constant")  # config.model.ema_schedule (BYOL's τ)
VICREG_EPS = 1e-4  # inside the variance term's square root (facebookresearch/vicreg)
BARLOW_EPS = 1e-5  # of the per-dim standardisation (torch BatchNorm1d, affine=False)


# ----------------------------------------------------------------------------- losses


def normalize(z: jax.Array, eps: float = 1e-12) -> jax.Array:
    """Rows of ``z`` scaled to unit l2 norm (divided by max(‖z‖, eps)). An all-zero row
    (e.g. a predictor whose ReLUs are all off for it) stays 0 with a finite gradient: its
    norm is taken of a row of ones instead (`jnp.linalg.norm`'s gradient at 0 is NaN);
    other rows are computed exactly as ``z / max(norm(z), eps)``."""
    zero = jnp.all(z == 0, axis=-1, keepdims=True)
    norm = jnp.linalg.norm(jnp.where(zero, 1.0, z), axis=-1, keepdims=True)
    return z / jnp.maximum(norm, eps)


def ema_momentum(base: jax.Array, step: jax.Array, total_steps: int, cosine: bool) -> jax.Array:
    """BYOL's target momentum at optimisation step ``step`` (0-based) of ``total_steps``:
    with ``cosine`` Grill et al.'s (2020, §3.2) schedule τ = 1 − (1 − τ_base)·(cos(πk/K)
    + 1)/2, from τ_base at k = 0 up to 1 at k = K; else τ_base throughout."""
    if not cosine:
        return base
    return 1 - (1 - base) * (jnp.cos(jnp.pi * step / total_steps) + 1) / 2


def target(z: jax.Array, alpha: jax.Array) -> jax.Array:
    """The target branch: the value of ``z``, the gradient scaled by ``alpha``."""
    return alpha * z + (1 - alpha) * jax.lax.stop_gradient(z)


def negative_cosine(p: jax.Array, z: jax.Array) -> jax.Array:
    """D(p, z) = −mean over rows of cos(p, z)."""
    return -jnp.mean(jnp.sum(normalize(p) * normalize(z), axis=-1))


def simsiam_loss(p1, p2, z1, z2, alpha) -> jax.Array:
    """½D(p₁, t(z₂)) + ½D(p₂, t(z₁)), t the target branch (`target`)."""
    return 0.5 * negative_cosine(p1, target(z2, alpha)) + 0.5 * negative_cosine(
        p2, target(z1, alpha)
    )


def vicreg_loss(z1, z2, invariance, variance, covariance) -> jax.Array:
    """VICReg (Bardes et al. 2022) of two views' embeddings ``[B, d]`` (module docstring)."""
    n, d = z1.shape

    def var_term(z):
        return jnp.mean(jax.nn.relu(1 - jnp.sqrt(z.var(0, ddof=1) + VICREG_EPS)))

    def cov_term(z):
        c = z - z.mean(0)
        cov = c.T @ c / (n - 1)
        return (jnp.sum(cov**2) - jnp.sum(jnp.diagonal(cov) ** 2)) / d

    return (
        invariance * jnp.mean((z1 - z2) ** 2)
        + variance * 0.5 * (var_term(z1) + var_term(z2))
        + covariance * (cov_term(z1) + cov_term(z2))
    )


def byol_loss(p1, p2, t1, t2) -> jax.Array:
    """BYOL (Grill et al. 2020): ½[‖p̄₁ − t̄₂‖² + ‖p̄₂ − t̄₁‖²] = 2 − cos(p₁, t₂) − cos(p₂, t₁),
    bars l2-normalised rows, the targets t from the EMA network (mean over rows)."""
    return 2 + negative_cosine(p1, t2) + negative_cosine(p2, t1)


def barlow_loss(z1, z2, offdiag) -> jax.Array:
    """Barlow Twins (Zbontar et al. 2021) of two views' embeddings ``[B, d]``: each
    dimension standardised over the batch (biased variance + 1e-5), C = z̃₁ᵀz̃₂ / B,
    Σ_k (1 − C_kk)² + ``offdiag``·Σ_{k≠l} C_kl²."""

    def standardise(z):
        return (z - z.mean(0)) * jax.lax.rsqrt(z.var(0) + BARLOW_EPS)

    c = standardise(z1).T @ standardise(z2) / z1.shape[0]
    on = jnp.sum((1 - jnp.diagonal(c)) ** 2)
    return on + offdiag * (jnp.sum(c**2) - jnp.sum(jnp.diagonal(c) ** 2))


def infonce_loss(z1, z2, temperature, cosine: bool = False) -> jax.Array:
    """−mean_i log softmax_j(z₁ᵢ·z₂ⱼ / temperature)ᵢ: each row's own second view against
    the batch's (Jing et al. 2022's toy; ``cosine``: l2-normalised rows, as SimCLR)."""
    if cosine:
        z1, z2 = normalize(z1), normalize(z2)
    logits = z1 @ z2.T / temperature
    return -jnp.mean(jnp.diagonal(jax.nn.log_softmax(logits, axis=-1)))


# ------------------------------------------------------------------------------- model


class Norm(nn.Module):
    """``batch``: normalisation by the statistics of the batch itself (rows of ``x``),
    then a learned scale and shift unless not ``affine``; ``layer``: LayerNorm (learned
    scale and shift unless not ``affine``); ``none``: identity."""

    kind: str = "batch"
    affine: bool = True

    @nn.compact
    def __call__(self, x):
        if self.kind == "none":
            return x
        if self.kind == "layer":
            return nn.LayerNorm(use_scale=self.affine, use_bias=self.affine)(x)
        mean, var = x.mean(0), x.var(0)
        x = (x - mean) * jax.lax.rsqrt(var + 1e-5)
        if not self.affine:
            return x
        scale = self.param("scale", nn.initializers.ones, (x.shape[-1],))
        bias = self.param("bias", nn.initializers.zeros, (x.shape[-1],))
        return x * scale + bias


class Encoder(nn.Module):
    """x [B, ...] → z [B, d]: (Dense → Norm → ReLU) per hidden width, Dense (→ Norm unless
    not ``output_norm``; that norm without learned scale and shift unless
    ``output_affine``, as SimSiam's projector, ``BatchNorm1d(dim, affine=False)``)."""

    hidden: Sequence[int]
    latent_dim: int
    norm: str = "batch"
    output_norm: bool = True
    output_affine: bool = False

    @nn.compact
    def __call__(self, x):
        h = x.reshape(x.shape[0], -1)
        for width in self.hidden:
            h = nn.relu(Norm(self.norm)(nn.Dense(width)(h)))
        z = nn.Dense(self.latent_dim)(h)
        return Norm(self.norm, self.output_affine)(z) if self.output_norm else z


class LinearEncoder(nn.Module):
    """x [B, ...] → z [B, d]: bias-free Dense layers (the hidden widths, then d), nothing
    between them; PyTorch's ``nn.Linear`` init, U(±1/√fan_in)."""

    hidden: Sequence[int]
    latent_dim: int

    @nn.compact
    def __call__(self, x):
        init = nn.initializers.variance_scaling(1 / 3, "fan_in", "uniform")
        h = x.reshape(x.shape[0], -1)
        for width in (*self.hidden, self.latent_dim):
            h = nn.Dense(width, use_bias=False, kernel_init=init)(h)
        return h


class ConvEncoder(nn.Module):
    """x [B, H·W·C] (or [B, H, W, C]) → z [B, d]: per width of ``features`` a 3×3 stride-2
    convolution (SAME zero padding, `TapConv`: a matmul over the taps, as the VAE's
    `ConvEncoder`) → Norm (per channel: over examples and positions) → ReLU; then the
    flattened map through `Encoder` (``hidden``, ``latent_dim``, ``output_norm``)."""

    shape: tuple[int, int, int]  # H, W, C
    features: Sequence[int]
    hidden: Sequence[int]
    latent_dim: int
    norm: str = "batch"
    output_norm: bool = True
    output_affine: bool = False

    @nn.compact
    def __call__(self, x):
        h = x.reshape(x.shape[0], *self.shape)
        for width in self.features:
            h = TapConv(width, square_taps(3), stride=2)(h)
            h = nn.relu(Norm(self.norm)(h.reshape(-1, width)).reshape(h.shape))
        flat = h.reshape(x.shape[0], -1)
        return Encoder(
            self.hidden, self.latent_dim, self.norm, self.output_norm, self.output_affine
        )(flat)


class Predictor(nn.Module):
    """z [B, d] → p [B, d] through a bottleneck: Dense(d/2) → Norm → ReLU → Dense(d)."""

    latent_dim: int
    norm: str = "batch"

    @nn.compact
    def __call__(self, z):
        h = nn.relu(Norm(self.norm)(nn.Dense(max(1, self.latent_dim // 2))(z)))
        return nn.Dense(self.latent_dim)(h)


class State(NamedTuple):
    params: Any  # {"encoder": ..., "predictor": ...}
    opt_state: Any
    step: jax.Array  # int32, optimisation steps taken
    diverged: jax.Array  # bool
    diverged_step: jax.Array  # int32, first step with a non-finite loss or gradient; −1
    target: Any  # BYOL: the EMA of the encoder's parameters; else a placeholder int32 0


def shift_images(images: jax.Array, offsets: jax.Array, max_shift: int) -> jax.Array:
    """``images [B, H, W, C]`` each translated by its ``offsets [B, 2]`` (integers (dy, dx)
    in [−``max_shift``, ``max_shift``]): ``out[b, i, j] = images[b, i − dy, j − dx]``, 0
    where that falls outside — zero-pad by ``max_shift`` and crop at a per-example
    `jax.lax.dynamic_slice` (a gather under vmap), the "random crop with padding"
    augmentation. Not `jnp.roll`: a digit filling its 8×8 frame would wrap its far edge
    onto the opposite side, an artefact no translation of the scene makes."""
    height, width, channels = images.shape[1:]
    pad = ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0))
    padded = jnp.pad(images, pad)

    def one(image, offset):
        start = (max_shift - offset[0], max_shift - offset[1], 0)
        return jax.lax.dynamic_slice(image, start, (height, width, channels))

    return jax.vmap(one)(padded, offsets)


def augment(
    key: jax.Array,
    x: jax.Array,
    noise: jax.Array,
    mask_prob: float,
    noise_from: int,
    shape: tuple[int, ...] = (),
    max_shift: int = 0,
) -> jax.Array:
    """One view of ``x [B, F]``: (``max_shift`` > 0: ``x`` read as images ``[B, *shape]``
    and each translated by a shift per axis drawn uniformly from [−max_shift, max_shift],
    `shift_images`, from its own stream ``fold_in(key, 2)``), each feature kept with
    probability 1 − ``mask_prob``, then Gaussian noise of std ``noise`` on the features
    from ``noise_from`` on."""
    if max_shift > 0:
        k_shift = jax.random.fold_in(key, 2)
        offsets = jax.random.randint(k_shift, (x.shape[0], 2), -max_shift, max_shift + 1)
        x = shift_images(x.reshape(x.shape[0], *shape), offsets, max_shift).reshape(x.shape)
    k_mask, k_noise = jax.random.split(key)
    if mask_prob > 0:
        x = jnp.where(jax.random.bernoulli(k_mask, 1 - mask_prob, x.shape), x, 0.0)
    eps = jax.random.normal(k_noise, x.shape)
    if noise_from > 0:
        eps = jnp.where(jnp.arange(x.shape[-1]) >= noise_from, eps, 0.0)
    return x + noise * eps


# ----------------------------------------------------------------------------- trainer


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
    kind = config.model.get("encoder", "mlp")
    if kind == "conv" and not is_image:
        raise ValueError(
            f"config.model.encoder={kind!r} is invalid for data {config.data.name!r} of shape "
            f"{shape}: 'conv' needs images [H, W, C]; allowed here: "
            f"{', '.join(e for e in ENCODERS if e != 'conv')}"
        )
    max_shift = config.model.get("aug_shift", 0)
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


def _choice(config, field: str, default: str, allowed: tuple[str, ...]) -> str:
    value = config.model.get(field, default)
    if value not in allowed:
        raise ValueError(
            f"config.model.{field}={value!r} is invalid: allowed: {', '.join(allowed)}"
        )
    return value


def make_trainer(config, dataset) -> Trainer:
    """The SSL family's `Trainer` for one static config."""
    latent_dim = config.model.latent_dim
    norm = _choice(config, "norm", "batch", NORMS)
    loss_name = _choice(config, "ssl_loss", "simsiam", LOSSES)
    kind = _choice(config, "encoder", "mlp", ENCODERS)
    mask_prob = float(config.model.get("mask_prob", MASK_PROB))
    if not 0 <= mask_prob < 1:
        raise ValueError(f"config.model.mask_prob={mask_prob!r} is invalid: must be in [0, 1)")
    cosine = bool(config.model.get("cosine", False))
    hidden = tuple(config.model.encoder_hidden)
    shape, max_shift = image_settings(config, dataset)
    output_norm = bool(config.model.get("output_norm", True))
    output_affine = bool(config.model.get("output_affine", False))
    if kind == "linear":
        encoder = LinearEncoder(hidden, latent_dim)
    elif kind == "conv":
        features = tuple(config.model.conv_features)
        encoder = ConvEncoder(shape, features, hidden, latent_dim, norm, output_norm, output_affine)
    else:
        encoder = Encoder(hidden, latent_dim, norm, output_norm, output_affine)
    predictor = Predictor(latent_dim, norm) if loss_name in ("simsiam", "byol") else None
    batch, log_every = config.train.batch_size, config.train.log_every
    num_trace = config.diagnostics.trace_examples
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    features = flat(dataset.train).shape[-1]
    noise_from = int(config.model.get("noise_from", 0))
    if not 0 <= noise_from < features:
        raise ValueError(
            f"config.model.noise_from={noise_from!r} is invalid: must be in [0, {features})"
        )
    tx = optim.make_optimizer(config.train.optimizer)
    ema_cosine = _choice(config, "ema_schedule", "cosine", EMA_SCHEDULES) == "cosine"
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
            value, grads = jax.value_and_grad(loss_fn)(
                state.params, k_views, x[rows], hparams, state.target
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
            ok, diverged, diverged_step = optim.guarded(
                finite, state.diverged, state.diverged_step, state.step
            )
            new = State(
                optim.select(ok, params, state.params),
                optim.select(ok, opt_state, state.opt_state),
                state.step + 1,
                diverged,
                diverged_step,
                optim.select(ok, target, state.target),
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
    (`embeddings.diagnose_embeddings`, float64): one implementation for the sweep and for
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
    if config.diagnostics.get("keep_eval_arrays", True):
        extra["eval_embeddings"] = ([*grid_dims, "example", "embedding"], z)
        if labels is not None:
            extra["eval_labels"] = (["example"], labels)
    return extra, {}, {"eval_examples": int(z.shape[-2])}
