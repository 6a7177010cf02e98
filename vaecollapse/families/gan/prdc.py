"""Precision, recall, density and coverage (Naeem et al. 2020, "Reliable Fidelity and
Diversity Metrics for Generative Models") of generated features against real ones, for
data without known modes (images through Inception or any encoder, as NumPy features).
NumPy in, NumPy out (no JAX); `gan.monitor` exports `coverage` too.

`coverage(real_features, fake_features, k=5)` is built on k-nearest-neighbour balls.
``r_i`` is the distance from real point X_i to its k-th nearest other real point (its
k + 1-th nearest, itself included: the same radius as the reference implementation, the
``prdc`` package, also with duplicate points); ``s_j`` the same for fake point Y_j among
the fakes. With N real and M fake points, and a point inside a ball when its distance is
strictly below the radius (as ``prdc`` does):

``precision``
    The fraction of fakes inside at least one real ball: (1/M) Σ_j 1[∃i: ‖Y_j − X_i‖ < r_i].
    Fidelity: fakes that look real.
``recall``
    The fraction of reals inside at least one fake ball: (1/N) Σ_i 1[∃j: ‖X_i − Y_j‖ < s_j].
    Diversity, as seen from the fakes' own (possibly inflated) balls.
``density``
    How many real balls hold a fake, on average, divided by k:
    (1/(kM)) Σ_j Σ_i 1[‖Y_j − X_i‖ < r_i]. About 1 when fakes follow the real
    distribution, above 1 when they crowd into dense real regions; unbounded.
``coverage``
    The fraction of real balls that hold at least one fake:
    (1/N) Σ_i 1[min_j ‖X_i − Y_j‖ < r_i]. Mode dropping lowers it; outliers among the
    fakes do not raise it (unlike recall). Naeem et al. recommend k = 5.

Identical real and fake sets (no repeated points) read precision = recall = coverage = 1;
sets further apart than every radius read 0 everywhere. Our numbers agree with
``prdc.compute_prdc`` to float precision (`tests/test_samples.py`).

Features are ``[N, D]`` NumPy or JAX arrays, or anything `np.asarray` takes; everything
is computed in float64, and pairwise distances in chunks of rows of about
`CHUNK_ELEMENTS` entries (`rows_per_chunk`, which `gan.monitor` shares). Bad input (not
2-D, empty, non-finite values, feature dims that differ, k not in [1, number of points −
1]) is answered by a one-line ValueError naming the argument (`as_points`, the check
`gan.monitor` shares).
"""

from __future__ import annotations

import numbers

import numpy as np

CHUNK_ELEMENTS = 1 << 20  # float64 entries per distance chunk (8 MB)


def as_points(name: str, x, what: str, dim: tuple[str, int] | None = None) -> np.ndarray:
    """``x`` as a float64 ``[N, D]`` array with N >= 1, or a one-line ValueError."""
    x = np.asarray(x, np.float64)
    if x.ndim != 2:
        raise ValueError(f"{name} has shape {x.shape}: expected [{what}, D dims]")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"{name} has shape {x.shape}: expected at least 1 row and 1 dim")
    if dim is not None and x.shape[1] != dim[1]:
        raise ValueError(
            f"{name} has {x.shape[1]} dims but {dim[0]} has {dim[1]}: they must be the same"
        )
    bad = ~np.isfinite(x)
    if bad.any():
        first = np.argwhere(bad)[0].tolist()
        raise ValueError(f"{name} has {int(bad.sum())} non-finite values (first at {first})")
    return x


def rows_per_chunk(n_columns: int) -> int:
    """Rows per chunk so that a chunk holds about `CHUNK_ELEMENTS` entries."""
    return max(1, CHUNK_ELEMENTS // max(1, n_columns))


def _sq_norms(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, x)


def _distances(a: np.ndarray, b: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """``[len(a), len(b)]`` Euclidean distances from the squared norms (clipped at 0)."""
    return np.sqrt(np.maximum(a2[:, None] + b2[None, :] - 2.0 * (a @ b.T), 0.0))


def knn_radii(x: np.ndarray, k: int) -> np.ndarray:
    """``[N]`` the distance from each row of ``x`` to its k-th nearest other row (its
    k + 1-th nearest counting itself at distance 0), in chunks of rows."""
    n = x.shape[0]
    x2 = _sq_norms(x)
    radii = np.empty(n)
    step = rows_per_chunk(n)
    for start in range(0, n, step):
        d = _distances(x[start : start + step], x, x2[start : start + step], x2)
        rows = np.arange(d.shape[0])
        d[rows, start + rows] = 0.0  # a point's distance to itself, exactly
        radii[start : start + step] = np.partition(d, k, axis=1)[:, k]
    return radii


def _k(k, n_real: int, n_fake: int) -> int:
    """``k`` as an int in [1, min(N, M) − 1], or a one-line ValueError."""
    n = min(n_real, n_fake)
    which = "real" if n_real <= n_fake else "fake"
    if n < 2:
        raise ValueError(
            f"{which}_features has {n} row: need >= 2 (each point's k-th nearest other point)"
        )
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 1 <= k <= n - 1:
        raise ValueError(
            f"k={k!r} is invalid: must be an integer in [1, {n - 1}] "
            f"({which}_features has {n} rows; each needs k other points)"
        )
    return int(k)


def coverage(real_features, fake_features, k: int = 5) -> dict[str, float]:
    """Precision, recall, density and coverage (Naeem et al. 2020) of ``fake_features``
    ``[M, D]`` against ``real_features`` ``[N, D]`` with k-nearest-neighbour balls.

    Args:
      real_features: one real example's features per row (NumPy, JAX, …; PyTorch:
        ``f.detach().cpu().numpy()``).
      fake_features: one generated example's features per row, the same D dims.
      k: the neighbour that sets each ball's radius (Naeem et al.: 5).

    Returns:
      ``{"precision", "recall", "density", "coverage"}`` as floats (module docstring).

    Raises:
      ValueError: not 2-D or empty, dims that differ, non-finite values, k not an
        integer in [1, min(N, M) − 1].
    """
    real = as_points("real_features", real_features, "N real points")
    dim = ("real_features", real.shape[1])
    fake = as_points("fake_features", fake_features, "M fake points", dim)
    k = _k(k, real.shape[0], fake.shape[0])
    real_radii, fake_radii = knn_radii(real, k), knn_radii(fake, k)
    real2, fake2 = _sq_norms(real), _sq_norms(fake)
    n, m = real.shape[0], fake.shape[0]
    in_real_balls = np.zeros(m, np.int64)  # per fake: how many real balls hold it
    recalled, covered = np.zeros(n, bool), np.zeros(n, bool)
    step = rows_per_chunk(m)
    for start in range(0, n, step):
        d = _distances(real[start : start + step], fake, real2[start : start + step], fake2)
        inside = d < real_radii[start : start + step, None]  # [c, M]: fake j in ball i
        in_real_balls += inside.sum(axis=0)
        covered[start : start + step] = inside.any(axis=1)
        recalled[start : start + step] = (d < fake_radii[None, :]).any(axis=1)
    return {
        "precision": float(np.mean(in_real_balls > 0)),
        "recall": float(recalled.mean()),
        "density": float(in_real_balls.sum() / (k * m)),
        "coverage": float(covered.mean()),
    }
