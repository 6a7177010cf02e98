"""Training on the importance-weighted bound (IWAE, Burda et al. 2016): the loss against
SciPy from the model's own outputs, the config's one-line refusals, a tiny sweep."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats
from conftest import tiny_config

from vaecollapse import config as config_lib
from vaecollapse import data
from vaecollapse.families.vae import losses, models
from vaecollapse.families.vae.models import VAE


@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_loss_is_the_negated_importance_weighted_bound(default_hparams, beta):
    c = tiny_config()
    dataset = data.load(c.data)
    model = models.build(c.model, dataset.meta)
    x = jnp.asarray(dataset.train[:8])
    params = model.init(jax.random.PRNGKey(0), x, jnp.zeros((8, 3)))
    eps = jax.random.normal(jax.random.PRNGKey(1), (5, 8, 3))
    loss_fn = losses.make_loss_fn(model, iwae_samples=5)
    loss, (metrics, _) = loss_fn(params, x, None, eps, None, default_hparams, beta)
    mean, log_var = (np.asarray(a, np.float64) for a in model.apply(params, x, method=VAE.encode))
    std, e = np.exp(0.5 * log_var), np.asarray(eps, np.float64)
    z = mean + std * e
    log_px = np.stack(
        [
            np.asarray(model.apply(params, x, jnp.asarray(z_i, jnp.float32), method=VAE.log_prob))
            for z_i in z
        ]
    )
    log_prior = scipy.stats.norm.logpdf(z).sum(-1)
    log_q = scipy.stats.norm.logpdf(z, mean, std).sum(-1)
    log_w = log_px + beta * (log_prior - log_q)
    expected = -np.mean(scipy.special.logsumexp(log_w, axis=0) - np.log(5))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    kl = 0.5 * (mean**2 + std**2 - log_var - 1).mean(0)
    np.testing.assert_allclose(metrics["kl_per_dim"], kl, rtol=1e-5, atol=1e-6)


def test_a_variant_combining_iwae_and_free_bits_is_named():
    c = tiny_config()
    c.variants = (
        ("iwae", (("iwae_samples", 4),)),
        ("both", (("iwae_samples", 4), ("free_bits", 0.5))),
    )
    with pytest.raises(ValueError, match=r"variants\['both'\].free_bits=0.5 is invalid: must be 0"):
        config_lib.check_fields(c)
    c.variants = (("iwae", (("iwae_samples", 4),)), ("fb", (("free_bits", 0.5),)))
    config_lib.check_fields(c)  # different variants: fine


@pytest.mark.parametrize(
    "change, match",
    [
        (
            {"sweep.free_bits": (0.0, 0.5)},
            r"train.iwae_samples=4 is invalid: must be 1 when free_bits",
        ),
        (
            {"hparams.mmd_weight": 1.0},
            r"train.iwae_samples=4 is invalid: must be 1 when mmd_weight",
        ),
        ({"model.bottleneck": "vq"}, r"train.iwae_samples=4 is invalid: must be 1 for a VQ-VAE"),
        ({"train.iwae_samples": 0}, r"train.iwae_samples=0 is invalid: must be a positive integer"),
    ],
)
def test_bad_combinations_are_named(change, match):
    c = tiny_config()
    c.train.iwae_samples = 4
    for field, value in change.items():
        section, name = field.split(".")
        c[section][name] = value
    with pytest.raises(ValueError, match=match):
        config_lib.check_point(c)


@pytest.mark.slow
def test_a_tiny_iwae_sweep_trains(tmp_path):
    from vaecollapse import sweep

    c = tiny_config(beta=(0.5, 1.0))
    c.train.iwae_samples = 4
    r = sweep.run_sweep(c, tmp_path, progress=False)
    assert np.isfinite(r.loss_trace.values).all() and (r.kl.values > 0).all()
