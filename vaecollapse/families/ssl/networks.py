"""The SSL family's networks: the siamese encoders and SimSiam's/BYOL's predictor (Flax
linen).

Architecture only; the losses are in `ssl.losses`, the views in `ssl.augment`, the
training in `ssl.trainer`. The encoder is ``config.model.encoder`` (`config.ENCODERS`):

- ``"mlp"`` (default, `Encoder`): x → z ∈ R^d (hidden widths
  ``config.model.encoder_hidden``, d = ``config.model.latent_dim``); each hidden layer
  Dense → norm → ReLU, the output Dense → norm, as SimSiam's projector — without learned
  scale and shift, as SimSiam's ``BatchNorm1d(dim, affine=False)``, unless
  ``config.model.output_affine`` is True; ``config.model.output_norm`` False drops the
  output's norm, as VICReg's expander.
- ``"linear"`` (`LinearEncoder`): a stack of bias-free Dense layers (the hidden widths,
  then d) with no norm and no non-linearity, PyTorch's default ``nn.Linear`` init (the
  toy of Jing et al. 2022, "Understanding dimensional collapse in contrastive
  self-supervised learning": one layer is their case 1, two their case 2).
- ``"conv"`` (`ConvEncoder`; images ``[H, W, C]`` only): 3×3 stride-2 convolutions with
  ``config.model.conv_features`` channels each (H and W halve per layer), each → norm →
  ReLU (batch: statistics per channel over examples and positions, as BatchNorm2d;
  layer: over the channels of each position), flattened, then the MLP encoder above on
  the flattened map (its hidden widths, then d).

The norm is ``config.model.norm`` (`config.NORMS`, `Norm`): ``"batch"`` (default; batch
statistics of the batch itself, in training and in evaluation — no running averages, so
the state is the parameters alone), ``"layer"`` or ``"none"``. SimSiam and BYOL add a
bottleneck predictor z → d/2 → d (Dense → norm → ReLU → Dense, `Predictor`; Chen & He
2021, "Exploring simple Siamese representation learning").
"""

from __future__ import annotations

from collections.abc import Sequence

import flax.linen as nn
import jax

from vaecollapse.layers import TapConv, square_taps


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
