"""Scientific claims (slow): collapse happens where theory says it does."""

import numpy as np
import pytest

from vaecollapse import config as config_lib
from vaecollapse import sweep
from vaecollapse.families.vae import analytic, diagnostics


def run_quick(name, tmp_path):
    config = config_lib.experiment_config(name, quick=True)
    return sweep.run_sweep(config, tmp_path, progress=False)


@pytest.mark.slow
def test_linear_vae_matches_closed_form(tmp_path):
    """Learned per-dim KL (sorted) within 10 % of ½ log(λ/βσ²) on active dims, < 0.05 nats
    on collapsed ones, for every β and seed; active-unit counts exactly as predicted."""
    config = config_lib.experiment_config("linear_phase")
    results = sweep.run_sweep(config, tmp_path, progress=False)
    eig = np.array(config.data.eigenvalues)
    for beta in results.beta.values:
        expected = np.asarray(analytic.linear_vae_kl_per_dim(eig, config.model.sigma2, beta))
        expected = np.sort(expected)[::-1][: config.model.latent_dim]
        learned = np.sort(results.kl_per_dim.sel(beta=beta).values, axis=-1)[..., ::-1]
        active = expected > 0
        np.testing.assert_allclose(
            learned[:, active],
            np.broadcast_to(expected[active], learned[:, active].shape),
            rtol=0.10,
        )
        assert (learned[:, ~active] < 0.05).all()
        assert (results.active_units.sel(beta=beta).values == active.sum()).all()
    assert len(set(results.active_units.values.ravel())) >= 3  # the grid crosses boundaries


@pytest.mark.slow
def test_demo_quick_collapses_at_large_beta(tmp_path):
    results = run_quick("demo", tmp_path)
    plain = results.sel(free_bits=0.0)
    assert int(plain.collapse_state.sel(beta=10.0).max()) == 2
    assert int(plain.collapse_state.sel(beta=0.1).max()) == 0
    assert float(results.kl.sel(beta=10.0, free_bits=1.0).min()) > 1.0  # free bits rescue


@pytest.mark.slow
def test_remedies_quick_each_remedy_beats_the_collapsed_baseline(tmp_path):
    """The plain PixelCNN VAE collapses (KL < 0.15 nats, at most 1 active unit); every
    remedy the issue names has more KL and more active units on the same seed."""
    results = run_quick("remedies", tmp_path).isel(seed=0)
    plain = results.sel(variant="plain")
    assert float(plain.kl) < 0.15 and int(plain.active_units) <= 1
    for remedy in ("kl_annealing", "cyclical", "kl_ae", "free_bits", "weaker_decoder"):
        cured = results.sel(variant=remedy)
        assert float(cured.kl) > float(plain.kl), remedy
        assert int(cured.active_units) > int(plain.active_units), remedy
    vq = results.sel(variant="vq_vae")
    assert int(vq.codes_used) > 1 and int(vq.active_units) > int(plain.active_units)


@pytest.mark.slow
def test_image_phase_quick_collapse_sets_in_with_beta(tmp_path):
    """Full context: healthy at β = 0.25, collapsed (no active unit) at β = 4."""
    results = run_quick("image_phase", tmp_path).sel(context_dropout=0.0).isel(seed=0)
    assert int(results.collapse_state.sel(beta=0.25)) == 0
    assert int(results.collapse_state.sel(beta=4.0)) == 2
    assert float(results.kl.sel(beta=4.0)) < 0.05 < float(results.kl.sel(beta=0.25))


@pytest.mark.slow
def test_symptoms_quick_shows_every_symptom_on_the_collapsed_model_only(tmp_path):
    results = run_quick("symptoms", tmp_path).isel(seed=0)
    bad, good = results.sel(variant="collapsed"), results.sel(variant="healthy")
    assert float(bad.kl) < 0.15 and int(bad.active_units) <= 1  # KL ≈ 0, inactive units
    assert float(bad.mean_sigma) > 0.85 and float(bad.mean_abs_mu) < 0.1  # q(z|x) ≈ p(z)
    assert float(bad.latent_sensitivity) < 0.25 * float(good.latent_sensitivity)
    assert int(good.active_units) == 8 and float(good.mutual_info) > 5 * float(bad.mutual_info)


@pytest.mark.slow
def test_text_collapse_quick_lstm_collapses_warmup_and_word_dropout_prevent_it(tmp_path):
    """Bowman et al. (2016) on He et al.'s (2019) data: the plain LSTM VAE (β = 1, no word
    dropout) collapses fully in every seed — KL and I(x; z) < 0.05 nats, no active unit —
    while KL warm-up and word dropout 0.5 each keep > 0.5 nats in z and reconstruct
    better."""
    results = run_quick("text_collapse", tmp_path).sel(name="lstm")
    plain = results.sel(schedule="constant", context_dropout=0.0)
    assert (plain.kl < 0.05).all() and (plain.mutual_info < 0.05).all()
    assert (plain.active_units == 0).all() and (plain.collapse_state == diagnostics.FULL).all()
    for cure in (
        results.sel(schedule="linear_warmup", context_dropout=0.0),
        results.sel(schedule="constant", context_dropout=0.5),
    ):
        assert (cure.kl > 0.5).all() and (cure.mutual_info > 0.5).all()
        assert (cure.recon < plain.recon).all()


def _assert_floors_hold(results, plain):
    """BN-VAE (γ = 0.5): every dim's expected KL at γ²/2 or above (the batch-variance
    factor v/(v + 1e-5) taken as 1 − 1e-3); δ-VAE (δ = 0.1): every dim's KL at δ or above;
    both healthy, with more information in z than ``plain``."""
    bn, delta = results.sel(variant="bn_vae"), results.sel(variant="delta_vae")
    assert (bn.kl_per_dim >= (1 - 1e-3) * 0.5**2 / 2).all()
    assert (delta.kl_per_dim >= 0.1 * (1 - 1e-4)).all()
    for run in (bn, delta):
        assert int(run.collapse_state) == diagnostics.HEALTHY
        assert float(run.mutual_info) > float(plain.mutual_info)


@pytest.mark.slow
def test_remedies_literature_quick_plain_collapses_and_the_floors_hold(tmp_path):
    """He et al.'s text (seed 0): the plain LSTM VAE ends fully collapsed; BN-VAE (γ =
    0.5) keeps every dim's expected KL at its floor γ²/2 or above (the batch-variance
    factor v/(v + 1e-5) taken as 1 − 1e-3) and δ-VAE (δ = 0.1) every dim's KL at δ or
    above (`objectives.bn_mean`, `objectives.delta_log_var`), both on the trained runs'
    evaluation; neither collapses."""
    results = run_quick("remedies_literature", tmp_path).isel(seed=0)
    plain = results.sel(variant="plain")
    assert int(plain.collapse_state) == diagnostics.FULL and float(plain.kl) < 0.05
    _assert_floors_hold(results, plain)


@pytest.mark.slow
def test_remedies_literature_digits_quick_floors_hold_on_the_pixelcnn(tmp_path):
    """Digits with the PixelCNN (seed 0): BN-VAE's expected-KL floor γ²/2 and δ-VAE's
    per-dim floor δ hold on the trained runs, both keep every dim above ε and more
    information in z than the plain VAE."""
    results = run_quick("remedies_literature_digits", tmp_path).isel(seed=0)
    plain = results.sel(variant="plain")
    _assert_floors_hold(results, plain)
