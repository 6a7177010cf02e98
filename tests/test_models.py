"""Models: shapes, likelihoods against objectives, init under vmap."""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from vaecollapse.config import base_config
from vaecollapse.families.vae import losses, models, objectives
from vaecollapse.families.vae.models import VAE


def build(name, likelihood, shape):
    cfg = base_config().model
    cfg.update(
        name=name,
        latent_dim=3,
        encoder_hidden=(8,),
        decoder_hidden=(8,),
        likelihood=likelihood,
        sigma2=0.5,
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


def _lstm(vocab=5, length=6, name="lstm"):
    cfg = base_config().model
    cfg.update(name=name, latent_dim=3, embed_dim=4, hidden=8, likelihood="categorical")
    cfg.update(transformer_width=8, transformer_heads=2)
    model = models.build(cfg, {"shape": (length,), "vocab_size": vocab})
    x = jax.random.randint(jax.random.PRNGKey(0), (2, length), 0, vocab)
    params = model.init(jax.random.PRNGKey(1), x, jnp.zeros((2, 3)))
    return model, params, x


@functools.partial(jax.jit, static_argnums=0)
def _decoder_logits(model, params, z, x, keep):
    return model.apply(params, z, x, keep, method=lambda m, z, x, k: m.decoder(z, x, k))


@pytest.mark.parametrize("name", ["lstm", "transformer"])
@pytest.mark.parametrize("drop", [0.0, 0.5, 1.0])
def test_token_decoders_are_causal_for_every_context_dropout(drop, name):
    """Changing token s never changes logits at positions <= s (tokens are integers,
    so the check is by perturbation rather than gradient); with context dropout 1 no
    token changes any logit."""
    model, params, x = _lstm(name=name)
    z = jax.random.normal(jax.random.PRNGKey(2), (2, 3))
    keep = jax.random.bernoulli(jax.random.PRNGKey(3), 1.0 - drop, x.shape)
    base = _decoder_logits(model, params, z, x, keep)
    for s in range(x.shape[1]):
        changed = x.at[:, s].set((x[:, s] + 1) % 5)
        out = _decoder_logits(model, params, z, changed, keep)
        np.testing.assert_allclose(out[:, : s + 1], base[:, : s + 1], atol=1e-6)
        if drop == 0.0 and s + 1 < x.shape[1]:
            assert not np.allclose(out[:, s + 1], base[:, s + 1])
        if drop == 1.0:
            np.testing.assert_allclose(out, base, atol=1e-6)  # no context at all


@pytest.mark.parametrize("name", ["lstm", "transformer"])
def test_token_decoders_use_z_and_shapes(name):
    model, params, x = _lstm(name=name)
    z1, z2 = jnp.zeros((2, 3)), jnp.ones((2, 3))
    a = _decoder_logits(model, params, z1, x, None)
    b = _decoder_logits(model, params, z2, x, None)
    chex.assert_shape(a, (2, 6, 5))
    assert not np.allclose(a, b)
    mean, log_var, log_px = model.apply(params, x, jnp.zeros((2, 3)))
    chex.assert_shape([mean, log_var], (2, 3))
    expected = objectives.categorical_log_likelihood(
        _decoder_logits(model, params, mean, x, None), x
    ).sum(-1)
    np.testing.assert_allclose(log_px, expected, rtol=1e-5)


def test_lstm_vae_init_and_grad_under_vmap_over_seeds():
    """Several recurrent kernels initialised in one vmapped program (this hung with
    QR-based orthogonal init on jaxlib 0.10's CPU thread pool)."""
    model, _, x = _lstm()
    keys = jax.random.split(jax.random.PRNGKey(0), 4)

    def loss(key):
        params = model.init(key, x, jnp.zeros((2, 3)))
        grads = jax.grad(lambda p: -jnp.sum(model.apply(p, x, jnp.zeros((2, 3)))[2]))(params)
        return params, grads

    params, grads = jax.jit(jax.vmap(loss))(keys)
    chex.assert_tree_all_finite(grads)
    kernels = jax.tree_util.tree_leaves(params)
    assert all(k.shape[0] == 4 for k in kernels)


def _image_model(name, shape=(8, 8, 1)):
    cfg = models_config(name)
    model = models.build(cfg, {"shape": shape})
    x = (jax.random.uniform(jax.random.PRNGKey(0), (2, *shape)) > 0.5).astype(jnp.float32)
    params = model.init(jax.random.PRNGKey(1), x, jnp.zeros((2, 3)))
    return model, params, x


def models_config(name):
    cfg = base_config().model
    cfg.update(name=name, latent_dim=3, conv_features=(4, 8), pixelcnn_features=8)
    return cfg


@pytest.mark.parametrize("drop", [0.0, 0.5, 1.0])
def test_pixelcnn_is_causal_without_blind_spot_for_every_context_dropout(drop):
    """d logits(p) / d x(q) is zero for every q at or after p in raster order; with
    context dropout 0 every pixel in the receptive field above and to the left counts
    (no blind spot); with 1 no pixel does."""
    model, params, x = _image_model("pixelcnn")
    z = jax.random.normal(jax.random.PRNGKey(2), (2, 3))
    keep = jax.random.bernoulli(jax.random.PRNGKey(3), 1.0 - drop, x.shape)
    jac = jax.jit(jax.jacfwd(lambda c: _decoder_logits(model, params, z, c, keep)))(x)
    chex.assert_shape(jac, (2, 8, 8, 1, 2, 8, 8, 1))
    jac = np.abs(np.asarray(jac))[0, :, :, 0, 0, :, :, 0].reshape(64, 64)  # [p, q], example 0
    assert np.triu(jac).max() == 0.0  # q >= p: future and present pixels never leak
    if drop == 0.0:
        # pixel (3, 3) sees its 4 layers' field: rows 0-2 whole, row 3 left of it
        seen = jac[3 * 8 + 3].reshape(8, 8) > 0
        np.testing.assert_array_equal(seen[:3], True)
        np.testing.assert_array_equal(seen[3], [True] * 3 + [False] * 5)
        np.testing.assert_array_equal(seen[4:], False)
    if drop == 1.0:
        assert jac.max() == 0.0


@pytest.mark.parametrize("name", ["conv", "pixelcnn"])
def test_image_models_shapes_and_z_dependence(name):
    model, params, x = _image_model(name)
    mean, log_var, log_px = model.apply(params, x, jnp.zeros((2, 3)))
    chex.assert_shape([mean, log_var], (2, 3))
    chex.assert_shape(log_px, (2,))
    a = _decoder_logits(model, params, jnp.zeros((2, 3)), x, None)
    b = _decoder_logits(model, params, jnp.ones((2, 3)), x, None)
    chex.assert_shape(a, (2, 8, 8, 1))
    chex.assert_tree_all_finite((a, log_px))
    assert not np.allclose(a, b)
    expected = objectives.bernoulli_log_likelihood(_decoder_logits(model, params, mean, x, None), x)
    np.testing.assert_allclose(log_px, expected.reshape(2, -1).sum(-1), rtol=1e-5)


def test_image_models_reject_shapes_their_strides_cannot_take():
    with pytest.raises(ValueError, match=r"len\(model.conv_features\)=4.*\(6, 6, 1\)"):
        models.build(models_config("pixelcnn"), {"shape": (6, 6, 1)})


@pytest.mark.parametrize("name", ["mlp", "pixelcnn"])
def test_cvae_encoder_and_decoder_read_the_label(name):
    cfg = models_config(name)
    cfg.conditional = True
    model = models.build(cfg, {"shape": (8, 8, 1), "num_classes": 10, "name": "digits"})
    x = (jax.random.uniform(jax.random.PRNGKey(0), (2, 8, 8, 1)) > 0.5).astype(jnp.float32)
    y0, y1 = jnp.array([0, 0]), jnp.array([7, 7])
    params = model.init(jax.random.PRNGKey(1), x, jnp.zeros((2, 3)), None, y0)
    z = jnp.ones((2, 3))
    decode = lambda y: model.apply(params, z, x, y, method=VAE.decode_mean)  # noqa: E731
    chex.assert_shape(decode(y0), (2, 8, 8, 1))
    assert np.abs(decode(y0) - decode(y1)).max() > 1e-4
    encode = lambda y: model.apply(params, x, y, method=VAE.encode)[0]  # noqa: E731
    assert np.abs(encode(y0) - encode(y1)).max() > 1e-4


def test_cvae_needs_labelled_data():
    cfg = models_config("mlp")
    cfg.conditional = True
    with pytest.raises(ValueError, match=r"conditional=True.*'linear_gaussian' has none"):
        models.build(cfg, {"shape": (4,), "name": "linear_gaussian"})


def _loss_and_grads(model, params, x):
    """Negated ELBO (β = 1) and its gradients through `losses.make_loss_fn`."""
    from vaecollapse import grid

    hparams = grid.default_hparams()
    eps = jax.random.normal(jax.random.PRNGKey(5), (x.shape[0], 3))
    loss_fn = losses.make_loss_fn(model)
    return jax.value_and_grad(lambda p: loss_fn(p, x, None, eps, None, hparams, 1.0)[0])


def _primitives(jaxpr) -> list:
    """Every equation of ``jaxpr``, nested jaxprs (jit, remat, scan, …) included."""
    eqns = []
    for eqn in jaxpr.eqns:
        eqns.append(eqn)
        for value in eqn.params.values():
            inner = getattr(value, "jaxpr", value)
            if hasattr(inner, "eqns"):
                eqns += _primitives(inner)
    return eqns


def _dot_dtypes(fn, *args) -> set[str]:
    """Operand dtypes of every dot_general in ``fn`` (convolutions here are matmuls)."""
    eqns = _primitives(jax.make_jaxpr(fn)(*args).jaxpr)
    return {str(e.invars[0].aval.dtype) for e in eqns if e.primitive.name == "dot_general"}


@pytest.mark.parametrize("name", ["mlp", "pixelcnn"])
def test_bfloat16_compute_dtype_is_mixed_precision(name):
    """bfloat16 matmuls, float32 parameters, gradients and loss; the loss agrees with
    float32 to bfloat16 precision (8 mantissa bits)."""
    cfg = models_config(name)
    cfg.pixelcnn_layers = 2
    shape = (8, 8, 1)
    x = (jax.random.uniform(jax.random.PRNGKey(0), (4, *shape)) > 0.5).astype(jnp.float32)
    losses = {}
    for dtype in ("float32", "bfloat16"):
        cfg.compute_dtype = dtype
        model = models.build(cfg, {"shape": shape})
        params = model.init(jax.random.PRNGKey(1), x, jnp.zeros((4, 3)))
        grad_fn = _loss_and_grads(model, params, x)
        assert _dot_dtypes(grad_fn, params) == {dtype}
        loss, grads = jax.jit(grad_fn)(params)
        chex.assert_trees_all_equal_dtypes(grads, params)
        chex.assert_tree_all_finite((loss, grads))
        assert loss.dtype == jnp.float32
        losses[dtype] = float(loss)
    np.testing.assert_allclose(losses["bfloat16"], losses["float32"], rtol=2e-2)
    assert losses["bfloat16"] != losses["float32"]  # the bfloat16 path really ran


def test_pixelcnn_remat_recomputes_with_the_same_values():
    """`jax.checkpoint` per gated layer: same parameters, loss and gradients; the
    backward pass holds a checkpoint per layer instead of the stored activations."""
    cfg = models_config("pixelcnn")
    cfg.pixelcnn_layers = 2
    x = (jax.random.uniform(jax.random.PRNGKey(0), (2, 8, 8, 1)) > 0.5).astype(jnp.float32)
    results, checkpoints = [], []
    for remat in (False, True):
        cfg.remat = remat
        model = models.build(cfg, {"shape": (8, 8, 1)})
        params = model.init(jax.random.PRNGKey(1), x, jnp.zeros((2, 3)))
        grad_fn = _loss_and_grads(model, params, x)
        eqns = _primitives(jax.make_jaxpr(grad_fn)(params).jaxpr)
        checkpoints.append(sum(e.primitive.name.startswith(("checkpoint", "remat")) for e in eqns))
        results.append((params, jax.jit(grad_fn)(params)))
    chex.assert_trees_all_equal_structs(results[0][0], results[1][0])
    chex.assert_trees_all_close(results[0], results[1], rtol=1e-5, atol=1e-6)
    assert checkpoints == [0, cfg.pixelcnn_layers]
