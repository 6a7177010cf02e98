"""Stacked digits, 1,000 modes (issue 40): the data (shape, labels, uniformity, the split
kept apart), the mode classifier (held-out accuracy >= 97 %, NumPy and JAX forward
passes agree, the cache), the 1,000-mode measures on hand-built histograms against their
closed forms (all 1,000 modes: 0; 10 even modes: log 100; one: log 1,000) and against an
independent computation, and `diagnose_stacked_digits` on real and collapsed stacks."""

import math

import ml_collections
import numpy as np
import pytest
from scipy import stats

import vaecollapse
from vaecollapse import data
from vaecollapse.data import embedded
from vaecollapse.families.gan import digits


@pytest.fixture(scope="module")
def stacks():
    return embedded.stacked_digits(num_examples=25_600, num_test=2_600)


@pytest.fixture(scope="module")
def classifier(tmp_path_factory):
    """Trained here, not read from anyone's cache (the cache is tested below)."""
    return digits.train_classifier()


# ------------------------------------------------------------------------------- data


def test_stacked_digits_shape_labels_and_split(stacks):
    plain = embedded.digits(binarize=False)
    assert stacks.train.shape == (25_600, 8, 8, 3) and stacks.test.shape == (2_600, 8, 8, 3)
    assert stacks.train.dtype == np.float32 and 0 <= stacks.train.min() <= stacks.train.max() <= 1
    for split, x, triples, labels, pool, pool_labels, other in (
        (
            "train",
            stacks.train,
            "digit_labels_train",
            stacks.train_labels,
            plain.train,
            plain.train_labels,
            plain.test,
        ),
        (
            "test",
            stacks.test,
            "digit_labels_test",
            stacks.test_labels,
            plain.test,
            plain.test_labels,
            plain.train,
        ),
    ):
        t = stacks.meta[triples]
        np.testing.assert_array_equal(labels, 100 * t[:, 0] + 10 * t[:, 1] + t[:, 2])
        # every channel is a digit of its own split, with the label kept
        flat_pool = pool.reshape(len(pool), 64)
        lookup = {
            row.tobytes(): int(label) for row, label in zip(flat_pool, pool_labels, strict=True)
        }
        others = {row.tobytes() for row in other.reshape(len(other), 64)}
        for i in range(0, len(x), 97):
            for c in range(3):
                key = x[i, :, :, c].reshape(64).tobytes()
                assert lookup[key] == t[i, c], (split, i, c)
                # the other split's digits never appear (unless an identical image)
                assert key not in others or key in lookup
    assert stacks.meta["num_modes"] == 1000
    assert data.load(
        ml_collections.ConfigDict({"name": "stacked_digits", "num_examples": 10, "num_test": 10})
    ).train.shape == (10, 8, 8, 3)


def test_stacked_digits_labels_are_uniform_and_independent(stacks):
    t = stacks.meta["digit_labels_train"]
    for c in range(3):  # each channel's label uniform over 0..9 (chi-square, 5 % level)
        counts = np.bincount(t[:, c], minlength=10)
        assert stats.chisquare(counts).pvalue > 0.01
    # independent channels: the 1,000 modes uniform, every one present in 25,600 draws
    modes = np.bincount(stacks.train_labels, minlength=1000)
    assert (modes > 0).all()
    assert stats.chisquare(modes).pvalue > 0.01
    table = np.zeros((10, 10))
    np.add.at(table, (t[:, 0], t[:, 1]), 1)
    assert stats.chi2_contingency(table).pvalue > 0.01


@pytest.mark.parametrize("field,value", [("num_examples", 1), ("num_test", 2.5)])
def test_stacked_digits_bad_size(field, value):
    with pytest.raises(ValueError, match=f"data.{field}={value!r} is invalid"):
        embedded.stacked_digits(**{field: value})


# ------------------------------------------------------------------------- classifier


def test_classifier_held_out_accuracy(classifier):
    plain = embedded.digits(binarize=False)
    labels, confidence, features = digits.classify(classifier.params, plain.test)
    accuracy = np.mean(labels[:, 0] == plain.test_labels)
    assert accuracy >= digits.MIN_ACCURACY
    assert accuracy == pytest.approx(classifier.accuracy)
    assert features.shape == (len(plain.test), digits.HIDDEN)
    assert ((confidence > 0.1) & (confidence <= 1 + 1e-6)).all()
    # the stated source of the quality threshold: most real held-out stacks pass it
    assert classifier.real_high_quality > 0.95


def test_classifier_numpy_and_jax_agree(classifier, stacks):
    import jax.numpy as jnp

    x = stacks.test[:200]
    labels, confidence, features = digits.classify(classifier.params, x)
    jparams = {k: jnp.asarray(v) for k, v in classifier.params.items()}
    jl, jc, jf = digits.classify(jparams, jnp.asarray(x.reshape(200, -1)), xp=jnp)
    np.testing.assert_array_equal(np.asarray(jl), labels)
    np.testing.assert_allclose(np.asarray(jc), confidence, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(jf), features, rtol=1e-5, atol=1e-5)
    # channel c is classified alone: the labels of the stack are the triple's
    assert np.mean(labels == stacks.meta["digit_labels_test"][:200]) > 0.95
    np.testing.assert_array_equal(digits.modes_of(labels), labels @ np.array([100, 10, 1]))


def test_classifier_cache(classifier, tmp_path, monkeypatch):
    monkeypatch.setenv("VAECOLLAPSE_CACHE", str(tmp_path))
    monkeypatch.setattr(digits, "train_classifier", lambda *a: classifier)
    first = digits.load_classifier()
    assert len(list(tmp_path.glob("digit_classifier-*.npz"))) == 1

    def fail(*a):
        raise AssertionError("retrained despite the cache")

    monkeypatch.setattr(digits, "train_classifier", fail)
    again = digits.load_classifier()
    assert again.accuracy == first.accuracy
    for k, v in classifier.params.items():
        np.testing.assert_array_equal(again.params[k], v)


# ----------------------------------------------------------------------- the measures


@pytest.mark.parametrize(
    "used,expected_kl",
    [(1000, 0.0), (10, math.log(100)), (1, math.log(1000))],
)
def test_mode_measures_closed_forms(used, expected_kl):
    counts = np.zeros(1000)
    counts[np.random.default_rng(used).choice(1000, used, replace=False)] = 26_000 / used
    captured, kl = digits.mode_measures(counts)
    assert captured == used
    np.testing.assert_allclose(kl, expected_kl, atol=1e-12)


def test_mode_measures_against_scipy():
    counts = np.random.default_rng(0).poisson(3.0, 1000) * (np.arange(1000) % 7 != 0)
    captured, kl = digits.mode_measures(counts)
    assert captured == int(np.count_nonzero(counts))
    np.testing.assert_allclose(kl, stats.entropy(counts, np.ones(1000)), rtol=1e-12)
    assert digits.mode_measures(np.zeros(1000)) == (0, pytest.approx(math.log(1000)))
    with pytest.raises(ValueError, match=r"counts of shape \(2, 2\) is invalid"):
        digits.mode_measures(np.ones((2, 2)))


def test_diagnose_real_and_collapsed_stacks(classifier, stacks):
    real = stacks.test
    report = digits.diagnose_stacked_digits(stacks.train[:2600], real, classifier=classifier)
    # 2,600 uniform draws over 1,000 modes capture about 1000·(1 − e^−2.6) ≈ 926
    assert 880 <= report.modes_captured <= 960
    assert report.high_quality > 0.95 and report.coverage > 0.8 and report.precision > 0.8
    assert report.reverse_kl < 0.5
    labels, _, _ = digits.classify(classifier.params, real)
    modes = digits.modes_of(labels)
    # one mode: a single stack repeated; ten modes evenly: ten stacks of distinct modes
    one = digits.diagnose_stacked_digits(np.repeat(real[:1], 260, 0), classifier=classifier)
    assert one.modes_captured == 1 and one.state == "full"
    np.testing.assert_allclose(one.reverse_kl, math.log(1000))
    first = [int(np.flatnonzero(modes == m)[0]) for m in np.unique(modes)[:10]]
    ten = digits.diagnose_stacked_digits(np.repeat(real[first], 26, 0), classifier=classifier)
    assert ten.modes_captured == 10 and ten.state == "partial"
    np.testing.assert_allclose(ten.reverse_kl, math.log(100), atol=1e-12)
    assert np.isnan(ten.coverage) and "modes captured: 10 of 1000" in str(ten)


def test_diagnose_errors_and_public_api(classifier):
    assert vaecollapse.diagnose_stacked_digits is digits.diagnose_stacked_digits
    assert "StackedDigitsReport" in vaecollapse.__all__
    with pytest.raises(ValueError, match=r"samples has shape \(5, 8, 8, 1\)"):
        digits.diagnose_stacked_digits(np.zeros((5, 8, 8, 1)), classifier=classifier)
    with pytest.raises(ValueError, match="samples has 64 dims"):
        digits.diagnose_stacked_digits(np.zeros((5, 64)), classifier=classifier)
    with pytest.raises(ValueError, match="non-finite"):
        digits.diagnose_stacked_digits(np.full((5, 192), np.nan), classifier=classifier)


# ---------------------------------------------------------------- the GAN on the digits


def digits_config(**model):
    from vaecollapse.families import gan

    c = gan.base_config()
    c.data = ml_collections.ConfigDict(
        {"name": "stacked_digits", "num_examples": 256, "num_test": 64, "seed": 0}
    )
    c.model.update({"latent_dim": 8, "generator_hidden": (8,), "discriminator_hidden": (8,)})
    c.model.update(model)
    c.train.update(steps=4, log_every=2, batch_size=8)
    c.checkpoint_every = 4
    c.sweep.seed = (0,)
    return c


def test_trainer_on_digits_traces_the_classifiers_modes(classifier, monkeypatch):
    """The MLP players with packing (the conv players and the other knobs compile slowly:
    the slow test trains them): the compiled trace's modes are the NumPy classifier's on
    the same samples; the eval outputs' shapes."""
    import jax
    import jax.numpy as jnp

    from vaecollapse import grid
    from vaecollapse.families.gan import trainer as gan_train

    monkeypatch.setattr(digits, "load_classifier", lambda *a: classifier)  # not retrained
    c = digits_config(pack=2)
    dataset = data.load(c.data)
    gan_train.check_data(c, dataset)
    t = gan_train.make_trainer(c, dataset)
    assert t.train_data["images"].shape == (256, 192)
    hparams = grid.default_hparams(c.hparams)
    key = jax.random.PRNGKey(0)
    state = t.init(key)
    state, row = jax.jit(t.advance)(state, hparams, key, t.train_data)
    assert row["mode_mass"].shape == (1000,) and np.isfinite(float(row["d_loss"]))
    # the trace's histogram is the NumPy classifier's of the same generated samples
    g = state.params["generator"]
    z = jax.random.normal(jax.random.PRNGKey(5), (300, 8))
    generator = gan_train.networks.Generator((8,), 192, sigmoid=True)
    x = np.asarray(generator.apply({"params": g}, z))
    assert x.shape == (300, 192) and 0 <= x.min() <= x.max() <= 1
    traced = gan_train.traced_digit_modes(jnp.asarray(x), t.train_data["classifier"])
    clf = {k: np.asarray(v) for k, v in t.eval_data.items()}
    labels, _, _ = digits.classify(clf, x)
    counts = np.bincount(digits.modes_of(labels), minlength=1000)
    np.testing.assert_allclose(np.asarray(traced["mode_mass"]), counts * 1000 / 300)
    assert float(traced["modes_fraction"]) == pytest.approx((counts > 0).sum() / 1000)
    steps = jnp.asarray([2])
    traces = {"modes_fraction": row["modes_fraction"][None]}
    out = jax.jit(t.evaluate)(state, key, hparams, traces, t.eval_data, steps)
    assert out["eval_mode_counts"].shape == (1000,)
    assert float(out["eval_mode_counts"].sum()) == digits.EVAL_SAMPLES
    assert out["eval_features"].shape == (500, 3 * digits.HIDDEN)
    assert out["eval_digits"].shape == (64, 192)


def test_conv_players_pack_along_channels_and_bad_network():
    import jax

    from vaecollapse.families.gan import networks
    from vaecollapse.families.gan import trainer as gan_train

    d = networks.ConvDiscriminator((4, 8))
    x = jax.random.uniform(jax.random.PRNGKey(0), (6, 192))
    params = d.init(jax.random.PRNGKey(1), networks.pack(x, 2))
    # a pack of two images is one image of six channels, the first's three then the second's
    stacked = np.concatenate(
        [np.asarray(x[0::2]).reshape(3, 8, 8, 3), np.asarray(x[1::2]).reshape(3, 8, 8, 3)], -1
    )
    direct = networks.ConvDiscriminator((4, 8), channels=6).apply(params, stacked.reshape(3, -1))
    np.testing.assert_allclose(d.apply(params, networks.pack(x, 2)), direct, rtol=1e-6)
    c = digits_config(network="dcgan")
    with pytest.raises(ValueError, match=r"^config.model.network='dcgan' is invalid: allowed"):
        gan_train.settings(c)
    c = digits_config(network="conv")
    c.data.name = "grid"
    with pytest.raises(ValueError, match=r"config\.model\.network=.conv. is invalid: needs image"):
        gan_train.settings(c)


@pytest.mark.slow  # one compile per static knob (~1.5 min on 2 cores)
def test_every_knob_trains_on_digits_and_finish_is_the_public_measures(tmp_path):
    from vaecollapse import report, sweep

    conv = (("network", "conv"), ("generator_hidden", (8, 4)), ("discriminator_hidden", (4, 8)))
    c = digits_config()
    c.variants = (
        ("plain", ()),
        ("r1_b1_lr", (("r1_gamma", 1.0), ("adam_b1", 0.0), ("d_lr_ratio", 3.0))),
        ("wgan_gp", (("gan_loss", "wgan"), ("gp_lambda", 0.1), ("d_steps", 2))),
        ("unrolled", (("unroll", 2),)),
        (
            "conv_pack_sn_mbstd",
            (*conv, ("pack", 2), ("spectral_norm", True), ("minibatch_std", True)),
        ),
    )
    ran = sweep.run_sweep(c, tmp_path, progress=False)
    assert not ran.diverged.values.any()
    plain = ran.sel(variant="plain", seed=0)
    for name in ("r1_b1_lr", "wgan_gp", "unrolled", "conv_pack_sn_mbstd"):
        run = ran.sel(variant=name, seed=0)  # unrolling changes G's loss first
        assert not (
            np.allclose(run.d_loss_trace, plain.d_loss_trace)
            and np.allclose(run.g_loss_trace, plain.g_loss_trace)
        ), name
    for v in ran.variant.values:
        run = ran.sel(variant=v, seed=0)
        captured, kl = digits.mode_measures(run.eval_mode_counts.values)
        assert int(run.modes_captured) == captured and float(run.reverse_kl) == kl
        prdc = digits.coverage(ran.eval_real_features.values, run.eval_features.values, k=5)
        assert float(run.coverage) == prdc["coverage"]
    assert ran.attrs["classifier_accuracy"] >= 0.97
    names = {p.name for p in report.report(tmp_path)}
    assert {"digit_samples.png", "mode_trace.png", "summary.md"} <= names


@pytest.mark.slow  # ~2-4 min on 2 CPU cores: the quick version of experiments/stacked_digits.py
def test_quick_stacked_digits_plain_gan_drops_modes_and_r1_keeps_them(tmp_path):
    """docs/gan.md's quick claim: with D at a quarter of G's width the plain GAN captures
    under 300 of the 1,000 modes in every seed, R1 (γ = 10) at least 800 in every seed
    with a reverse KL below the plain GAN's."""
    from vaecollapse import config, sweep

    ran = sweep.run_sweep(config.experiment_config("stacked_digits", quick=True), tmp_path)
    assert not ran.diverged.values.any()
    plain, r1 = ran.sel(variant="gan"), ran.sel(variant="r1")
    assert (plain.modes_captured < 300).all(), plain.modes_captured.values
    assert (r1.modes_captured >= 800).all(), r1.modes_captured.values
    assert float(r1.reverse_kl.max()) < float(plain.reverse_kl.min())


@pytest.mark.slow  # ~1-2 min on 2 CPU cores: the quick version of stacked_digits_phase.py
def test_quick_stacked_digits_phase_r1_and_a_wider_d_each_add_modes(tmp_path):
    """The phase diagram's direction on its quick grid (D at ⅛ and ¼ × γ 0 and 10, one seed,
    1,500 steps): at each width R1 adds modes, and at each γ the wider D keeps more."""
    from vaecollapse import config, sweep

    c = config.experiment_config("stacked_digits_phase", quick=True)
    modes = sweep.run_sweep(c, tmp_path, progress=False).modes_captured.squeeze("seed")
    for width in ("d_32", "d_64"):
        assert modes.sel(variant=width, r1_gamma=10.0) > modes.sel(variant=width, r1_gamma=0.0)
    for gamma in (0.0, 10.0):
        assert modes.sel(variant="d_64", r1_gamma=gamma) > modes.sel(variant="d_32", r1_gamma=gamma)
