"""Models: shapes, likelihoods against objectives, init under vmap."""

import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from vaecollapse import models, objectives
from vaecollapse.models import VAE


def build(name, likelihood, shape):
    cfg = ml_collections.ConfigDict(
        dict(
            name=name,
            latent_dim=3,
            encoder_hidden=(8,),
            decoder_hidden=(8,),
            likelihood=likelihood,
            sigma2=0.5,
        )
    )
    return models.build(cfg, {"shape": shape})


@pytest.mark.parametrize(
    "name, likelihood, shape",
    [
        ("mlp", "bernoulli", (8, 8, 1)),
        ("mlp", "gaussian_learned", (5,)),
        ("linear", "gaussian", (5,)),
    ],
)
def test_shapes_and_log_prob(name, likelihood, shape):
    model = build(name, likelihood, shape)
    x = jax.random.uniform(jax.random.PRNGKey(0), (4, *shape))
    eps = jax.random.normal(jax.random.PRNGKey(1), (4, 3))
    params = model.init(jax.random.PRNGKey(2), x, eps)
    mean, log_var, log_px = model.apply(params, x, eps)
    chex.assert_shape([mean, log_var], (4, 3))
    chex.assert_shape(log_px, (4,))
    chex.assert_tree_all_finite((mean, log_var, log_px))
    z = mean + jnp.exp(0.5 * log_var) * eps
    out = model.apply(params, z, method=lambda m, z: m.decoder(z))
    chex.assert_shape(out, (4, *shape))
    if likelihood == "bernoulli":
        expected = objectives.bernoulli_log_likelihood(out, x)
    else:
        log_var_x = (
            params["params"]["log_sigma2"] if likelihood == "gaussian_learned" else np.log(0.5)
        )
        expected = objectives.gaussian_log_likelihood(x, out, log_var_x)
    np.testing.assert_allclose(log_px, expected.reshape(4, -1).sum(-1), rtol=1e-5)


def test_linear_encoder_variance_is_input_independent():
    model = build("linear", "gaussian", (5,))
    x = jax.random.normal(jax.random.PRNGKey(0), (6, 5))
    params = model.init(jax.random.PRNGKey(1), x, jnp.zeros((6, 3)))
    _, log_var = model.apply(params, x, method=VAE.encode)
    np.testing.assert_allclose(log_var, np.broadcast_to(log_var[0], log_var.shape))


def test_init_under_vmap_over_seeds():
    model = build("mlp", "bernoulli", (8, 8, 1))
    keys = jax.random.split(jax.random.PRNGKey(0), 3)
    params = jax.vmap(lambda k: model.init(k, jnp.zeros((1, 8, 8, 1)), jnp.zeros((1, 3))))(keys)
    kernel = params["params"]["encoder"]["Dense_0"]["kernel"]
    chex.assert_shape(kernel, (3, 64, 8))
    assert not np.allclose(kernel[0], kernel[1])


def test_unknown_model_name():
    with pytest.raises(
        ValueError, match=r"model.name='pixelcnn9' is unknown; allowed: mlp, linear"
    ):
        build("pixelcnn9", "bernoulli", (4,))
