"""The SSL family (issue 27, first slice): SimSiam-style training over the stop-gradient
knob ``target_gradient``; its measures against NumPy, the knob's gradient, a tiny grid
through sweep and report, and (slow) the quick experiment's complete collapse at α = 1."""

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from vaecollapse import config, data, families, report, states, sweep
from vaecollapse.families import ssl
from vaecollapse.families.ssl import augment, losses, networks
from vaecollapse.families.ssl import monitor as embeddings
from vaecollapse.families.ssl import trainer as ssl_train


def np_std_normalized(z):
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    return u.std(0, ddof=1).mean() * np.sqrt(z.shape[1])


def np_rankme(z):
    s = np.linalg.svd(z, compute_uv=False)
    p = s / s.sum() + 1e-7
    return np.exp(-(p * np.log(p)).sum())


def test_the_traced_std_is_the_apis_formula_in_jax():
    """The sweep's traced std·√d (``xp=jax.numpy``, float32, inside the program) is the
    API's (NumPy, float64) and a loop written out: ddof 1 in both."""
    rng = np.random.default_rng(0)
    iso = rng.normal(size=(4000, 16)).astype(np.float32)
    const = np.tile(rng.normal(size=(1, 16)), (500, 1)).astype(np.float32)
    for z in (iso, iso[:50] * 3 + 1, const):
        traced = float(jax.jit(lambda z: embeddings.std_normalized(z, xp=jnp))(z))
        assert traced == pytest.approx(embeddings.std_normalized(z), rel=1e-4, abs=1e-5)
        assert traced == pytest.approx(np_std_normalized(z), rel=1e-4, abs=1e-5)
    assert embeddings.std_normalized(iso) == pytest.approx(1.0, abs=0.02)
    assert embeddings.std_normalized(const.astype(np.float64)) < 1e-6
    assert np_rankme(iso) == pytest.approx(embeddings.rankme(iso))


def tiny_variables(rng, n):
    """What an SSL sweep hands `ssl_train.finish`: eval embeddings of three runs over a
    seed axis (healthy, rank two, diverged)."""
    d = 8
    healthy = rng.standard_normal((n, d))
    rank_two = rng.standard_normal((n, 2)) @ rng.standard_normal((2, d))
    runs = np.stack([healthy, rank_two, np.full((n, d), np.nan)]).astype(np.float32)
    return {"embeddings": (["seed", "example", "feature"], runs)}


def test_the_sweeps_cells_are_the_public_apis_on_the_kept_embeddings():
    """One implementation: every cell `finish` writes is `diagnose_embeddings` of the eval
    embeddings and labels it keeps in results.nc."""
    c = ssl.digits_config()
    dataset = data.load(c.data)
    n = len(dataset.test_labels)
    extra, _, attrs = ssl_train.finish(c, dataset, tiny_variables(np.random.default_rng(3), n))
    assert extra["embeddings"] is None and attrs == {"eval_examples": n}
    assert extra["eval_embeddings"][0] == ["seed", "example", "embedding"]
    assert extra["eval_labels"][0] == ["example"]
    z, labels = extra["eval_embeddings"][1], extra["eval_labels"][1]
    np.testing.assert_array_equal(labels, dataset.test_labels)
    for i, state in ((0, "healthy"), (1, "dimensional")):
        ref = embeddings.diagnose_embeddings(z[i], labels)
        assert ref.state == state
        assert extra["std_normalized"][1][i] == ref.std_normalized
        assert extra["rankme"][1][i] == ref.rankme
        assert extra["probe_accuracy"][1][i] == ref.probe_accuracy
        np.testing.assert_array_equal(extra["spectrum"][1][i], ref.spectrum)
        assert ssl.STATE_NAMES[int(extra["collapse_state"][1][i])] == ref.state
    assert np.isnan(extra["std_normalized"][1][2])
    c.diagnostics.keep_eval_arrays = False
    extra, _, _ = ssl_train.finish(c, dataset, tiny_variables(np.random.default_rng(3), n))
    assert "eval_embeddings" not in extra and "eval_labels" not in extra


def test_onset():
    steps = jnp.array([10, 20, 30, 40])
    onset_step = states.collapse_onset_step  # the one the VAE uses too
    assert int(onset_step(jnp.array([0.9, 0.05, 0.5, 0.05]), steps, 0.1)) == 40
    assert int(onset_step(jnp.array([0.9, 0.05, 0.05, 0.05]), steps, 0.1)) == 20
    assert int(onset_step(jnp.array([0.9, 0.5, 0.5, 0.5]), steps, 0.1)) == -1


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_target_gradient_scales_the_target_branch(alpha):
    """t(z) = α·z + (1 − α)·sg(z): the value of z, the gradient through it × α."""
    key_p, key_z = jax.random.split(jax.random.PRNGKey(0))
    p = jax.random.normal(key_p, (8, 4))
    z = jax.random.normal(key_z, (8, 4))
    np.testing.assert_allclose(losses.target(z, alpha), z)
    full = jax.grad(lambda z: losses.negative_cosine(p, z))(z)
    knob = jax.grad(lambda z: losses.negative_cosine(p, losses.target(z, alpha)))(z)
    np.testing.assert_allclose(knob, alpha * full, rtol=1e-5, atol=1e-7)
    # in the symmetric loss, z₂'s gradient comes through p₂'s branch and, × α, the target
    symmetric = jax.grad(lambda z2: losses.simsiam_loss(p, z2, z, z2, alpha))(z)
    predictor_side = jax.grad(lambda z2: 0.5 * losses.negative_cosine(z2, z))(z)
    np.testing.assert_allclose(symmetric, predictor_side + 0.5 * alpha * full, atol=1e-6)


def np_vicreg(z1, z2, lam, mu, nu):
    """VICReg as ``facebookresearch/vicreg``'s ``main_vicreg.py`` writes it, in NumPy."""
    n, d = z1.shape
    invariance = np.mean((z1 - z2) ** 2)
    z1, z2 = z1 - z1.mean(0), z2 - z2.mean(0)
    std1, std2 = np.sqrt(z1.var(0, ddof=1) + 1e-4), np.sqrt(z2.var(0, ddof=1) + 1e-4)
    variance = np.mean(np.maximum(0, 1 - std1)) / 2 + np.mean(np.maximum(0, 1 - std2)) / 2
    off = ~np.eye(d, dtype=bool)
    cov1, cov2 = z1.T @ z1 / (n - 1), z2.T @ z2 / (n - 1)
    covariance = (cov1[off] ** 2).sum() / d + (cov2[off] ** 2).sum() / d
    return lam * invariance + mu * variance + nu * covariance


def np_infonce(z1, z2, temperature, cosine):
    """Cross-entropy of z₁z₂ᵀ/τ against the diagonal (directclr ``toy_task``), in NumPy."""
    if cosine:
        z1 = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
        z2 = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
    logits = z1 @ z2.T / temperature
    logits = logits - logits.max(1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    return -np.mean(np.diag(log_p))


def np_barlow(z1, z2, lam):
    """Barlow Twins as ``facebookresearch/barlowtwins``'s ``main.py`` writes it (BatchNorm1d
    without affine in training mode: biased variance, eps 1e-5), in NumPy."""
    bn1 = (z1 - z1.mean(0)) / np.sqrt(z1.var(0) + 1e-5)
    bn2 = (z2 - z2.mean(0)) / np.sqrt(z2.var(0) + 1e-5)
    c = bn1.T @ bn2 / len(z1)
    off = ~np.eye(len(c), dtype=bool)
    return ((np.diag(c) - 1) ** 2).sum() + lam * (c[off] ** 2).sum()


def test_vicreg_infonce_barlow_and_byol_match_numpy():
    rng = np.random.default_rng(2)
    for scale in (0.3, 2.0):  # variance hinge active, then not
        z1 = (scale * rng.normal(size=(12, 5))).astype(np.float32)
        z2 = (z1 + 0.2 * rng.normal(size=(12, 5))).astype(np.float32)
        for lam, mu, nu in ((25.0, 25.0, 1.0), (1.0, 0.0, 3.0)):
            got = float(losses.vicreg_loss(z1, z2, lam, mu, nu))
            assert got == pytest.approx(np_vicreg(z1, z2, lam, mu, nu), rel=1e-5)
        for temperature, cosine in ((0.1, False), (0.5, True)):
            got = float(losses.infonce_loss(z1, z2, temperature, cosine))
            assert got == pytest.approx(np_infonce(z1, z2, temperature, cosine), rel=1e-5)
        for lam in (0.0051, 1.0):
            got = float(losses.barlow_loss(z1, z2, lam))
            assert got == pytest.approx(np_barlow(z1, z2, lam), rel=1e-4)
        u1 = z1 / np.linalg.norm(z1, axis=1, keepdims=True)
        u2 = z2 / np.linalg.norm(z2, axis=1, keepdims=True)
        u3 = -u1[::-1]
        # ½[‖p̄₁ − t̄₂‖² + ‖p̄₂ − t̄₁‖²] (Grill et al.'s normalised squared error, symmetrised)
        byol = 0.5 * np.mean(np.sum((u1 - u2) ** 2, 1) + np.sum((u3 - u1) ** 2, 1))
        got = float(losses.byol_loss(z1, u3, u1, z2))
        assert got == pytest.approx(byol, rel=1e-5)


def test_normalize_has_a_finite_gradient_at_a_zero_row():
    """A predictor row whose ReLUs are all off is 0: its normalised value stays 0 and the
    gradient finite (jnp.linalg.norm's is NaN there), other rows unchanged."""
    z = jnp.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(losses.normalize(z), [[0.6, 0.8], [0.0, 0.0]])
    grad = jax.grad(lambda z: losses.negative_cosine(z, z[::-1] + 1.0))(z)
    assert bool(jnp.isfinite(grad).all())


def test_augment_puts_noise_only_from_noise_from():
    x = jnp.ones((4, 6))
    view = augment.augment(jax.random.PRNGKey(0), x, jnp.float32(1.0), 0.0, 3)
    np.testing.assert_array_equal(view[:, :3], 1.0)
    assert float(jnp.abs(view[:, 3:] - 1).min()) > 0


def np_shift(images, offsets):
    """``out[b, i, j] = images[b, i − dy, j − dx]``, 0 outside, by loops."""
    out = np.zeros_like(images)
    for b, (dy, dx) in enumerate(offsets):
        for i in range(images.shape[1]):
            for j in range(images.shape[2]):
                if 0 <= i - dy < images.shape[1] and 0 <= j - dx < images.shape[2]:
                    out[b, i, j] = images[b, i - dy, j - dx]
    return out


def test_shift_images_matches_numpy_and_augment_draws_from_its_own_stream():
    rng = np.random.default_rng(7)
    images = rng.normal(size=(5, 5, 6, 2)).astype(np.float32)
    offsets = np.array([[0, 0], [1, -2], [-2, 2], [2, 0], [-1, -1]], np.int32)
    key, flat = jax.random.PRNGKey(4), jnp.asarray(images.reshape(5, -1))

    @jax.jit  # one compile (eager ops compile one by one)
    def run(images, offsets, key, flat):
        shifted = augment.shift_images(images, offsets, 2)
        # augment: offsets from fold_in(key, 2), one per example, then mask and noise (off)
        view = augment.augment(key, flat, jnp.float32(0.0), 0.0, 0, (5, 6, 2), 2)
        return shifted, view, jax.random.randint(jax.random.fold_in(key, 2), (5, 2), -2, 3)

    shifted, view, drawn = run(images, offsets, key, flat)
    np.testing.assert_array_equal(shifted, np_shift(images, offsets))
    assert int(jnp.abs(drawn).max()) <= 2 and len({tuple(o) for o in drawn.tolist()}) > 1
    np.testing.assert_array_equal(view, np_shift(images, np.asarray(drawn)).reshape(5, -1))


def test_conv_encoder_shapes():
    """Flat digits [B, 64] (as the trainer holds them) or [B, 8, 8, 1] → [B, d]; 3×3
    stride-2 convs 8 → 4 → 2, per-channel norms, then the MLP head on the 2·2·8 map."""
    encoder = networks.ConvEncoder((8, 8, 1), (4, 8), (16,), 6)
    x = np.random.default_rng(0).uniform(size=(10, 64)).astype(np.float32)

    @jax.jit  # one compile
    def run(x):
        params = encoder.init(jax.random.PRNGKey(1), x)["params"]
        apply = lambda x: encoder.apply({"params": params}, x)  # noqa: E731
        return params, apply(x), apply(x.reshape(10, 8, 8, 1))

    params, z, z_image = run(x)
    assert z.shape == (10, 6) and bool(jnp.isfinite(z).all())
    np.testing.assert_array_equal(z_image, z)
    assert params["TapConv_0"]["Dense_0"]["kernel"].shape == (9 * 1, 4)
    assert params["TapConv_1"]["Dense_0"]["kernel"].shape == (9 * 4, 8)
    assert params["Norm_0"]["scale"].shape == (4,) and params["Norm_1"]["scale"].shape == (8,)
    assert params["Encoder_0"]["Dense_0"]["kernel"].shape == (2 * 2 * 8, 16)
    # batch norm at the output: each dim standardised over the batch (scale 1, bias 0)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)


def test_conv_encoder_and_shifts_refuse_vectors_before_compiling(tmp_path):
    c = toy_config("infonce")  # linear_gaussian: vectors [6]
    c.model.encoder = "conv"
    with pytest.raises(ValueError, match=r"config.model.encoder='conv' is invalid .*\[H, W, C\]"):
        sweep.run_sweep(c, tmp_path, progress=False)
    assert not (tmp_path / "chunks").exists()
    c.model.update(encoder="mlp", aug_shift=1)
    with pytest.raises(ValueError, match=r"config.model.aug_shift=1 is invalid .*images"):
        sweep.run_sweep(c, tmp_path, progress=False)
    from vaecollapse import data

    dataset = data.load(conv_config().data)
    for bad in (-1, 8):
        digits = conv_config(aug_shift=bad)
        with pytest.raises(ValueError, match=r"config.model.aug_shift="):
            ssl_train.check_data(digits, dataset)
    with pytest.raises(TypeError, match="aug_shift"):  # the config's own int field refuses it
        conv_config(aug_shift=1.5)


def conv_config(aug_shift=1):
    """A tiny SimSiam grid with the conv encoder and shifts on 8×8 digit images."""
    c = config.experiment_config("ssl_collapse")
    c.model.update(encoder="conv", conv_features=(4, 8), encoder_hidden=(), latent_dim=8)
    c.model.aug_shift = aug_shift
    c.train.update(steps=20, log_every=10, batch_size=32, eval_examples=100)
    c.sweep.target_gradient = (0.0, 1.0)
    c.sweep.seed = (0,)
    return c


@pytest.mark.slow  # 30-50 s on 2 busy cores (the sweep compiles train and eval)
def test_a_tiny_conv_ssl_grid_runs_through_sweep(tmp_path):
    ran = sweep.run_sweep(conv_config(), tmp_path, progress=False)
    assert ran.spectrum.dims == ("predictor_lr", "seed", "target_gradient", "rank")
    assert ran.sizes["rank"] == 8
    for name in ("std_normalized", "rankme", "probe_accuracy", "loss", "spectrum"):
        assert np.isfinite(ran[name].values).all(), name
    assert not ran.diverged.any()


def toy_config(loss):
    c = config.experiment_config("ssl_collapse")
    c.data.update(name="linear_gaussian", eigenvalues=(1.0,) * 6, num_examples=300, seed=0)
    c.model.update(encoder="linear", encoder_hidden=(6,), latent_dim=6, ssl_loss=loss)
    c.model.update(mask_prob=0.0, noise_from=3)
    c.train.update(steps=8, log_every=4, batch_size=16, eval_examples=40, optimizer="sgd")
    return c


@pytest.mark.slow  # 20-30 s each (three compiles)
@pytest.mark.parametrize("loss", ["vicreg", "infonce", "barlow"])
def test_vmapped_runs_equal_single_runs_on_the_new_paths(loss):
    """VICReg / InfoNCE / Barlow Twins, the linear encoder, noise on half the inputs, SGD
    and weight decay: two runs vmapped over (weight_decay, aug_noise, seed) equal each run
    alone; one SGD step is p − lr·(∇L + wd·p)."""
    from vaecollapse import data

    c = toy_config(loss)
    trainer = ssl_train.make_trainer(c, data.load(c.data))
    defaults = {k: jnp.float32(v) for k, v in config.HPARAM_DEFAULTS.items()}
    runs = [
        {**defaults, "weight_decay": jnp.float32(wd), "aug_noise": jnp.float32(a)}
        for wd, a in ((0.0, 0.5), (0.3, 1.5))
    ]
    keys = [jax.random.PRNGKey(i) for i in range(2)]

    def one(hparams, key):
        state = trainer.init(key)
        return trainer.advance(state, hparams, key, trainer.train_data)

    stacked = jax.tree.map(lambda *v: jnp.stack(v), *runs)
    batched = jax.jit(jax.vmap(one))(stacked, jnp.stack(keys))
    for i, (hparams, key) in enumerate(zip(runs, keys, strict=True)):
        single = jax.jit(one)(hparams, key)
        for a, b in zip(jax.tree.leaves(single), jax.tree.leaves(batched), strict=True):
            np.testing.assert_allclose(np.asarray(b)[i], np.asarray(a), rtol=2e-5, atol=1e-6)
    # one SGD step by hand (same batch and views: the key schedule of `advance`)
    c.train.log_every = 1
    trainer = ssl_train.make_trainer(c, data.load(c.data))
    hparams, key = runs[1], keys[1]
    state = trainer.init(key)
    stepped, _ = trainer.advance(state, hparams, key, trainer.train_data)
    k_rows, k_views = jax.random.split(jax.random.fold_in(jax.random.fold_in(key, 2), 0))
    rows = jax.random.randint(k_rows, (c.train.batch_size,), 0, len(trainer.train_data))
    x = trainer.train_data[rows]
    noise, lr, wd = hparams["aug_noise"], hparams["learning_rate"], hparams["weight_decay"]
    encoder = networks.LinearEncoder((6,), 6)

    def loss_of(params):
        k1, k2 = jax.random.split(k_views)
        z1 = encoder.apply({"params": params}, augment.augment(k1, x, noise, 0.0, 3))
        z2 = encoder.apply({"params": params}, augment.augment(k2, x, noise, 0.0, 3))
        if loss == "vicreg":
            return losses.vicreg_loss(z1, z2, 25.0, 25.0, 1.0)
        if loss == "barlow":
            return losses.barlow_loss(z1, z2, 0.0051)
        return losses.infonce_loss(z1, z2, 0.1)

    params = state.params["encoder"]
    expected = jax.tree.map(lambda p, g: p - lr * (g + wd * p), params, jax.grad(loss_of)(params))
    new = stepped.params["encoder"]
    for a, b in zip(jax.tree.leaves(expected), jax.tree.leaves(new), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)


def gaussian_z(n, d, rank=None, seed=0):
    rng = np.random.default_rng(seed)
    if rank is None:
        return rng.standard_normal((n, d))
    return rng.standard_normal((n, rank)) @ np.linalg.qr(rng.standard_normal((d, rank)))[0].T


def test_the_state_rule_is_the_ssl_familys():
    """One rule (`families.ssl.collapse_state`), read by the API on healthy,
    soft-dimensional, rank-deficient and collapsed embeddings."""
    assert embeddings.COMPLETE_STD == ssl.STD_THRESHOLD
    assert embeddings.SPECTRUM_FLOOR == ssl.SPECTRUM_THRESHOLD
    rng = np.random.default_rng(5)
    c = rng.standard_normal(16)
    cases = [
        gaussian_z(400, 16),
        gaussian_z(400, 16) * np.r_[np.ones(3), np.full(13, 0.01)],
        gaussian_z(400, 16, rank=10),
        c + 0.01 * rng.standard_normal((400, 16)),
    ]
    states = [embeddings.diagnose_embeddings(z).state for z in cases]
    assert states == ["healthy", "dimensional", "dimensional", "complete"]
    spec = np.ones(16)
    codes = [ssl.collapse_state(s, r, spec.min(), 400, 16) for s, r in ((0.05, 1), (0.9, 3))]
    assert codes == [ssl.COMPLETE, ssl.DIMENSIONAL]


def test_byols_cosine_momentum_schedule():
    """Grill et al. (2020, §3.2): τ_k = 1 − (1 − τ_base)(cos(πk/K) + 1)/2."""
    base, total = 0.99, 1000
    steps = np.array([0, 250, 500, 1000])
    got = np.asarray(losses.ema_momentum(base, jnp.asarray(steps), total, True))
    expected = [1 - (1 - base) * (np.cos(np.pi * k / total) + 1) / 2 for k in steps]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(got[[0, 2, 3]], [0.99, 0.995, 1.0], rtol=1e-6)
    assert losses.ema_momentum(base, 500, total, False) == base


def test_simsiams_output_norm_has_no_affine_parameters_by_default():
    """SimSiam's projector ends in BatchNorm1d(dim, affine=False): no scale γ through
    which the output can shrink to a point; `output_affine` restores one."""
    x = jnp.ones((4, 6))
    plain = networks.Encoder((8,), 5).init(jax.random.PRNGKey(0), x)["params"]
    affine = networks.Encoder((8,), 5, output_affine=True).init(jax.random.PRNGKey(0), x)
    assert "Norm_1" not in plain and set(affine["params"]["Norm_1"]) == {"scale", "bias"}
    z = networks.Encoder((8,), 5).apply(
        {"params": plain}, jax.random.normal(jax.random.PRNGKey(1), (64, 6))
    )
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.var(0), 1, rtol=1e-3)


@pytest.mark.slow  # ~15 s (two compiles)
def test_byol_target_is_the_ema_of_the_online_encoder():
    """After one step the target is τ·ξ + (1 − τ)·θ_new (τ = 1: frozen); vmapped over τ
    equals each run alone."""
    from vaecollapse import data

    c = toy_config("byol")
    c.train.log_every = 1
    trainer = ssl_train.make_trainer(c, data.load(c.data))
    defaults = {k: jnp.float32(v) for k, v in config.HPARAM_DEFAULTS.items()}
    runs = [{**defaults, "ema_momentum": jnp.float32(t)} for t in (0.9, 1.0)]
    key = jax.random.PRNGKey(3)

    def one(hparams):
        state = trainer.init(key)
        return state, trainer.advance(state, hparams, key, trainer.train_data)[0]

    batched = jax.jit(jax.vmap(one))(jax.tree.map(lambda *v: jnp.stack(v), *runs))
    for i, hparams in enumerate(runs):
        before, after = jax.jit(one)(hparams)
        tau = float(hparams["ema_momentum"])
        expected = jax.tree.map(
            lambda t, p, tau=tau: tau * t + (1 - tau) * p, before.target, after.params["encoder"]
        )
        leaves = zip(jax.tree.leaves(expected), jax.tree.leaves(after.target), strict=True)
        for a, b in leaves:
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
        moved = jax.tree.leaves(after.params["encoder"])[0] - jax.tree.leaves(before.target)[0]
        assert float(jnp.abs(moved).max()) > 0
        pairs = zip(jax.tree.leaves(after), jax.tree.leaves(batched[1]), strict=True)
        for a, b in pairs:
            np.testing.assert_allclose(np.asarray(b)[i], np.asarray(a), rtol=2e-5, atol=1e-6)


def tiny_config():
    c = config.experiment_config("ssl_collapse")
    c.model.update(encoder_hidden=(32,), latent_dim=8)
    c.train.update(steps=50, log_every=25, batch_size=64, eval_examples=200)
    c.checkpoint_every = 25
    c.sweep.target_gradient = (0.0, 1.0)
    c.sweep.seed = (0,)
    return c


@pytest.mark.slow  # 15 s; the fast suite runs an outside family through the engine (test_families)
def test_a_tiny_ssl_grid_runs_through_sweep_and_report(tmp_path):
    ran = sweep.run_sweep(tiny_config(), tmp_path, progress=False)
    assert families.of(ran).name == "ssl"
    assert ran.spectrum.dims == ("predictor_lr", "seed", "target_gradient", "rank")
    assert ran.std_normalized_trace.dims == ("predictor_lr", "seed", "target_gradient", "step")
    for name in ("std_normalized", "rankme", "probe_accuracy", "loss", "spectrum"):
        assert np.isfinite(ran[name].values).all(), name
    assert ((ran.std_normalized >= 0) & (ran.std_normalized <= 1.5)).all()
    assert ((ran.rankme >= 1) & (ran.rankme <= 8)).all()
    run = ran.isel(predictor_lr=0, seed=0, target_gradient=1)  # anyone re-measures a cell
    again = embeddings.diagnose_embeddings(run.eval_embeddings, ran.eval_labels)
    assert again.std_normalized == float(run.std_normalized)
    assert again.probe_accuracy == float(run.probe_accuracy)
    assert again.rankme == float(run.rankme)
    paths = report.report(tmp_path)
    assert {p.name for p in paths} == {
        "phase_diagram.png",
        "spectrum.png",
        "runs.csv",
        "boundary.csv",
        "summary.md",
    }
    summary = (tmp_path / "summary.md").read_text()
    assert "| seed | target_gradient | std·√d | RankMe | probe | loss | state |" in summary
    runs = pd.read_csv(tmp_path / "runs.csv")
    assert set(runs.collapse_state) <= set(ssl.STATE_NAMES.values())


@pytest.mark.slow
def test_quick_experiment_collapses_without_stop_gradient(tmp_path):
    """The anchor (Chen & He 2021), at SimSiam's reference projector (output batch norm
    without affine parameters): SimSiam (α = 0) stays healthy, and without the
    stop-gradient (α = 1) every seed collapses to a few directions with both signs —
    dimensional, not complete (docs/ssl.md: RankMe 2.3–2.7, std·√d 0.60–0.63)."""
    ran = sweep.run_sweep(config.experiment_config("ssl_collapse", quick=True), tmp_path)
    healthy, collapsed = ran.sel(target_gradient=0.0), ran.sel(target_gradient=1.0)
    assert (healthy.collapse_state == ssl.HEALTHY).all()
    assert (healthy.std_normalized > 0.8).all() and (healthy.probe_accuracy > 0.8).all()
    assert (collapsed.collapse_state == ssl.DIMENSIONAL).all()
    assert (collapsed.rankme < 4).all() and (collapsed.std_normalized > 0.3).all()
    assert (collapsed.probe_accuracy < 0.7).all()
    # the boundary along α of RankMe at the dimensional line d/4 = 8 (between 0 and 0.5)
    from vaecollapse import boundary

    found = boundary.estimate(ran, "target_gradient", measure="rankme", threshold=8.0)
    assert [str(v) for v in found.status.values.ravel()] == ["bracketed"]
    low, est, high = (float(found[k].values.ravel()[0]) for k in ("low", "estimate", "high"))
    assert 0 <= low <= est <= high <= 0.5


@pytest.mark.slow
def test_quick_vicreg_collapses_without_its_variance_term(tmp_path):
    """Bardes et al. (2022): VICReg with variance weight μ = 0 collapses completely (every
    seed), with the default μ = 25 stays healthy; μ = 1 keeps the embedding off one point
    but nearly on one line (dimensional)."""
    ran = sweep.run_sweep(config.experiment_config("ssl_vicreg", quick=True), tmp_path)
    off, low, default = (ran.sel(vicreg_variance=v) for v in (0.0, 1.0, 25.0))
    assert (off.collapse_state == ssl.COMPLETE).all() and (off.std_normalized < 1e-3).all()
    assert (off.collapse_onset_step > 0).all()
    assert (low.collapse_state == ssl.DIMENSIONAL).all() and (low.rankme < 2).all()
    assert (default.collapse_state == ssl.HEALTHY).all()
    assert (default.std_normalized > 0.9).all() and (default.probe_accuracy > 0.8).all()


@pytest.mark.slow
def test_quick_dimensional_toy(tmp_path):
    """Jing et al. (2022)'s linear InfoNCE toy (noise on the last 8 of 16 inputs): with one
    layer the noisy half of the spectrum separates from the clean half as the noise grows,
    not at 0.01, and no direction dies (not even with weight decay 3); with two layers and
    weight decay 0.3 directions die (σ_k/σ_1 < 1e-3) at every noise level."""
    ran = sweep.run_sweep(config.experiment_config("ssl_dimensional", quick=True), tmp_path)
    spec = ran.spectrum.sel(seed=0)
    for variant in ("linear1", "linear1_wd3"):
        one = spec.sel(variant=variant)
        clean, noisy = one.isel(rank=slice(0, 8)), one.isel(rank=slice(8, 16))
        gap = np.log10(clean.min("rank")) - np.log10(noisy.max("rank"))
        assert float(gap.sel(aug_noise=0.01)) < 0.05  # no separation at 0.01
        assert float(gap.sel(aug_noise=1.0)) > 0.15 and float(gap.sel(aug_noise=2.0)) > 0.5
        assert (np.diff(np.log10(noisy.median("rank")).values) < -0.1).all()  # monotone
        assert (one > ssl.SPECTRUM_THRESHOLD).all()
        assert (ran.collapse_state.sel(variant=variant) == ssl.HEALTHY).all()
    # the critic argument (docs/ssl.md): noisy level moves by −½·log10[σ²(σ² + 2)/3] from σ = 1
    noisy = np.log10(spec.sel(variant="linear1").isel(rank=slice(8, 16)).median("rank"))
    shift = float(noisy.sel(aug_noise=2.0) - noisy.sel(aug_noise=1.0))
    assert shift == pytest.approx(-0.5 * np.log10(4 * 6 / 3), abs=0.1)
    assert float(spec.sel(variant="linear2", aug_noise=0.01).min()) < 1e-2  # case 2 starts
    deep = spec.sel(variant="linear2_wd0.3")
    assert ((deep < ssl.SPECTRUM_THRESHOLD).sum("rank") >= 1).all()
    assert (ran.collapse_state.sel(variant="linear2_wd0.3") == ssl.DIMENSIONAL).all()


@pytest.mark.slow
def test_quick_barlow_twins_is_redundant_without_its_offdiagonal_term(tmp_path):
    """Barlow Twins (Zbontar et al. 2021): the standardisation keeps it off complete
    collapse, but with off-diagonal weight 0 the dimensions are redundant (RankMe < 3 of
    32: dimensional collapse) in every seed; at the default 0.0051 it is healthy."""
    ran = sweep.run_sweep(config.experiment_config("ssl_barlow", quick=True), tmp_path)
    off, default = ran.sel(barlow_offdiag=0.0), ran.sel(barlow_offdiag=0.0051)
    assert (off.collapse_state == ssl.DIMENSIONAL).all() and (off.rankme < 3).all()
    assert (off.std_normalized > 0.5).all()
    assert (default.collapse_state == ssl.HEALTHY).all() and (default.rankme > 9).all()
    assert (default.probe_accuracy > off.probe_accuracy).all()


@pytest.mark.slow
def test_quick_byol_needs_batch_statistics_not_just_the_ema(tmp_path):
    """BYOL on digits: with batch statistics healthy at τ = 0 (SimSiam) and τ = 0.999;
    without them it collapses at τ = 0 in every seed, and τ = 0.999 does not rescue it
    (no seed healthy)."""
    ran = sweep.run_sweep(config.experiment_config("ssl_byol", quick=True), tmp_path)
    bn, plain = ran.sel(variant="batchnorm"), ran.sel(variant="no_norm")
    assert (bn.collapse_state == ssl.HEALTHY).all() and (bn.probe_accuracy > 0.85).all()
    assert (plain.sel(ema_momentum=0.0).collapse_state == ssl.COMPLETE).all()
    assert (plain.sel(ema_momentum=0.999).collapse_state != ssl.HEALTHY).all()
    assert (plain.std_normalized < 0.3).all()


@pytest.mark.slow
def test_quick_vicreg_without_its_variance_term_is_held_by_output_batch_norm(tmp_path):
    """docs/ssl.md, what was tried: with batch statistics at the encoder's output, VICReg
    with μ = 0 stays spread (the norm standardises each dimension whatever μ)."""
    c = config.experiment_config("ssl_vicreg", quick=True)
    c.model.norm = "batch"
    c.sweep.vicreg_variance = (0.0,)
    ran = sweep.run_sweep(c, tmp_path)
    assert (ran.std_normalized > 0.8).all() and (ran.collapse_state == ssl.HEALTHY).all()


@pytest.mark.slow
def test_dimensional_toy_at_noise_five_and_ten(tmp_path):
    """docs/ssl.md: in the one-layer toy at SGD lr 1e-3, noise std 5 puts the noisy half
    at ≈ 10^−1.74 (the critic argument: −1.57) and noise std 10 diverges."""
    c = config.experiment_config("ssl_dimensional")
    c.variants = (("linear1", ()),)
    c.sweep.aug_noise = (1.0, 5.0, 10.0)
    c.sweep.seed = (0,)
    ran = sweep.run_sweep(c, tmp_path).squeeze()
    assert bool(ran.diverged.sel(aug_noise=10.0)) and not ran.diverged.sel(aug_noise=5.0)
    noisy = np.log10(ran.spectrum.isel(rank=slice(8, 16)).median("rank"))
    assert float(noisy.sel(aug_noise=5.0)) == pytest.approx(-1.74, abs=0.1)
    predicted = float(noisy.sel(aug_noise=1.0)) - 0.5 * np.log10(25 * 27 / 3)
    assert float(noisy.sel(aug_noise=5.0)) == pytest.approx(predicted, abs=0.25)
