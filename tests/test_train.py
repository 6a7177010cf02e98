"""One run as a pure function: the loss, the step, the interval, divergence, draws,
registries that refuse unknown names, and the compiled program's shape."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import tiny_config

from vaecollapse import config as config_lib
from vaecollapse import data, grid, optim
from vaecollapse.families.vae import losses, models, train


def tiny_train_fns(log_every: int | None = None):
    """(config, dataset, `TrainFns`, train data, default hparams) of `tiny_config`."""
    c = config_lib.finalize(tiny_config())
    if log_every is not None:
        c.train.log_every = log_every
    dataset = data.load(c.data)
    fns = train.make_train_fns(c, models.build(c.model, dataset.meta), dataset)
    train_data = optim.data_arrays(dataset.train, dataset.train_labels)
    return c, dataset, fns, train_data, grid.default_hparams()


def test_diverged_run_is_frozen_at_its_last_logged_state():
    """Two healthy intervals, then a rate that blows up inside the third: the run keeps
    the state of the second interval's end, flags the first bad step, averages the
    third interval's trace over its steps before divergence and logs NaN afterwards."""
    c, _, fns, train_data, hparams = tiny_train_fns()
    key = jax.random.PRNGKey(0)
    advance = jax.jit(fns.advance)
    state = fns.init(key)
    for _ in range(2):
        state, _ = advance(state, hparams, key, train_data)
    healthy = state
    blown = {**hparams, "learning_rate": jnp.float32(1e30)}
    state, bad_trace = advance(state, blown, key, train_data)
    state, dead_trace = advance(state, hparams, key, train_data)
    chex.assert_trees_all_equal(
        (state.params, state.opt_state), (healthy.params, healthy.opt_state)
    )
    assert bool(state.diverged) and int(state.step) == 4 * c.train.log_every
    assert 2 * c.train.log_every < int(state.diverged_step) < 3 * c.train.log_every
    assert np.isfinite(bad_trace["loss"]) and np.isnan(dead_trace["loss"])
    chex.assert_tree_all_finite((dead_trace["active_units"], dead_trace["mutual_info"]))


def test_interval_draws_depend_only_on_the_step():
    """The draws of an interval starting at step t are rows t, t+1, … of the draws from
    step 0 (per-step keys fold in the step), so segmenting a run changes nothing; and
    they are a standard normal and in-range indices (a Monte-Carlo check)."""
    c, dataset, fns, _, _ = tiny_train_fns(log_every=64)
    key = jax.random.PRNGKey(3)
    draws = jax.jit(fns.interval_draws)
    index, eps, drop_keys = draws(key, jnp.int32(0))
    later = draws(key, jnp.int32(5))
    chex.assert_shape(
        (index, eps), [(64, c.train.batch_size), (64, c.train.batch_size, c.model.latent_dim)]
    )
    for full, shifted in zip((index, eps, drop_keys), later, strict=True):
        np.testing.assert_array_equal(np.asarray(full)[5:], np.asarray(shifted)[:-5])
    assert int(index.min()) >= 0 and int(index.max()) < dataset.train.shape[0]
    assert abs(float(eps.mean())) < 0.05 and abs(float(eps.std()) - 1.0) < 0.05


def test_step_is_one_step_of_advance():
    """`TrainFns.step`, called once per step from Python, trains exactly as `advance`
    does over the same steps (same draws, same updates)."""
    c, _, fns, train_data, hparams = tiny_train_fns(log_every=3)
    key = jax.random.PRNGKey(1)
    start = fns.init(key)
    advanced, trace = jax.jit(fns.advance)(start, hparams, key, train_data)
    state, losses = start, []
    step = jax.jit(fns.step)
    for _ in range(c.train.log_every):
        state, metrics = step(state, hparams, key, train_data)
        losses.append(metrics["loss"])
    chex.assert_trees_all_close(
        (state.params, state.opt_state), (advanced.params, advanced.opt_state), rtol=1e-5, atol=1e-7
    )
    assert int(state.step) == int(advanced.step) == c.train.log_every
    np.testing.assert_allclose(np.mean(losses), trace["loss"], rtol=1e-6)


def test_loss_is_recon_plus_beta_times_free_bits_kl(default_hparams):
    """`make_loss_fn` for a Gaussian posterior: E_batch[−log p(x|z)] + β Σ_j max(λ, E_batch
    KL_j), KL_j = ½(μ² + σ² − log σ² − 1), recomputed here in NumPy from the model's own
    encoder and likelihood outputs (β = 2, λ = 0.3)."""
    c, dataset, _, train_data, _ = tiny_train_fns()
    model = models.build(c.model, dataset.meta)
    x = train_data[0][:16]
    eps = jax.random.normal(jax.random.PRNGKey(2), (16, c.model.latent_dim))
    params = model.init(jax.random.PRNGKey(0), x, eps)
    hparams = {**default_hparams, "free_bits": jnp.float32(0.3)}
    loss, (metrics, _) = losses.make_loss_fn(model)(params, x, None, eps, None, hparams, 2.0)
    mean, log_var, log_px = (np.asarray(a, np.float64) for a in model.apply(params, x, eps))
    kl = 0.5 * (mean**2 + np.exp(log_var) - log_var - 1.0)
    expected = -log_px.mean() + 2.0 * np.maximum(0.3, kl.mean(0)).sum()
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    np.testing.assert_allclose(metrics["kl"], kl.mean(0).sum(), rtol=1e-5)
    chex.assert_shape(metrics["kl_per_dim"], (c.model.latent_dim,))


@pytest.mark.parametrize(
    "make, name",
    [
        (optim.make_optimizer, "lion"),
        (lambda n: optim.make_lr_factor(n, 100), "exponential"),
    ],
    ids=["optimizer", "lr_schedule"],
)
def test_unknown_names_raise_inside_the_pure_code(make, name):
    """The pure code does not rely on validation: an unknown name is refused, naming it
    and the allowed ones, never mapped to some default (schedules: test_schedules)."""
    with pytest.raises(ValueError, match=rf"{name!r} is unknown; allowed: "):
        make(name)


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_optimizer_direction(name):
    """SGD's direction is the gradient; Adam's first step is sign(g) (bias-corrected
    m/√v = g/|g|, up to ε)."""
    params = {"w": jnp.array([1.0, -2.0])}
    grads = {"w": jnp.array([0.5, -4.0])}
    tx = optim.make_optimizer(name)
    direction, _ = tx.update(grads, tx.init(params), params)
    expected = grads["w"] if name == "sgd" else jnp.sign(grads["w"])
    np.testing.assert_allclose(direction["w"], expected, rtol=1e-4)


def test_cosine_lr_factor():
    """½(1 + cos(πt/T)): 1 at the start, ½ half-way, 0 at the end; constant: 1."""
    cosine = optim.make_lr_factor("cosine", 100)
    np.testing.assert_allclose([cosine(t) for t in (0, 50, 100)], [1.0, 0.5, 0.0], atol=1e-6)
    assert float(optim.make_lr_factor("constant", 100)(37)) == 1.0


def test_compiled_run_is_two_nested_scans_without_host_calls(default_hparams):
    """The whole run is one `lax.scan` over the logged intervals whose body scans over the
    interval's ``log_every`` steps (not an unrolled Python loop), and the lowered program
    holds no host callback (a `jax.debug.print` or `io_callback` in a step would)."""
    c = config_lib.finalize(tiny_config())
    dataset = data.load(c.data)
    run = train.make_train(c, models.build(c.model, dataset.meta), dataset)
    key = jax.random.PRNGKey(0)
    jaxpr = jax.make_jaxpr(run)(default_hparams, key).jaxpr
    outer = [e for e in jaxpr.eqns if e.primitive.name == "scan"]
    assert [e.params["length"] for e in outer] == [c.train.steps // c.train.log_every]
    inner = [e for e in outer[0].params["jaxpr"].jaxpr.eqns if e.primitive.name == "scan"]
    assert c.train.log_every in [e.params["length"] for e in inner]
    assert "callback" not in jax.jit(run).lower(default_hparams, key).as_text()
