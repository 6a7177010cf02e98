"""Collapse diagnostics: pure functions of encoder/decoder outputs over an eval set.

Collapse (q(z|x) = p(z) for all x, the decoder ignoring z) shows as: KL ≈ 0 and
staying there, no active units, I_q(x; z) ≈ 0, μ ≈ 0 and σ ≈ 1 for every input,
reconstructions no better than the data's marginal, and a decoder whose output does
not change when z is swapped between inputs. Each function here measures one of
these; `make_evaluate` gathers them for one run, vmappable over a grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vaecollapse import states
from vaecollapse.families.vae import objectives, sampling
from vaecollapse.families.vae.models import VAE
from vaecollapse.states import FULL, HEALTHY, PARTIAL
from vaecollapse.states import STATE_NAMES as STATE_NAMES  # re-exported; readers use `states`

Array = jax.Array


@dataclass(frozen=True)
class Settings:
    """How the diagnostics are measured: plain frozen values, read once when a compiled
    function is built (never a mutable config inside a trace)."""

    au_threshold: float = 0.01  # Var_x(μ_j) above which a dim is active (Burda et al. 2016)
    iw_samples: int = 50  # k of the importance-weighted NLL
    mi_chunk: int = 256  # samples per chunk of the I(x; z) estimate
    trace_examples: int = 256  # training examples probed at each logged step
    collapse_kl_eps: float = 0.05  # KL (nats) below which a run counts as collapsed

    @classmethod
    def from_config(cls, config: Any) -> Settings:
        """From ``config.diagnostics`` and ``config.collapse_kl_eps``."""
        section = config.diagnostics
        return cls(
            au_threshold=float(section.au_threshold),
            iw_samples=int(section.iw_samples),
            mi_chunk=int(section.mi_chunk),
            trace_examples=int(section.trace_examples),
            collapse_kl_eps=float(config.collapse_kl_eps),
        )


def kl_per_dim(mean: Array, log_var: Array) -> Array:
    """E_x KL(q(z_j|x) ‖ N(0,1)): ``[N, d]`` → ``[d]`` nats."""
    return jnp.mean(objectives.gaussian_kl(mean, log_var), axis=0)


def unit_activity(mean: Array) -> Array:
    """A_j = Var_x(E_q[z_j | x]), unbiased over the N inputs: ``[N, d]`` → ``[d]``."""
    return jnp.var(mean, axis=0, ddof=1)


class Pull(NamedTuple):
    """Per latent dim (``[d]``), the forces on the spread of the encoder's means
    (`latent_pull`), and what they act on."""

    mu_var: Array  # Var_x μ_j (population variance over the N inputs)
    sigma_sq: Array  # E_x σ_j²
    recon_pull: Array  # −d/ds of the mean reconstruction loss: > 0 when spreading μ_j helps
    kl_pull: Array  # d/ds of the KL term at β = 1 (free bits applied): ≥ 0, pulls μ_j in
    recon_grad: Array  # RMS over inputs of ∂(−log p(x|z))/∂z_j: how much the decoder uses z_j


def latent_pull(recon_grad: Array, mean: Array, log_var: Array, free_bits: Array) -> Pull:
    """The pull of reconstruction and KL on each dim's spread of means.

    Scale every input's mean about the dim's average m_j,
    μ_nj(s) = m_j + (1 + s)(μ_nj − m_j), and differentiate each term of the loss at s = 0:
    d/ds f = Σ_n ∂f/∂μ_nj (μ_nj − m_j). For the reconstruction loss R (the batch mean
    of −log p(x_n|z_n) at the reparameterised sample z = μ + σε a training step sees;
    ∂R/∂μ = ∂R/∂z = ``recon_grad``) the pull outward is −dR/ds; for the KL term
    K = Σ_j max(λ, mean_n KL_nj) (`objectives.free_bits_kl`, the loss's own) the pull
    inward is dK/ds = Var_x μ_j where the dim's KL is above λ, 0 where free bits hold it.
    Under the loss R + βK the spread of dim j grows (to first order, at fixed σ and
    decoder) when recon_pull_j > β · kl_pull_j and shrinks toward collapse when below;
    at a stationary point the two balance on every active dim. At a linear VAE's
    collapsed dim (encoder gain c → 0, σ_q = 1, the decoder at its optimum for that
    encoder) recon_pull / kl_pull = λ_j / ((c²λ_j + 1)² σ²) → λ_j / σ², so the dim grows
    out of collapse exactly when λ_j > βσ² (Lucas et al. 2019). Defined for the β-ELBO
    with free bits (BN-VAE fixes the spread by γ; IWAE and MMD-VAE are not R + βK).
    Needs only what a training loop has: the encoder's outputs and the gradient of its
    reconstruction loss with respect to the sampled z (PyTorch: ``z.grad``).

    Args:
      recon_grad: ``[N, d]`` ∂R/∂z of the batch-mean reconstruction loss R.
      mean, log_var: ``[N, d]`` the encoder's outputs.  free_bits: λ (nats per dim).
    """
    centred = mean - jnp.mean(mean, axis=0)
    kl = lambda m: objectives.free_bits_kl(objectives.gaussian_kl(m, log_var), free_bits)  # noqa: E731
    return Pull(
        mu_var=jnp.mean(jnp.square(centred), axis=0),
        sigma_sq=jnp.mean(jnp.exp(log_var), axis=0),
        recon_pull=-jnp.sum(recon_grad * centred, axis=0),
        kl_pull=jnp.sum(jax.grad(kl)(mean) * centred, axis=0),
        recon_grad=mean.shape[0] * jnp.sqrt(jnp.mean(jnp.square(recon_grad), axis=0)),
    )


def active_units(mean: Array, threshold: float = 0.01) -> Array:
    """Number of dims with Var_x(μ_j) > threshold (Burda et al. 2016), int32 scalar."""
    return jnp.sum(unit_activity(mean) > threshold).astype(jnp.int32)


def _diag_gauss_logpdf(z: Array, mean: Array, log_var: Array) -> Array:
    """log N(z | mean, diag exp(log_var)) summed over the last axis."""
    return jnp.sum(objectives.gaussian_log_likelihood(z, mean, log_var), axis=-1)


def mutual_information(mean: Array, log_var: Array, key: Array, chunk: int = 256) -> Array:
    """I_q(x; z) = E_x E_{q(z|x)}[log q(z|x)] − E_{q(z)}[log q(z)]  (He et al. 2019).

    q(z) = (1/N) Σ_m q(z|x_m), the aggregate posterior of the N eval inputs; one z
    sample per input. Evaluated in chunks of ``chunk`` samples, so memory is
    ``chunk × N × d``. The estimate lies in [−∞, log N] and is ≈ 0 when q(z|x) = q(z).

    Args:
      mean, log_var: ``[N, d]``.  key: PRNG key.  chunk: samples per chunk.

    Returns:
      Scalar, nats.
    """
    n, d = mean.shape
    z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(key, (n, d))
    log_q_own = _diag_gauss_logpdf(z, mean, log_var)
    pad = (-n) % chunk
    z_chunks = jnp.pad(z, ((0, pad), (0, 0))).reshape(-1, chunk, d)

    def log_aggregate(zc):  # [chunk, d] -> [chunk]: log (1/N) Σ_m q(z | x_m)
        pairwise = _diag_gauss_logpdf(zc[:, None, :], mean[None], log_var[None])
        return jax.nn.logsumexp(pairwise, axis=1) - math.log(n)

    log_q_agg = jax.lax.map(log_aggregate, z_chunks).reshape(-1)[:n]
    return jnp.mean(log_q_own - log_q_agg)


def importance_weighted_nll(
    model: VAE,
    params: Any,
    x: Array,
    mean: Array,
    log_var: Array,
    key: Array,
    num_samples: int,
    keep: Array | None = None,
    label: Array | None = None,
) -> Array:
    """−log p̂(x) from the IWAE bound with k = ``num_samples`` (Burda et al. 2016).

    One sample at a time over k (memory ``N × d``). ``keep``/``label``: the decoder's
    context-dropout mask and CVAE condition. Returns the mean over x, nats.
    """

    def log_weight(k):
        z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(k, mean.shape)
        log_px = model.apply(params, x, z, keep, label, method=VAE.log_prob)
        log_joint = log_px + _diag_gauss_logpdf(z, 0.0, jnp.zeros_like(z))
        return log_joint - _diag_gauss_logpdf(z, mean, log_var)

    log_w = jax.lax.map(log_weight, jax.random.split(key, num_samples))
    return -jnp.mean(objectives.iwae_bound(log_w, jnp.zeros_like(log_w)))


def latent_sensitivity(
    model: VAE, params: Any, mean: Array, x: Array, label: Array | None = None
) -> Array:
    """Mean |E[x|z=μ(x_n)] − E[x|z=μ(x_{n+1})]| per output element.

    How much the decoder's output moves when z is swapped between inputs; ≈ 0 when
    the decoder ignores z (the "interpolations all look alike" symptom). An
    autoregressive decoder keeps its context x_n (and a CVAE its label) in both, so only
    z changes.
    """
    decode = lambda z: model.apply(params, z, x, label, method=VAE.decode_mean)  # noqa: E731
    return jnp.mean(jnp.abs(decode(mean) - decode(jnp.roll(mean, 1, axis=0))))


NUM_SHOWN = 8
# Bin edges of the encoder histograms: the prior puts μ = 0, σ = 1.
MU_EDGES = np.linspace(-4.0, 4.0, 41)
SIGMA_EDGES = np.linspace(0.0, 2.0, 41)


def encoder_histograms(mean: Array, log_var: Array) -> dict[str, Array]:
    """Histograms over inputs and dims of μ_j(x) and σ_j(x) (fractions per bin).

    A collapsed encoder puts every input at μ ≈ 0, σ ≈ 1 (one spike each); a healthy one
    spreads μ and shrinks σ. Values beyond the edges (`MU_EDGES`, `SIGMA_EDGES`) are
    counted in the outer bins.
    """

    def fractions(values, edges):
        values = jnp.clip(values.ravel(), edges[0], edges[-1])
        counts, _ = jnp.histogram(values, bins=jnp.asarray(edges))
        return counts / values.size

    return {
        "mu_hist": fractions(mean, MU_EDGES),
        "sigma_hist": fractions(jnp.exp(0.5 * log_var), SIGMA_EDGES),
    }


def decoded_examples(
    model: VAE, params: Any, x: Array, mean: Array, key: Array, label: Array | None = None
) -> dict[str, Array]:
    """Pictures of the symptoms, flattened to ``[NUM_SHOWN, pixels]``.

    ``recon_examples``: decoded μ(x_i) for the first eval inputs (collapse: all alike,
    the "average output"); ``interpolation``: decoded points on the line from μ(x_0) to
    μ(x_j), x_j the eval input farthest from x_0 (collapse: no change along it);
    ``prior_samples``: decoded z ~ N(0, I). A CVAE decodes each with its own input's
    label, the path and the prior samples with x_0's.

    Factorised decoders show E[x | z]. Autoregressive ones are sampled ancestrally
    (`sampling.ancestral_sample`) with the same noise in every cell, so a decoder that
    ignores z draws the same picture everywhere; images show E[x_i | z, x_<i] along the
    draw, token sequences the drawn tokens.
    """
    flat = x.reshape(x.shape[0], -1)
    far = jnp.argmax(jnp.sum(jnp.square(flat - flat[0]), axis=-1))
    t = jnp.linspace(0.0, 1.0, NUM_SHOWN)[:, None]
    path = (1.0 - t) * mean[0] + t * mean[far]
    k_noise, k_prior = jax.random.split(key)
    vocab = getattr(model.decoder, "vocab_size", 0)
    noise = sampling.sample_noise(model, k_noise, (1, *x.shape[1:]), vocab)
    noise = jnp.broadcast_to(noise, (NUM_SHOWN, *noise.shape[1:]))
    tokens = model.likelihood == "categorical"

    def decode(z, y):
        if not model.autoregressive:
            return model.apply(params, z, None, y, method=VAE.decode_mean)
        draw, expected = sampling.ancestral_sample(model, params, z, noise, y)
        return draw if tokens else expected

    shown = None if label is None else label[:NUM_SHOWN]
    first = None if label is None else jnp.repeat(label[:1], NUM_SHOWN)
    prior = jax.random.normal(k_prior, (NUM_SHOWN, mean.shape[-1]))
    pictures = {
        "recon_examples": decode(mean[:NUM_SHOWN], shown),
        "interpolation": decode(path, first),
        "prior_samples": decode(prior, first),
    }
    return {k: v.reshape(NUM_SHOWN, -1) for k, v in pictures.items()}


def marginal_nll(train: np.ndarray, test: np.ndarray, kind: str) -> float:
    """NLL (nats per example) of ``test`` under the best z-independent factorised model.

    Bernoulli with per-element frequencies, categorical with per-position token
    frequencies (``tokens``), or Gaussian with per-element mean and variance, fitted
    on ``train``. A decoder whose reconstructions are no better than
    this has learned only the "average output".
    """
    if kind == "tokens":
        vocab = int(max(train.max(), test.max())) + 1
        counts = np.stack([np.bincount(col, minlength=vocab) for col in train.T]) + 0.5
        log_p = np.log(counts / counts.sum(1, keepdims=True))  # [T, V], add-½ smoothed
        return float(-np.mean(np.sum(log_p[np.arange(test.shape[1]), test], axis=1)))
    train = train.reshape(len(train), -1).astype(np.float64)
    test = test.reshape(len(test), -1).astype(np.float64)
    if kind == "binary":
        p = np.clip(train.mean(0), 1e-4, 1 - 1e-4)
        return float(-np.mean(np.sum(test * np.log(p) + (1 - test) * np.log1p(-p), axis=1)))
    mu, var = train.mean(0), train.var(0) + 1e-6
    return float(np.mean(np.sum(0.5 * (np.log(2 * np.pi * var) + (test - mu) ** 2 / var), axis=1)))


def codebook_usage(indices: Array, num_codes: int) -> tuple[Array, Array]:
    """VQ-VAE codebook health: (perplexity, number of codes used) over ``indices``.

    perplexity = exp(−Σ_k p_k log p_k), p_k the share of inputs assigned to code k:
    1 when one code takes every input (the discrete analogue of collapse), ``num_codes``
    when all are used equally. Dead codes = ``num_codes`` − codes used.
    """
    counts = jnp.bincount(indices.reshape(-1), length=num_codes)
    p = counts / jnp.maximum(jnp.sum(counts), 1)
    entropy = -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0))
    return jnp.exp(entropy), jnp.sum(counts > 0).astype(jnp.int32)


def vq_information(indices: Array, num_codes: int) -> Array:
    """Σ_g H(c_g): code entropies of a VQ-VAE's groups over the inputs, nats.

    A deterministic encoder's I(x; c) equals H(c) ≤ Σ_g H(c_g) (equal when groups are
    independent); each H(c_g) = log perplexity of `codebook_usage`. 0 when every input
    gets the same code word (collapse), at most groups · log K.

    Args:
      indices: ``[N, groups]`` code indices.
    """
    return sum(
        jnp.log(codebook_usage(indices[:, g], num_codes)[0]) for g in range(indices.shape[1])
    )


def collapse_state(collapsed: Array) -> Array:
    """A run's state from ``collapsed [..., U]``, whether each unit's order parameter is
    below its ε (VAE: KL of each latent dim): 0 healthy (no unit collapsed), 1 partial,
    2 full (every unit), int32."""
    n, units = jnp.sum(collapsed, axis=-1), collapsed.shape[-1]
    return jnp.where(n == units, FULL, jnp.where(n > 0, PARTIAL, HEALTHY)).astype(jnp.int32)


def final_onset(unit_trace: Array, final: Array, steps: Array, eps: float) -> Array:
    """The onset that agrees with the final state: the first logged step from which every
    unit of ``unit_trace [T, U]`` (the per-unit order parameter at each logged step) stays
    below ``eps`` through the final evaluation ``final [U]`` (counted at the last step).
    ≥ 0 exactly when ``collapse_state(final < eps)`` is full; −1 otherwise."""
    collapsed = jnp.append(jnp.all(unit_trace < eps, axis=-1), jnp.all(final < eps))
    return states.collapse_onset(collapsed, jnp.append(steps, steps[-1]))


class _Terms(NamedTuple):
    """What the evaluation of one kind of posterior hands to the shared statistics."""

    mean: Array  # [N, d] the encoder's location (μ; z_e for a VQ-VAE): μ statistics
    z: Array  # [N, d] the decoded latent (μ; z_q): activity, pictures, sensitivity
    log_var: Array  # [N, d] log σ² (a VQ-VAE's point mass: very negative)
    results: dict[str, Array]  # the posterior-specific results (KL, recon, ELBO, …)


def make_evaluate(config: Any, model: VAE) -> Callable:
    """``evaluate(params, key, hparams, traces, eval_data, steps) -> dict`` for one run.

    ``traces`` holds the run's ``kl`` ``[T]`` and ``kl_per_dim`` ``[T, d]`` at the logged
    ``steps`` ``[T]``; ``eval_data`` is ``(x, labels)``; it runs in float32 whatever
    ``compute_dtype`` trained the run. The decoder is evaluated as it was trained: with
    the run's ``context_dropout`` hiding context positions at random (each mask gives a
    normalised autoregressive model, so recon, ELBO and IW-NLL stay bounds).

    Returns scalars ``kl``, ``recon``, ``elbo``, ``nll_iw``, ``active_units``,
    ``mutual_info``, ``mean_abs_mu``, ``std_mu``, ``mean_sigma``, ``std_sigma``,
    ``latent_sensitivity``, ``collapse_state``, ``collapse_onset_step`` and per-dim
    ``kl_per_dim``, ``unit_activity``, ``dim_active`` ``[d]``; all nats per example;
    ``mu_hist``/``sigma_hist`` (`encoder_histograms`); the pictures of
    `decoded_examples`; ``codebook_perplexity``, ``codes_used`` (NaN, −1
    for a Gaussian posterior).

    State and onset read one order parameter, the KL of each latent dim, against one
    threshold ε (``collapse_kl_eps``): a dim is collapsed below ε; the state is full when
    every dim is, partial when some are, healthy when none is (`collapse_state`); the
    onset is the first logged step from which every dim stays below ε through the final
    evaluation (`final_onset`), so a run has an onset exactly when its state is full.
    Active units (Var_x μ_j above ``au_threshold``) are a measure beside it. A VQ-VAE's
    one unit is its code information.

    A VQ-VAE has no KL per dim (``kl_per_dim`` NaN): ``kl`` and ``mutual_info`` hold its
    code information `vq_information`; activity and pictures use the code word z_q, the
    μ statistics and histogram the encoder output z_e, σ = 0 (a point mass).
    """
    model = model.clone(dtype=jnp.float32)  # evaluation in float32 whatever trained
    settings = Settings.from_config(config)
    latent_dim = config.model.latent_dim
    vq = model.quantizer

    def gaussian_terms(params, eval_x, label, keep, key, hparams) -> _Terms:
        """The `_Terms` of a Gaussian posterior."""
        k_recon, k_mi, k_iw = jax.random.split(key, 3)
        strength = objectives.posterior_strength(model.posterior, hparams)
        mean, log_var = model.apply(params, eval_x, label, strength, method=VAE.encode)
        z = mean + jnp.exp(0.5 * log_var) * jax.random.normal(k_recon, mean.shape)
        recon = -jnp.mean(model.apply(params, eval_x, z, keep, label, method=VAE.log_prob))
        kl_dims = kl_per_dim(mean, log_var)
        return _Terms(
            mean,
            mean,
            log_var,
            {
                "kl": jnp.sum(kl_dims),
                "recon": recon,
                "elbo": -(recon + jnp.sum(kl_dims)),
                "nll_iw": importance_weighted_nll(
                    model, params, eval_x, mean, log_var, k_iw, settings.iw_samples, keep, label
                ),
                "mutual_info": mutual_information(mean, log_var, k_mi, settings.mi_chunk),
                "kl_per_dim": kl_dims,
                "codebook_perplexity": jnp.float32(jnp.nan),
                "codes_used": jnp.int32(-1),
            },
        )

    def vq_terms(params, eval_x, label, keep, key, hparams) -> _Terms:
        """The same for a VQ-VAE: a point-mass posterior on the code word z_q, KL to the
        uniform code prior groups · log K (a constant), I(x; c) = `vq_information`."""
        del key, hparams
        out = model.apply(params, eval_x, keep, label, method=VAE.vq_forward)
        recon = -jnp.mean(out.log_px)
        bound = recon + vq.groups * math.log(vq.num_codes)  # −ELBO; = −IWAE bound for a point mass
        perplexity, used = codebook_usage(out.indices, vq.num_codes)
        rate = vq_information(out.indices, vq.num_codes)
        return _Terms(
            out.z_e,
            out.z_q,
            jnp.full_like(out.z_e, -50.0),
            {
                "kl": rate,
                "recon": recon,
                "elbo": -bound,
                "nll_iw": bound,
                "mutual_info": rate,
                "kl_per_dim": jnp.full(latent_dim, jnp.nan),
                "codebook_perplexity": perplexity,
                "codes_used": used,
            },
        )

    def evaluate(params, key, hparams, traces, eval_data, steps):
        eval_x, label = eval_data
        k_terms, k_keep, k_show = jax.random.split(key, 3)
        keep = jax.random.bernoulli(k_keep, 1.0 - hparams["context_dropout"], eval_x.shape)
        terms = vq_terms if vq is not None else gaussian_terms
        mean, z, log_var, out = terms(params, eval_x, label, keep, k_terms, hparams)
        activity = unit_activity(z)
        dim_active = activity > settings.au_threshold
        num_active = jnp.sum(dim_active).astype(jnp.int32)
        sigma = jnp.exp(0.5 * log_var)
        # the state and onset's order parameter, per unit: KL per latent dim (VQ-VAE: its
        # code information, one unit), below ε
        if vq is None:
            units, unit_trace = out["kl_per_dim"], traces["kl_per_dim"]
        else:
            units, unit_trace = out["kl"][None], traces["kl"][:, None]
        eps = settings.collapse_kl_eps
        return {
            **out,
            "active_units": num_active,
            "mean_abs_mu": jnp.mean(jnp.abs(mean)),
            "std_mu": jnp.mean(jnp.std(mean, axis=0)),
            "mean_sigma": jnp.mean(sigma),
            "std_sigma": jnp.mean(jnp.std(sigma, axis=0)),
            "latent_sensitivity": latent_sensitivity(model, params, z, eval_x, label),
            "collapse_state": collapse_state(units < eps),
            "collapse_onset_step": final_onset(unit_trace, units, steps, eps),
            "unit_activity": activity,
            "dim_active": dim_active,
            **encoder_histograms(mean, log_var),
            **decoded_examples(model, params, eval_x, z, k_show, label),
        }

    return evaluate
