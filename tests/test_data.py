"""Data loaders: shapes, ranges, determinism, spectrum, clear errors offline."""

import ml_collections
import numpy as np
import pytest

from vaecollapse import data


def cfg(**kw):
    return ml_collections.ConfigDict(kw)


def test_digits_shapes_and_range():
    ds = data.load(cfg(name="digits", binarize=True))
    assert ds.train.shape[1:] == (8, 8, 1) and ds.test.shape[1:] == (8, 8, 1)
    assert len(ds.train) + len(ds.test) == 1797
    assert ds.train.dtype == np.float32
    assert set(np.unique(ds.train)) <= {0.0, 1.0}
    assert ds.train_labels.shape == (len(ds.train),) and ds.train_labels.max() == 9
    assert ds.meta["kind"] == "binary"
    grey = data.load(cfg(name="digits", binarize=False))
    assert grey.train.min() >= 0.0 and grey.train.max() <= 1.0 and len(np.unique(grey.train)) > 2
    again = data.load(cfg(name="digits", binarize=True))
    np.testing.assert_array_equal(ds.train, again.train)


def test_linear_gaussian_spectrum_and_determinism():
    eig = (5.0, 2.0, 0.5, 0.1)
    ds = data.load(cfg(name="linear_gaussian", eigenvalues=eig, num_examples=40_000, seed=3))
    assert ds.train.shape == (32_000, 4) and ds.test.shape == (8_000, 4)
    spectrum = np.sort(np.linalg.eigvalsh(np.cov(ds.train.T)))[::-1]
    np.testing.assert_allclose(spectrum, eig, rtol=0.05)
    np.testing.assert_allclose(ds.train.mean(0), 0.0, atol=0.05)
    # the rotation is not the identity, so the spectrum is not just the variances
    assert not np.allclose(np.var(ds.train, axis=0), eig, rtol=0.2)
    same = data.load(cfg(name="linear_gaussian", eigenvalues=eig, num_examples=40_000, seed=3))
    other = data.load(cfg(name="linear_gaussian", eigenvalues=eig, num_examples=40_000, seed=4))
    np.testing.assert_array_equal(ds.train, same.train)
    assert not np.array_equal(ds.train, other.train)


def _topics(seed=0, **kw):
    fields = dict(name="markov_topics", num_topics=3, vocab_size=6, length=12)
    return data.load(cfg(**{**fields, "num_examples": 3000, "seed": seed, **kw}))


def test_markov_topics_follow_their_chains():
    """Bigram frequencies per topic match the topic's transition matrix (Monte Carlo)."""
    ds = _topics()
    assert ds.train.dtype == np.int32 and ds.train.shape == (2400, 12)
    assert ds.train.min() >= 0 and ds.train.max() < 6
    assert ds.meta["kind"] == "tokens" and ds.meta["mi_bound"] == pytest.approx(np.log(3))
    x = np.concatenate([ds.train, ds.test])
    y = np.concatenate([ds.train_labels, ds.test_labels])
    for k in range(3):
        seqs = x[y == k]
        counts = np.zeros((6, 6))
        np.add.at(counts, (seqs[:, :-1].ravel(), seqs[:, 1:].ravel()), 1)
        seen = counts.sum(1) > 200
        freq = counts[seen] / counts[seen].sum(1, keepdims=True)
        np.testing.assert_allclose(freq, ds.meta["transitions"][k][seen], atol=0.06)
    np.testing.assert_array_equal(x, np.concatenate([(a := _topics()).train, a.test]))
    assert not np.array_equal(ds.train, _topics(seed=1).train)


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_topic_information_equals_the_enumerated_joint(weight):
    """I(x; topic) of `markov_topics` (a Monte-Carlo mean of exact log-ratios) against
    the sum over every sequence of a tiny vocabulary; 0 when the topic has no weight."""
    ds = _topics(num_topics=3, vocab_size=3, length=4, topic_weight=weight, num_examples=20_000)
    transitions, initial = ds.meta["transitions"], ds.meta["initial"]
    seqs = np.array(np.meshgrid(*[np.arange(3)] * 4, indexing="ij")).reshape(4, -1).T
    p_x_k = initial[:, seqs[:, 0]] * np.prod(transitions[:, seqs[:, :-1], seqs[:, 1:]], -1)
    p_x = p_x_k.mean(0)
    exact = np.sum(p_x_k / 3 * np.log(np.where(p_x_k > 0, p_x_k / p_x, 1.0)))
    assert ds.meta["topic_information"] == pytest.approx(exact, abs=0.02)
    if weight == 0.0:
        assert ds.meta["topic_information"] == pytest.approx(0.0, abs=1e-9)
    assert len(set(np.round(transitions.reshape(3, -1).sum(-1), 6))) == 1  # rows stay distributions


def _mixture(z_scale=1.0, seed=0):
    fields = dict(name="lstm_mixture", num_topics=4, vocab_size=20, length=6, hidden=16)
    return data.load(cfg(**fields, num_examples=4000, seed=seed, z_scale=z_scale))


def _topic_gap(ds) -> float:
    """Largest total-variation distance between two topics' token frequencies (t >= 1)."""
    x = np.concatenate([ds.train, ds.test])[:, 1:]
    y = np.concatenate([ds.train_labels, ds.test_labels])
    freq = np.stack([np.bincount(x[y == k].ravel(), minlength=20) for k in range(4)])
    freq = freq / freq.sum(1, keepdims=True)
    return max(0.5 * np.abs(freq[a] - freq[b]).sum() for a in range(4) for b in range(a))


def test_lstm_mixture_z_shapes_every_sentence():
    """He et al.'s (2019) data: z (from a 4-Gaussian mixture at (±2, ±2)) moves the token
    distribution strongly; with z_scale = 0 the topics are the same language."""
    ds = _mixture()
    assert ds.train.dtype == np.int32 and ds.train.shape == (3200, 6) and ds.test.shape == (800, 6)
    assert ds.train.min() >= 0 and ds.train.max() < 20
    assert ds.meta["mi_bound"] == pytest.approx(np.log(4)) and ds.meta["kind"] == "tokens"
    z, y = ds.meta["z"], np.concatenate([ds.train_labels, ds.test_labels])
    for k in range(4):  # each topic's z centred on its mixture mean, unit spread
        assert np.linalg.norm(z[y == k].mean(0)) == pytest.approx(2 * np.sqrt(2), abs=0.1)
        np.testing.assert_allclose(z[y == k].std(0), 1.0, atol=0.1)
    # sampling noise of the gap at these counts is ~0.03
    assert _topic_gap(ds) > 0.3 and _topic_gap(_mixture(z_scale=0.0)) < 0.06
    np.testing.assert_array_equal(ds.train, _mixture().train)
    assert not np.array_equal(ds.train, _mixture(seed=1).train)


@pytest.mark.parametrize(
    "config, match",
    [
        (cfg(name="cifar99"), r"data.name='cifar99' is unknown; allowed: digits"),
        (
            cfg(name="linear_gaussian", eigenvalues=(1.0, -2.0), num_examples=10, seed=0),
            r"eigenvalues must all be positive.*-2.0",
        ),
        (
            cfg(name="linear_gaussian", eigenvalues=((1.0, 2.0),), num_examples=10, seed=0),
            r"non-empty 1-D",
        ),
        (
            cfg(name="linear_gaussian", eigenvalues=(1.0,), num_examples=1, seed=0),
            r"num_examples must be >= 2, got 1",
        ),
        (
            cfg(name="markov_topics", num_topics=0, vocab_size=4, length=5, num_examples=9, seed=0),
            r"data.num_topics must be an integer >= 1, got 0",
        ),
    ],
)
def test_bad_config_errors(config, match):
    with pytest.raises(ValueError, match=match):
        data.load(config)


@pytest.mark.parametrize("name", ["mnist", "binarized_mnist", "fashion_mnist", "ptb_text_only"])
def test_tfds_offline_error_is_fast_and_clear(name, tmp_path):
    with pytest.raises(ValueError) as err:
        data.load(cfg(name=name, data_dir=str(tmp_path)))
    message = str(err.value)
    assert name in message and "not downloaded" in message and "digits" in message


def test_tokenize_by_hand():
    train = ["the cat sat", "the dog sat on the mat", "a cat"]
    test = ["the bird sat", ""]
    tr, te, words = data.tfds.tokenize(train, test, vocab_size=5, length=4)
    # counts: the 3, sat 2, cat 2, then a/dog/mat/on 1 -> kept: the, cat, sat (ties alphabetical)
    assert words == ["<eos>", "<unk>", "the", "cat", "sat"]
    np.testing.assert_array_equal(tr, [[2, 3, 4, 0], [2, 1, 4, 0], [1, 3, 0, 0]])
    np.testing.assert_array_equal(te, [[2, 1, 4, 0], [0, 0, 0, 0]])
    assert tr.dtype == np.int32


def test_non_finite_data_rejected():
    ds = data.load(cfg(name="digits"))
    train = ds.train.copy()
    train[3, 1, 2, 0] = np.nan
    train[7, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"2 non-finite values.*first at index \(3, 1, 2, 0\)"):
        data.dataset.validated(ds._replace(train=train))
