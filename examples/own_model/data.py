"""Your own data: `load`, the function ``config.data.name = "data:load"`` names.
Nothing here imports vaecollapse.

The contract: ``load(config_data) -> (train, test, meta)``: NumPy arrays ``[N, *shape]``
(floats for ``binary`` and ``real`` data, integers for ``tokens``) and a dict with
``shape``, ``kind`` (``"binary"``: values in [0, 1], for a Bernoulli likelihood;
``"real"``; ``"tokens"``, with ``vocab_size``) and, optionally, ``train_labels`` and
``test_labels`` (integers ``[N]``: a conditional VAE's labels). ``config_data`` is the
config's ``data`` section, with any field you add (here ``threshold``).

Here: scikit-learn's 8×8 handwritten digits, binarised at ``threshold``, 20 % held out.
"""

from __future__ import annotations

import numpy as np
from sklearn.datasets import load_digits


def load(config_data):
    """Binarised 8×8 digits ``[N, 8, 8, 1]`` and their labels."""
    bunch = load_digits()
    images = (bunch.images / 16.0 > config_data.get("threshold", 0.5)).astype(np.float32)
    images = images[..., None]
    order = np.random.default_rng(config_data.get("split_seed", 0)).permutation(len(images))
    test, train = order[: len(order) // 5], order[len(order) // 5 :]
    meta = {
        "shape": images.shape[1:],
        "kind": "binary",
        "train_labels": bunch.target[train],
        "test_labels": bunch.target[test],
    }
    return images[train], images[test], meta
