"""The training-side remedies of issue 29 that change the optimisation, not the loss:
aggressive inference (He et al. 2019), a pretrained encoder (Li et al. 2019), and z at
the LSTM decoder's initial state only (Bowman et al. 2016)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from conftest import tiny_config

from vaecollapse import config as config_lib
from vaecollapse import data, optim
from vaecollapse.families.vae import losses, models, train
from vaecollapse.families.vae.models.decoders import LSTMDecoder


def _fns(**train_fields):
    c = tiny_config()
    c.train.update(train_fields)
    dataset = data.load(c.data)
    fns = train.make_train_fns(c, models.build(c.model, dataset.meta), dataset)
    return c, fns, optim.data_arrays(dataset.train, dataset.train_labels)


def _leaves_equal(a, b) -> bool:
    return all(
        np.array_equal(x, y)
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True)
    )


def _count(opt_state) -> int:
    """Adam's step count in an optax state."""
    return int(optax.tree_utils.tree_get(opt_state, "count"))


def test_aggressive_inference_out_of_its_phase_is_the_plain_step(default_hparams):
    """With the phase over, a step of an aggressive config is the plain step, exactly:
    the inner loop does nothing and the joint step moves encoder and decoder."""
    key = jax.random.PRNGKey(0)
    _, plain, data_ = _fns()
    _, aggressive, _ = _fns(aggressive_steps=5)
    state = aggressive.init(key)._replace(aggressive=jnp.bool_(False))
    after, _ = jax.jit(aggressive.step)(state, default_hparams, key, data_)
    expected, _ = jax.jit(plain.step)(plain.init(key), default_hparams, key, data_)
    assert _leaves_equal(after.params, expected.params)


@pytest.mark.parametrize("cap", [1, 4])
def test_aggressive_step_trains_the_encoder_cap_times_then_the_decoder(default_hparams, cap):
    """In the phase, the encoder takes ``cap`` encoder-only Adam steps (no early stop when
    the check interval exceeds the cap), then the joint step moves the decoder."""
    key = jax.random.PRNGKey(1)
    _, fns, data_ = _fns(aggressive_steps=cap, aggressive_check=100)
    state = fns.init(key)
    after, _ = jax.jit(fns.step)(state, default_hparams, key, data_)
    # one more inner step moves the encoder further: the cap is honoured
    _, longer, _ = _fns(aggressive_steps=cap + 1, aggressive_check=100)
    after_longer, _ = jax.jit(longer.step)(longer.init(key), default_hparams, key, data_)
    enc = train.encoder_part
    assert not _leaves_equal(enc(after.params), enc(after_longer.params))
    assert not _leaves_equal(enc(after.params), enc(state.params))
    # the decoder moved, by a step taken at the updated encoder
    assert not _leaves_equal(train.decoder_part(after.params), train.decoder_part(state.params))
    # the outer Adam state saw one step; the encoder's own state saw `cap`
    assert _count(after.opt_state) == 1
    assert _count(after.encoder_opt_state) == cap


def _replay_aggressive_step(c, key, hp, cap, check):
    """He et al.'s inner loop and the decoder-only joint step, written out step by step
    with optax and the loss function (the draws as `train` documents them: the inner
    step i's minibatch from ``fold_in(fold_in(drop key of step 0, 3), i)``)."""
    dataset = data.load(c.data)
    model = models.build(c.model, dataset.meta)
    fns = train.make_train_fns(c, model, dataset)
    tx, loss_fn = optim.make_optimizer("adam"), losses.make_loss_fn(model)
    xs, ys = optim.data_arrays(dataset.train, dataset.train_labels)
    grad = jax.value_and_grad(loss_fn, has_aux=True)
    lr, beta = hp["learning_rate"], hp["beta"]
    first = jax.tree_util.tree_map(lambda a: a[0], fns.interval_draws(key, jnp.int32(0)))
    inner_key = jax.random.fold_in(first.drop_key, 3)
    params = start = fns.init(key).params
    enc = train.encoder_part
    enc_state, previous, current, count = tx.init(enc(params)), np.inf, 0.0, 0

    def loss_grads(params, index, eps, drop_key):
        x, y = xs[index], ys[index]
        keep = jax.random.bernoulli(drop_key, 1.0 - hp["context_dropout"], x.shape)
        (loss, _), grads = grad(params, x, y, eps, keep, hp, beta)
        return float(loss), grads

    for i in range(cap):
        batch_key, eps_key, drop_key = jax.random.split(jax.random.fold_in(inner_key, i), 3)
        index = jax.random.randint(batch_key, (c.train.batch_size,), 0, len(xs))
        eps = jax.random.normal(eps_key, (c.train.batch_size, c.model.latent_dim))
        loss, grads = loss_grads(params, index, eps, drop_key)
        update, enc_state = tx.update(enc(grads), enc_state, enc(params))
        params = train.with_part(
            params, jax.tree_util.tree_map(lambda p, u: p - lr * u, enc(params), update)
        )
        count, current = i + 1, current + loss
        if (i + 1) % check == 0:
            if current > previous:
                break
            previous, current = current, 0.0
    _, grads = loss_grads(params, first.index, first.eps, first.drop_key)
    decoder = {"params": train.decoder_part(grads)}
    update, _ = tx.update(decoder, tx.init({"params": train.decoder_part(start)}), decoder)
    moved = jax.tree_util.tree_map(
        lambda p, u: p - lr * u, {"params": train.decoder_part(params)}, update
    )
    return train.with_part(params, moved["params"]), count


@pytest.mark.parametrize(("cap", "check"), [(6, 100), (12, 2)])
def test_aggressive_step_replayed_by_hand(default_hparams, cap, check):
    """One step in the aggressive phase equals the replay: encoder-only Adam steps until
    the cap or a rise of the block loss, then one step of the decoder's own Adam at the
    updated encoder, the encoder left where the inner loop put it."""
    c, fns, data_ = _fns(aggressive_steps=cap, aggressive_check=check)
    key = jax.random.PRNGKey(5)
    after, _ = jax.jit(fns.step)(fns.init(key), default_hparams, key, data_)
    expected, count = _replay_aggressive_step(c, key, default_hparams, cap, check)
    for got, want in zip(
        jax.tree_util.tree_leaves(after.params), jax.tree_util.tree_leaves(expected), strict=True
    ):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6)
    assert _count(after.encoder_opt_state) == count and _count(after.opt_state) == 1
    if check == 100:
        assert count == cap


def test_aggressive_phase_ends_when_mutual_information_stops_rising(default_hparams):
    key = jax.random.PRNGKey(3)
    _, fns, data_ = _fns(aggressive_steps=2)
    advance = jax.jit(fns.advance)
    state = fns.init(key)
    assert bool(state.aggressive)
    kept, trace = advance(state, default_hparams, key, data_)
    assert bool(kept.aggressive)  # −inf before: I(x; z) rose
    assert float(kept.last_mi) == float(trace["mutual_info"])
    ended, _ = advance(state._replace(last_mi=jnp.float32(jnp.inf)), default_hparams, key, data_)
    assert not bool(ended.aggressive)


@pytest.mark.slow  # ~15–25 s: the fast suite keeps to ~10 min on 2 cores
def test_vmapped_aggressive_runs_equal_single_runs(default_hparams):
    """The while loop under vmap runs until the group's last run stops; each run's
    result is still its own."""
    _, fns, data_ = _fns(aggressive_steps=6, aggressive_check=2)
    keys = jax.vmap(jax.random.PRNGKey)(jnp.arange(3))
    hp = jax.tree_util.tree_map(lambda v: jnp.broadcast_to(v, (3,)), default_hparams)
    advance = lambda s, h, k: fns.advance(s, h, k, data_)  # noqa: E731
    states = jax.vmap(fns.init)(keys)
    batched, traces = jax.jit(jax.vmap(advance))(states, hp, keys)
    for i in range(3):
        single, trace = jax.jit(advance)(fns.init(keys[i]), default_hparams, keys[i])
        mine = jax.tree_util.tree_map(lambda a: a[i], batched.params)  # noqa: B023
        np.testing.assert_allclose(
            jax.tree_util.tree_leaves(mine)[0], jax.tree_util.tree_leaves(single.params)[0],
            rtol=1e-5, atol=1e-6,
        )  # fmt: skip
        np.testing.assert_allclose(traces["loss"][i], trace["loss"], rtol=1e-5)


def test_pretrained_encoder_autoencodes_then_gets_a_fresh_decoder(default_hparams):
    """Li et al. (2019): β = 0 before ``pretrain_steps``; at that step the decoder is a
    fresh initialisation (from ``fold_in(init key, 1)``) and the optimiser restarts,
    the trained encoder kept."""
    c, fns, data_ = _fns(pretrain_steps=10)
    key = jax.random.PRNGKey(4)
    hp = {**default_hparams, "beta": jnp.float32(1.0)}
    advance = jax.jit(fns.advance)
    state = fns.init(key)
    state, trace = advance(state, hp, key, data_)
    assert float(trace["beta"]) == 0.0 and int(state.step) == 10
    dataset = data.load(c.data)
    model = models.build(c.model, dataset.meta)
    fresh = model.init(
        jax.random.fold_in(train.run_keys(key).init, 1),
        jnp.zeros((1, *dataset.train.shape[1:]), dataset.train.dtype),
        jnp.zeros((1, c.model.latent_dim)),
        None,
        jnp.zeros((1,), jnp.int32),
        None,
    )
    assert _leaves_equal(train.decoder_part(state.params), train.decoder_part(fresh))
    _, longer, _ = _fns(pretrain_steps=20)  # the same ten steps of pretraining
    pretrained, _ = jax.jit(longer.advance)(longer.init(key), hp, key, data_)
    assert _leaves_equal(train.encoder_part(state.params), train.encoder_part(pretrained.params))
    assert not _leaves_equal(
        train.encoder_part(state.params), train.encoder_part(longer.init(key).params)
    )
    assert _count(state.opt_state) == 0
    state, trace = advance(state, hp, key, data_)  # now the VAE, β = 1
    assert float(trace["beta"]) == 1.0
    assert not _leaves_equal(train.decoder_part(state.params), train.decoder_part(fresh))
    state, _ = advance(state, hp, key, data_)  # no second reset at 2P
    assert not _leaves_equal(train.decoder_part(state.params), train.decoder_part(fresh))


def test_pretrained_encoder_restarts_the_kl_schedule(default_hparams):
    """After the autoencoder, a KL warm-up starts from 0 (Li et al. anneal after the
    reset): the pretrained run's β over steps 10–19 is a plain warm-up's over 0–9."""
    hp = {**default_hparams, "beta": jnp.float32(1.0), "warmup_steps": jnp.float32(20.0)}
    key = jax.random.PRNGKey(6)
    _, warm, data_ = _fns(schedule="linear_warmup", pretrain_steps=10)
    _, warm_plain, _ = _fns(schedule="linear_warmup")
    state, first = jax.jit(warm.advance)(warm.init(key), hp, key, data_)
    _, second = jax.jit(warm.advance)(state, hp, key, data_)
    _, reference = jax.jit(warm_plain.advance)(warm_plain.init(key), hp, key, data_)
    assert float(first["beta"]) == 0.0
    np.testing.assert_allclose(second["beta"], reference["beta"], rtol=1e-6)
    assert 0.0 < float(second["beta"]) < 0.5


def test_lstm_decoder_with_z_at_the_initial_state_only():
    """``z_every_step`` False: the LSTM's input is the token embedding alone, and the
    logits still depend on z (through the initial state)."""
    tokens = jnp.array([[1, 2, 3, 4]])
    z = jnp.ones((1, 2))
    for every_step, width in ((True, 8 + 2), (False, 8)):
        decoder = LSTMDecoder(vocab_size=10, embed_dim=8, hidden=6, z_every_step=every_step)
        params = decoder.init(jax.random.PRNGKey(0), z, tokens, None)
        kernels = [  # the LSTM cell's input kernels: ii, if, ig, io
            leaf.shape
            for path, leaf in jax.tree_util.tree_leaves_with_path(params)
            if "LSTMCell" in jax.tree_util.keystr(path)
            and jax.tree_util.keystr(path[-2:-1]) in ("['ii']", "['if']", "['ig']", "['io']")
        ]
        assert kernels and all(shape[0] == width for shape in kernels)
        out = decoder.apply(params, z, tokens, None)
        assert not np.allclose(out, decoder.apply(params, -z, tokens, None))


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    [
        ("train", "aggressive_steps", -1, "non-negative integer"),
        ("train", "pretrain_steps", 15, "multiple of train.log_every=10"),
        ("train", "pretrain_steps", 40, "below train.steps=40"),
        ("train", "aggressive_check", 0, "positive integer"),
        ("model", "z_input", "every_layer", "allowed: every_step, initial"),
        ("model", "z_input", "initial", "only the lstm decoder"),
        ("train", "aggressive_steps", True, "non-negative integer"),
    ],
)
def test_bad_remedy_settings_are_refused_in_one_line(section, field, value, message):
    c = tiny_config()
    c[section][field] = value
    with pytest.raises(ValueError, match=message) as error:
        config_lib.check_point(c)
    assert f"{section}.{field}" in str(error.value) and "\n" not in str(error.value)


def test_vq_refuses_aggressive_inference():
    c = tiny_config()
    c.model.bottleneck = "vq"
    c.train.aggressive_steps = 5
    with pytest.raises(ValueError, match=r"train\.aggressive_steps.*VQ-VAE"):
        config_lib.check_point(c)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"train.aggressive_steps": 5, "train.pretrain_steps": 10}, "one at a time"),
        ({"train.pretrain_steps": 10, "model.conditional": True}, "CVAE"),
    ],
)
def test_remedies_that_do_not_combine_are_refused(fields, message):
    c = tiny_config()
    for field, value in fields.items():
        section, name = field.split(".")
        c[section][name] = value
    with pytest.raises(ValueError, match=message):
        config_lib.check_point(c)
