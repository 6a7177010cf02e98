"""Is my generator dropping modes? Mode-collapse diagnostics for any generator's samples.

NumPy in, NumPy out (no JAX here: this is reading-side, like `ssl.monitor`):
samples, mode means and features are ``[N, D]`` NumPy or JAX arrays, or anything
`np.asarray` takes (PyTorch: ``x.detach().cpu().numpy()``). Everything is computed in
float64, and pairwise distances in chunks (tens of MB at most, whatever N), so 100,000
samples over 25 modes, or 10,000 feature vectors of 2,048 dims, fit anywhere.

`diagnose_samples(samples, modes, std)`: for data drawn from a known Gaussian mixture
(the 2-D ring of 8 and grid of 25 Gaussians of VEEGAN, Srivastava et al. 2017, and
PacGAN, Lin et al. 2018), the measures of those papers (`SampleReport`):

``high_quality``
    The fraction of samples within 3 standard deviations of their nearest mode: Euclidean
    distance to the nearest mean ≤ 3 · std (with a per-mode ``std [K]``, that mode's std).
    The nearest mode is the nearest mean in Euclidean distance; an exact tie goes to the
    lower mode index.
``mode_counts``
    ``[K]`` the number of high-quality samples whose nearest mode is mode k.
``modes_captured``
    The number of modes that are the nearest mode of at least one high-quality sample
    (``mode_counts > 0``), of ``num_modes`` = K. VEEGAN's and PacGAN's "modes captured".
``reverse_kl``
    PacGAN's reverse KL, KL(p_gen ‖ uniform) in nats, of the histogram of the high-quality
    samples over the K modes: ``p_k = mode_counts[k] / Σ mode_counts``,
    ``Σ_{k: p_k > 0} p_k log(p_k K)`` = log K − H(p). It is 0 when every mode gets the
    same share, log(K / m) when m modes share the samples evenly (log(8/5) ≈ 0.47 for 5 of
    8), log K when all fall on one mode. With no high-quality sample at all the histogram
    is undefined; ``reverse_kl`` is then log K, the value of a histogram on one mode (the
    most collapsed there is), as the GAN family records it; the state is ``full``.
``state``
    The GAN family's rule (`vaecollapse.families.gan`, one rule for both): ``healthy``
    when at least 90 % of the K modes are captured (≥ 23 of 25, 8 of 8); else ``full``
    when at most one is (the generator has collapsed onto one mode, or has no sample
    near any mode); else ``partial`` (modes lost). The state
    reads modes only: a generator that sprays samples everywhere can capture every mode
    with few high-quality samples, so read ``high_quality`` beside it (VEEGAN's Table 1:
    Unrolled GAN captures 7.6 of 8 ring modes with 35.6 % high-quality samples).

`coverage(real_features, fake_features, k=5)`: for data without known modes (images
through Inception or any encoder, as NumPy features), precision, recall, density and
coverage of Naeem et al. (2020, "Reliable Fidelity and Diversity Metrics for Generative
Models"), built on k-nearest-neighbour balls. ``r_i`` is the distance from real point
X_i to its k-th nearest other real point (its k + 1-th nearest, itself included: the
same radius as the reference implementation, the ``prdc`` package, also with duplicate
points); ``s_j`` the same for fake point Y_j among the fakes. With N real and M fake
points, and a point inside a ball when its distance is strictly below the radius (as
``prdc`` does):

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

Bad input (not 2-D, empty, non-finite values, feature dims that differ, std ≤ 0, k not
in [1, number of points − 1]) is answered by a one-line ValueError naming the argument.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from vaecollapse.families import gan

STATE_NAMES = tuple(gan.STATE_NAMES[code] for code in sorted(gan.STATE_NAMES))
QUALITY_STDS = gan.HQ_STDS  # a sample within this many std of its nearest mode is high quality
CHUNK_ELEMENTS = 1 << 20  # float64 entries per distance chunk (8 MB)


@dataclasses.dataclass(frozen=True)
class SampleReport:
    """The mode-collapse measures of N generated samples over a mixture of K modes."""

    modes_captured: int  # modes that are the nearest of >= 1 high-quality sample
    num_modes: int  # K
    high_quality: float  # fraction of samples within 3 std of their nearest mode
    reverse_kl: float  # KL(p_gen ‖ uniform) of the high-quality histogram; log K if none
    mode_counts: np.ndarray  # [K] high-quality samples per nearest mode
    num_samples: int  # N
    state: str  # healthy, partial, full

    def __str__(self) -> str:
        k = self.num_modes
        shown = ", ".join(str(int(c)) for c in self.mode_counts[:25]) + (", …" if k > 25 else "")
        kl = f"{self.reverse_kl:.4f}"
        if not self.mode_counts.any():
            kl += " (no high-quality sample: log K)"
        return "\n".join(
            [
                f"state:          {self.state}",
                f"modes captured: {self.modes_captured} of {k}",
                f"high quality:   {100 * self.high_quality:.1f} % of {self.num_samples} samples"
                f" (within {QUALITY_STDS:g} std of their nearest mode)",
                f"reverse KL:     {kl} nats (0: modes used evenly; log {k} = "
                f"{np.log(k):.3f}: one mode)",
                f"mode counts:    {shown}",
            ]
        )

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["mode_counts"] = self.mode_counts.tolist()
        return out


def _points(name: str, x, what: str, dim: tuple[str, int] | None = None) -> np.ndarray:
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


def _std(std, k: int) -> np.ndarray:
    """``std`` as ``[K]`` positive finite floats, or a one-line ValueError."""
    allowed = f"must be a float > 0, or [{k}] floats > 0 (one per mode)"
    try:
        s = np.asarray(std, np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"std={std!r} is invalid: {allowed}") from None
    if s.ndim > 1 or (s.ndim == 1 and s.shape[0] != k):
        raise ValueError(f"std has shape {s.shape}: {allowed}")
    if not np.all(np.isfinite(s) & (s > 0)):
        shown = repr(float(s)) if s.ndim == 0 else f"{s.tolist()!r}"[:60]
        raise ValueError(f"std={shown} is invalid: {allowed}")
    return np.broadcast_to(s, (k,))


def _rows(n_columns: int) -> int:
    """Rows per chunk so that a chunk holds about `CHUNK_ELEMENTS` entries."""
    return max(1, CHUNK_ELEMENTS // max(1, n_columns))


def nearest_chunk(samples, modes, xp=np):
    """The index ``[N]`` of each sample's nearest mode (ties: the lower index) and the
    distance ``[N]`` to it, from exact differences. ``xp`` is the array namespace: NumPy
    (this API, called on chunks by `nearest_modes`) or ``jax.numpy`` (the GAN sweep's
    traced mode measures inside its compiled program) — one formula for both."""
    d2 = xp.sum((samples[:, None, :] - modes[None, :, :]) ** 2, axis=-1)  # [N, K]
    nearest = xp.argmin(d2, axis=1)
    return nearest, xp.sqrt(xp.min(d2, axis=1))


def mode_counts(nearest, good, num_modes: int, xp=np):
    """``[K]`` the number of high-quality samples (``good [N]``) whose nearest mode is
    each mode (``nearest [N]``), in namespace ``xp`` (see `nearest_chunk`)."""
    return xp.sum((nearest[:, None] == xp.arange(num_modes)[None, :]) & good[:, None], axis=0)


def nearest_modes(samples: np.ndarray, modes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`nearest_chunk` in chunks of samples (tens of MB at most, whatever N)."""
    n = samples.shape[0]
    index, distance = np.empty(n, np.int64), np.empty(n)
    step = _rows(modes.size)
    for start in range(0, n, step):
        chunk_index, chunk_distance = nearest_chunk(samples[start : start + step], modes)
        index[start : start + step] = chunk_index
        distance[start : start + step] = chunk_distance
    return index, distance


def mode_state(modes_captured: int, num_modes: int) -> str:
    """``healthy``, ``partial`` or ``full``: `vaecollapse.families.gan.collapse_state`,
    the GAN family's one rule (module docstring)."""
    return gan.STATE_NAMES[gan.collapse_state(modes_captured, num_modes)]


def diagnose_samples(samples, modes, std) -> SampleReport:
    """The mode-collapse measures (VEEGAN, PacGAN) of generated ``samples`` ``[N, D]`` from
    a Gaussian mixture with means ``modes`` ``[K, D]`` and per-mode std ``std``.

    Args:
      samples: one generated sample per row (NumPy, JAX, or anything `np.asarray` takes).
      modes: the mixture's K mode means, one per row, in the samples' D dims.
      std: the mixture's standard deviation per coordinate: a float, or ``[K]`` floats
        (one per mode). PacGAN's ring: radius 1, std 0.01; grid: {−4, −2, 0, 2, 4}²,
        std 0.05.

    Raises:
      ValueError: samples or modes not 2-D or empty, their dims differ, non-finite
        values, std not > 0 or not of shape [] or [K].
    """
    samples = _points("samples", samples, "N samples")
    modes = _points("modes", modes, "K modes", dim=("samples", samples.shape[1]))
    k = modes.shape[0]
    std = _std(std, k)
    nearest, distance = nearest_modes(samples, modes)
    good = distance <= QUALITY_STDS * std[nearest]
    step = _rows(k)
    counts = sum(
        mode_counts(nearest[i : i + step], good[i : i + step], k)
        for i in range(0, len(nearest), step)
    )
    captured = int((counts > 0).sum())
    reverse_kl = float(np.log(k))  # no high-quality sample: as if all on one mode
    if good.any():
        p = counts[counts > 0] / counts.sum()
        reverse_kl = max(float(np.sum(p * np.log(p * k))), 0.0)  # ≥ 0 (not −1e-17)
    return SampleReport(
        modes_captured=captured,
        num_modes=k,
        high_quality=float(good.mean()),
        reverse_kl=reverse_kl,
        mode_counts=counts,
        num_samples=samples.shape[0],
        state=mode_state(captured, k),
    )


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
    step = _rows(n)
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
    real = _points("real_features", real_features, "N real points")
    dim = ("real_features", real.shape[1])
    fake = _points("fake_features", fake_features, "M fake points", dim)
    k = _k(k, real.shape[0], fake.shape[0])
    real_radii, fake_radii = knn_radii(real, k), knn_radii(fake, k)
    real2, fake2 = _sq_norms(real), _sq_norms(fake)
    n, m = real.shape[0], fake.shape[0]
    in_real_balls = np.zeros(m, np.int64)  # per fake: how many real balls hold it
    recalled, covered = np.zeros(n, bool), np.zeros(n, bool)
    step = _rows(m)
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
