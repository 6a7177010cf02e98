"""The VAE family: posterior collapse, q(z|x) = p(z) for every x, the decoder ignoring z.

Order parameters (all fall to 0 at collapse; ε is the config's ``collapse_kl_eps``):
I(x; z) (`diagnostics.mutual_information`, the main one), the KL to the prior, and the KL
per latent dim (per-unit: one boundary per rank of the latent dims). A boundary reads
each with the `families.TO_ZERO` rule: near a continuous boundary the KL falls to zero
linearly in log β (linear VAE: KL_i = ½ log(λ_i/(βσ²)), Lucas et al. 2019; I(x; z) ≤ KL
with it), so the line through the last two points above ε is extrapolated to zero
(`vaecollapse.boundary`). `states_at` is the state rule at another ε (`vaecollapse
boundary --sensitivity`). A run's state and
onset both read the KL per latent dim against ε (`diagnostics.collapse_state`,
`diagnostics.final_onset`); active units are a measure beside them. Its figures are
`families.vae.plots`' KL curves, per-dim KL, rate–distortion, probe curves, encoder
histograms, the closed form for linear-Gaussian data, and pictures for image data. Its
writing side (`trainer`): `models.build`, `train.make_train_fns`,
`diagnostics.make_evaluate`, loaded only when a sweep runs.
"""

from __future__ import annotations

from vaecollapse import states
from vaecollapse.family import TO_ZERO, Family, Figure, OrderParameter, config_of


def is_images(results) -> bool:
    """Image data with pictures in the results (reconstructions etc.)."""
    return "recon_examples" in results and len(results.attrs["data_shape"]) == 3


def is_linear_gaussian(results) -> bool:
    """Linear-Gaussian data over β: the closed form applies (`vae.plots.analytic_kl`)."""
    from vaecollapse.families.vae import plots

    return plots.analytic_kl(results) is not None


def reconstructions(results, path):
    from vaecollapse.families.vae import plots

    what = "reconstructions (top: data, then the data average)"
    return plots.picture_grid(results, "recon_examples", what, path)


def interpolations(results, path):
    from vaecollapse.families.vae import plots

    what = "decoding the line from z(x₀) to z(x₁)"
    return plots.picture_grid(results, "interpolation", what, path)


def prior_samples(results, path):
    from vaecollapse.families.vae import plots

    return plots.picture_grid(results, "prior_samples", "samples from the prior", path)


def legend(results) -> str:
    """What the VAE's summary columns mean."""
    bound = results.attrs.get("mi_bound")
    config = config_of(results)
    eps, au = config["collapse_kl_eps"], config["diagnostics"]["au_threshold"]
    return (
        f"Data `{results.attrs['data_name']}`; nats per example on the eval split. ELBO is "
        f"the bound itself (higher is better); IW-NLL = −log p̂(x). A z-independent "
        f"decoder reaches recon {results.attrs['marginal_nll']:.2f}."
        + (f" The generating factor carries I(x; topic) = {bound:.3f} nats." if bound else "")
        + f" State and onset read one order parameter, the KL of each latent dim, against "
        f"ε = {eps:g} nats (a VQ-VAE's one unit: its code information): full = every dim "
        "below ε, partial = some, healthy = none; onset: the first logged step from which "
        "every dim stays below ε through the final evaluation (−1: never; a run has one "
        "exactly when it is full). AU: active units, Var_x(μ_j) above "
        f"{au:g} (a measure beside the state). mean abs mu / mean sigma: encoder statistics "
        "(collapse: 0 and 1 for every input); z-sensitivity: mean change of the decoded "
        "output when z is swapped between inputs (collapse: 0)."
    )


def states_at(results, measure, threshold):
    """Each run's state (`states.STATE_NAMES`) by the family's rule — every latent dim's KL
    against ε, as `diagnostics.collapse_state` reads it — at ε = ``threshold``, whichever
    of the three order parameters ``measure`` is (they share ``collapse_kl_eps``):
    healthy when no dim is below ε, partial when some are, full when every one is."""
    del measure
    kl = results["kl_per_dim"]
    return states.of_units((kl < threshold).sum("latent"), kl.notnull().sum("latent"))


def kl_share(results):
    """100·KL / (recon + KL): Bowman et al.'s (2016) measure of how much z carries."""
    return 100 * results.kl / (results.recon + results.kl)


FAMILY = Family(
    name="vae",
    config="vaecollapse.families.vae.config",
    order_parameters={
        "mutual_info": OrderParameter("I(x; z) (nats)", "collapse_kl_eps", None, TO_ZERO),
        "kl": OrderParameter("KL (nats)", "collapse_kl_eps", None, TO_ZERO),
        "kl_per_dim": OrderParameter(
            "KL per latent dim (nats)", "collapse_kl_eps", "latent", TO_ZERO
        ),
    },
    panels=(
        ("kl", "KL (nats)"),
        ("active_units", "active units"),
        ("mutual_info", "I(x; z) (nats)"),
        ("collapse_state", "collapse state (0 healthy, 2 full)"),
    ),
    summary_columns=(
        ("kl", "KL", "{:.3f}"),
        ("recon", "recon", "{:.2f}"),
        ("elbo", "ELBO", "{:.2f}"),
        ("nll_iw", "IW-NLL", "{:.2f}"),
        ("active_units", "AU", "{:d}"),
        ("mutual_info", "MI", "{:.3f}"),
        ("mean_abs_mu", "mean abs mu", "{:.3f}"),
        ("mean_sigma", "mean sigma", "{:.3f}"),
        ("latent_sensitivity", "z-sensitivity", "{:.3f}"),
        ("collapse_state", "state", None),
        ("collapse_onset_step", "onset", "{:d}"),
        ("diverged", "diverged", None),
    ),
    seed_columns=(
        ("kl_share", "KL % of loss"),
        ("kl", "KL"),
        ("active_units", "AU"),
        ("mutual_info", "MI"),
        ("recon", "recon"),
        ("elbo", "ELBO"),
        ("nll_iw", "IW-NLL"),
        ("codebook_perplexity", "perplexity"),
        ("codes_used", "codes used"),
        ("collapse_onset_step", "onset"),
    ),
    figures={
        "kl_curves": Figure("vaecollapse.families.vae.plots:kl_curves"),
        "kl_per_dim": Figure("vaecollapse.families.vae.plots:kl_per_dim_bars"),
        "rate_distortion": Figure("vaecollapse.families.vae.plots:rate_distortion"),
        "au_mi_curves": Figure("vaecollapse.families.vae.plots:probe_curves"),
        "encoder_histograms": Figure("vaecollapse.families.vae.plots:encoder_histograms"),
        "analytic_kl": Figure(
            "vaecollapse.families.vae.plots:analytic_comparison", is_linear_gaussian
        ),
        "reconstructions": Figure(reconstructions, is_images),
        "interpolations": Figure(interpolations, is_images),
        "prior_samples": Figure(prior_samples, is_images),
    },
    state="collapse_state",
    state_names=states.STATE_NAMES,
    onset="collapse_onset_step",
    legend=legend,
    derived={"kl_share": kl_share},
    variable_dims={
        "kl_per_dim": ("latent",),
        "unit_activity": ("latent",),
        "dim_active": ("latent",),
        "recon_examples": ("example", "pixel"),
        "interpolation": ("frame", "pixel"),
        "prior_samples": ("example", "pixel"),
        "mu_hist": ("mu_bin",),
        "sigma_hist": ("sigma_bin",),
    },
    reference_boundaries="vaecollapse.families.vae.report:reference_boundaries",
    sections="vaecollapse.families.vae.report:sections",
    states_at=states_at,
    make_trainer="vaecollapse.families.vae.trainer:make_trainer",
    check_data="vaecollapse.families.vae.trainer:check_data",
    result_bytes="vaecollapse.families.vae.trainer:result_bytes",
    finish="vaecollapse.families.vae.trainer:finish",
)
