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
