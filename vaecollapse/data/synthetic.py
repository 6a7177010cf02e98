"""Generated data with known ground truth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import special_ortho_group

from vaecollapse.data.dataset import Dataset


def linear_gaussian(
    *,
    eigenvalues: Sequence[float],
    num_examples: int,
    seed: int,
    test_fraction: float = 0.2,
    rotate: bool = True,
) -> Dataset:
    """Zero-mean Gaussian data x = Q diag(√λ) ε with a random rotation Q (from ``seed``).

    The population covariance is Q diag(λ) Qᵀ, whose spectrum is ``eigenvalues``; the
    linear VAE's optimum on it is known in closed form (`vaecollapse.analytic`).

    Returns:
      ``Dataset`` with ``[N, D]`` float32 vectors; ``meta['eigenvalues']`` the spectrum.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    if eigenvalues.ndim != 1 or eigenvalues.size == 0:
        raise ValueError(
            f"data.eigenvalues must be a non-empty 1-D sequence of positive floats, "
            f"got {eigenvalues.tolist()!r}"
        )
    if not np.all(np.isfinite(eigenvalues)) or np.any(eigenvalues <= 0):
        raise ValueError(
            f"data.eigenvalues must all be positive and finite, got {eigenvalues.tolist()!r}"
        )
    if num_examples < 2:
        raise ValueError(f"data.num_examples must be >= 2, got {num_examples!r}")
    dim = eigenvalues.size
    rng = np.random.default_rng(seed)
    basis = special_ortho_group.rvs(dim, random_state=rng) if rotate and dim > 1 else np.eye(dim)
    x = (rng.standard_normal((num_examples, dim)) * np.sqrt(eigenvalues)) @ basis.T
    num_test = max(1, round(test_fraction * num_examples))
    x = x.astype(np.float32)
    meta = {
        "name": "linear_gaussian",
        "kind": "continuous",
        "shape": (dim,),
        "eigenvalues": tuple(float(e) for e in eigenvalues),
    }
    return Dataset(x[num_test:], x[:num_test], meta)
