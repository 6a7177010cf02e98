"""The VAE's training losses: the negated β-ELBO with free bits (and MMD-VAE's term),
the importance-weighted bound (IWAE) and the VQ-VAE's loss, each a pure function of
(parameters, batch, noise, hyperparameters as arrays, β) built once per model by
`make_loss_fn`; `compute_dtype_apply` runs a model in its compute dtype.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from vaecollapse.families.vae import diagnostics, objectives
from vaecollapse.families.vae.models import VAE
from vaecollapse.families.vae.models.vae import cast_floating


def make_loss_fn(model: VAE, mmd: bool = False, iwae_samples: int = 1) -> Callable:
    """loss(params, x, label, eps, keep, hparams, beta, prior=None) -> (scalar loss,
    (metrics, extras)).

    Gaussian posterior: loss = E_batch[−log p(x|z)] + β · Σ_j max(λ, E_batch KL_j)
    (β-VAE with free bits λ = ``hparams['free_bits']``). VQ-VAE (van den Oord et al.
    2017): loss = E_batch[−log p(x|z_q)] + codebook loss (unless updated by EMA) +
    β_c · commitment, β_c = ``hparams['commitment_cost']``; its ``kl`` metric is the
    batch's `diagnostics.vq_information`, the rate of the deterministic encoder, and
    ``extras`` carries the flat encoder outputs and code indices for the codebook update.
    ``keep`` is the context-dropout mask (ignored by factorised decoders), ``label`` the
    condition of a CVAE (ignored by unconditional models). With ``mmd`` (static), the
    loss adds λ·MMD²(z, ``prior``) (MMD-VAE, Zhao et al. 2019; λ = ``hparams['mmd_weight']``,
    `objectives.mmd`), ``prior`` a ``[B, d]`` standard-normal draw; BN-VAE and δ-VAE
    posteriors take their γ or δ from the hyperparameters (`objectives.posterior_strength`).
    With ``iwae_samples`` k > 1 (static), ``eps`` is ``[k, B, d]`` and the loss is the
    negated importance-weighted bound (IWAE, Burda et al. 2016), β weighting the prior
    and posterior densities: −E_batch log (1/k) Σ_i p(x|z_i)·(p(z_i)/q(z_i|x))^β (β = 1:
    the IWAE bound; k = 1 would be the β-ELBO with a one-sample KL); free bits and the MMD
    term do not apply to it (the config check refuses them).
    """
    apply = compute_dtype_apply(model)
    if model.quantizer is not None:
        return vq_loss_fn(model, apply)

    def iwae_loss_fn(params, x, label, eps, keep, hparams, beta, prior=None):
        del prior
        strength = objectives.posterior_strength(model.posterior, hparams)
        mean, log_var = apply(params, x, label, strength, method=VAE.encode)
        z = mean + jnp.exp(0.5 * log_var) * eps  # [k, B, d]
        log_px = jax.vmap(lambda z_i: apply(params, x, z_i, keep, label, method=VAE.log_prob))(z)
        log_prior = jnp.sum(objectives.gaussian_log_likelihood(z, 0.0, 0.0), axis=-1)
        log_q = jnp.sum(objectives.gaussian_log_likelihood(z, mean, log_var), axis=-1)
        loss = -jnp.mean(objectives.iwae_bound(log_px + beta * log_prior, beta * log_q))
        kl_per_dim = jnp.mean(objectives.gaussian_kl(mean, log_var), axis=0)
        metrics = {"loss": loss, "recon": -jnp.mean(log_px), "kl": jnp.sum(kl_per_dim)}
        return loss, ({**metrics, "kl_per_dim": kl_per_dim}, {})

    if iwae_samples > 1:
        return iwae_loss_fn

    def loss_fn(params, x, label, eps, keep, hparams, beta, prior=None):
        strength = objectives.posterior_strength(model.posterior, hparams)
        mean, log_var, log_px = apply(params, x, eps, keep, label, strength)
        kl_dims = objectives.gaussian_kl(mean, log_var)
        recon = -jnp.mean(log_px)
        loss = recon + beta * objectives.free_bits_kl(kl_dims, hparams["free_bits"])
        if mmd:
            z = mean + jnp.exp(0.5 * log_var) * eps
            loss = loss + hparams["mmd_weight"] * objectives.mmd(z, prior)
        kl_per_dim = jnp.mean(kl_dims, axis=0)
        metrics = {"loss": loss, "recon": recon, "kl": jnp.sum(kl_per_dim)}
        return loss, ({**metrics, "kl_per_dim": kl_per_dim}, {})

    return loss_fn


def compute_dtype_apply(model: VAE) -> Callable:
    """``model.apply`` with the float32 parameters cast to ``model.dtype`` (mixed
    precision: gradients flow back to the float32 parameters through the cast)."""
    if jnp.dtype(model.dtype) == jnp.float32:
        return model.apply
    return lambda params, *args, **kwargs: model.apply(
        cast_floating(params, model.dtype), *args, **kwargs
    )


def vq_loss_fn(model: VAE, apply: Callable) -> Callable:
    """The VQ-VAE's loss (`make_loss_fn`): reconstruction, commitment and, unless the
    codebook follows an EMA, the codebook loss."""
    groups, num_codes = model.quantizer.groups, model.quantizer.num_codes
    learn_codebook = model.quantizer.update == "loss"

    def loss_fn(params, x, label, eps, keep, hparams, beta, prior=None):
        del eps, beta, prior
        out = apply(params, x, keep, label, method=VAE.vq_forward)
        recon = -jnp.mean(out.log_px)
        loss = recon + hparams["commitment_cost"] * jnp.mean(out.commitment)
        if learn_codebook:
            loss = loss + jnp.mean(out.codebook_loss)
        rate = diagnostics.vq_information(out.indices, num_codes)
        metrics = {"loss": loss, "recon": recon, "kl": rate}
        z_e = out.z_e
        extras = {
            "z_e": z_e.reshape(-1, z_e.shape[-1] // groups),
            "indices": out.indices.reshape(-1),
        }
        return loss, ({**metrics, "kl_per_dim": jnp.full(z_e.shape[-1], jnp.nan)}, extras)

    return loss_fn
