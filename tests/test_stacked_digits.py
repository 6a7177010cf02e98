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
