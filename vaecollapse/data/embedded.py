"""Offline data shipped inside PyPI packages: scikit-learn's 8×8 handwritten digits."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits

from vaecollapse.data.dataset import Dataset


def digits(*, binarize: bool = True, test_fraction: float = 0.2, split_seed: int = 0) -> Dataset:
    """1,797 8×8 digits (UCI; shipped with scikit-learn), scaled to [0, 1].

    Args:
      binarize: threshold at 0.5 (for a Bernoulli decoder); else grey levels in [0, 1].
      test_fraction: share of examples held out, by a fixed permutation.
      split_seed: seed of that permutation (the split is a pure function of it).

    Returns:
      ``Dataset`` with images ``[N, 8, 8, 1]`` float32 and labels 0..9.
    """
    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[..., None]
    if binarize:
        images = (images > 0.5).astype(np.float32)
    labels = bunch.target.astype(np.int32)
    order = np.random.default_rng(split_seed).permutation(len(images))
    num_test = round(test_fraction * len(images))
    test_idx, train_idx = order[:num_test], order[num_test:]
    meta = {
        "name": "digits",
        "kind": "binary" if binarize else "continuous",
        "shape": images.shape[1:],
        "num_classes": 10,
    }
    return Dataset(images[train_idx], images[test_idx], meta, labels[train_idx], labels[test_idx])


def stacked_digits(
    *,
    num_examples: int = 25_600,
    num_test: int = 2_600,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    seed: int = 0,
) -> Dataset:
    """Stacked digits: three 8×8 digits as the channels of one 8×8×3 image, 1,000 modes.

    Stacked MNIST (Metz et al. 2017; VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al.
    2018) at scikit-learn's resolution. The 1,797 digits are split as `digits` splits them
    (``test_fraction``, ``split_seed``: the same permutation). Each example's channel c
    holds a digit drawn independently: its label uniform over 0..9, then a digit of that
    label uniform among the split's; the mode is ``100·a + 10·b + c`` of the three labels.
    Train examples stack only train digits, test examples only test digits.

    What is kept apart from what: the mode classifier (`gan.digits`) is trained on the
    train digits only (the same split, the same ``split_seed``); its held-out accuracy and
    every real reference point of the GAN's evaluation (precision / coverage against the
    test stacks) come from the test digits, which neither the classifier nor the GAN ever
    trains on. The GAN trains on the train stacks, as PacGAN's GAN and classifier both
    train on MNIST's training set.

    Args:
      num_examples: train stacks (PacGAN scores 26,000 samples; VEEGAN trains on 128,000).
      num_test: test stacks.
      test_fraction, split_seed: the split of the underlying digits (as `digits`).
      seed: the draw of the stacks.

    Returns:
      ``Dataset`` of ``[N, 8, 8, 3]`` float32 grey levels in [0, 1], labels the modes
      0..999; ``meta['digit_labels_train']`` / ``['digit_labels_test']`` hold the triples
      ``[N, 3]`` as NumPy arrays, ``meta['num_modes']`` = 1000.
    """
    for name, value, least in (("num_examples", num_examples, 2), ("num_test", num_test, 2)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ValueError(f"data.{name}={value!r} is invalid: must be an integer >= {least}")
    plain = digits(binarize=False, test_fraction=test_fraction, split_seed=split_seed)
    rng = np.random.default_rng(seed)

    def stack(images: np.ndarray, labels: np.ndarray, n: int):
        triples = rng.integers(0, 10, (n, 3))
        by_label = [np.flatnonzero(labels == d) for d in range(10)]
        picks = np.stack(
            [
                np.array([by_label[d][rng.integers(len(by_label[d]))] for d in triples[:, c]])
                for c in range(3)
            ],
            axis=1,
        )  # [n, 3] indices into the split's digits
        x = np.concatenate([images[picks[:, c]] for c in range(3)], axis=-1)  # [n, 8, 8, 3]
        return x.astype(np.float32), triples.astype(np.int32)

    train, train_triples = stack(plain.train, plain.train_labels, num_examples)
    test, test_triples = stack(plain.test, plain.test_labels, num_test)
    weights = np.array([100, 10, 1], np.int32)
    meta = {
        "name": "stacked_digits",
        "kind": "continuous",
        "shape": train.shape[1:],
        "num_classes": 1000,
        "num_modes": 1000,
        "test_fraction": float(test_fraction),
        "split_seed": int(split_seed),
        "digit_labels_train": train_triples,
        "digit_labels_test": test_triples,
    }
    return Dataset(train, test, meta, train_triples @ weights, test_triples @ weights)
