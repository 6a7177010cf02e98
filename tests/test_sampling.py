"""Ancestral sampling: the draws follow p(x | z) exactly (enumerated joint vs Monte Carlo)."""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vaecollapse.config import base_config
from vaecollapse.families.vae import models, sampling
from vaecollapse.families.vae.models import VAE


def _model(name, shape, vocab=0):
    cfg = base_config().model
    cfg.update(name=name, latent_dim=2, conv_features=(4,), pixelcnn_features=4, hidden=4)
    cfg.update(embed_dim=4, transformer_width=4, transformer_heads=1, encoder_hidden=(4,))
    cfg.update(decoder_hidden=(4,), likelihood="categorical" if vocab else "bernoulli")
    model = models.build(cfg, {"shape": shape, "vocab_size": vocab})
    x = jnp.zeros((1, *shape), jnp.int32 if vocab else jnp.float32)
    return model, model.init(jax.random.PRNGKey(3), x, jnp.zeros((1, 2)))


def _exact_log_prob(model, params, z, xs):
    """log p(x | z) of each candidate x, from one teacher-forced decoder pass."""
    zs = jnp.broadcast_to(z, (len(xs), z.shape[-1]))
    return model.apply(params, xs, zs, method=VAE.log_prob)


CASES = [
    ("mlp", (2, 2, 1), 0),  # factorised: one pass
    ("pixelcnn", (2, 2, 1), 0),  # raster order over 4 binary pixels
    ("lstm", (3,), 3),  # left to right over 3 tokens of 3 values
    ("transformer", (3,), 3),
]


@pytest.mark.parametrize("name, shape, vocab", CASES, ids=[c[0] for c in CASES])
def test_ancestral_samples_follow_the_exact_joint(name, shape, vocab):
    model, params = _model(name, shape, vocab)
    n = 20000
    z = jnp.array([[0.7, -1.1]])
    noise = sampling.sample_noise(model, jax.random.PRNGKey(0), (n, *shape), vocab)
    draw = jax.jit(lambda z, u: sampling.ancestral_sample(model, params, z, u))
    x, mean = draw(jnp.broadcast_to(z, (n, 2)), noise)
    chex.assert_shape(x, (n, *shape))
    chex.assert_tree_all_finite(mean)
    values = range(vocab) if vocab else (0.0, 1.0)
    candidates = np.array(list(itertools.product(values, repeat=int(np.prod(shape)))))
    candidates = candidates.reshape(-1, *shape).astype(np.asarray(x).dtype)
    exact = np.exp(np.asarray(_exact_log_prob(model, params, z, jnp.asarray(candidates))))
    np.testing.assert_allclose(exact.sum(), 1.0, rtol=1e-4)  # the decoder is normalised
    flat = np.asarray(x).reshape(n, -1)
    counts = np.array([np.all(flat == c.reshape(-1), axis=1).sum() for c in candidates])
    # every candidate's frequency within 4.5 binomial standard errors of its probability
    se = np.sqrt(exact * (1 - exact) / n)
    assert np.all(np.abs(counts / n - exact) <= 4.5 * se + 1e-3), (counts / n, exact)


def test_common_noise_makes_a_z_blind_decoder_draw_one_sample():
    """The same noise for every z: a decoder whose first layer ignores z draws one image
    for all of them; the trained-from-init decoder, which reads z, does not."""
    model, params = _model("mlp", (4, 4, 1))
    blind = jax.tree_util.tree_map(lambda p: p, params)
    kernel = blind["params"]["decoder"]["Dense_0"]["kernel"]
    blind["params"]["decoder"]["Dense_0"]["kernel"] = jnp.zeros_like(kernel)
    noise = jnp.broadcast_to(jax.random.uniform(jax.random.PRNGKey(0), (1, 4, 4, 1)), (6, 4, 4, 1))
    z = 3.0 * jax.random.normal(jax.random.PRNGKey(1), (6, 2))
    draw = jax.jit(lambda p: sampling.ancestral_sample(model, p, z, noise)[1])
    assert np.allclose(draw(blind), draw(blind)[:1])
    assert not np.allclose(draw(params), draw(params)[:1])
