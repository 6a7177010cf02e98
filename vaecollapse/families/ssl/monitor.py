"""Is my self-supervised encoder collapsing, and since when? Representation-collapse
diagnostics for any encoder's embeddings.

NumPy in, NumPy out (no JAX here: this is reading-side): ``z`` is the encoder's (or the
projector's) embedding of N inputs, ``[N, d]`` — NumPy or JAX arrays, or anything
`np.asarray` takes (PyTorch: ``z.detach().cpu().numpy()``). `diagnose_embeddings`
measures one set of embeddings; `EmbeddingMonitor` keeps the measures over a training
loop and finds the onset of the state it ends in, dimensional or complete collapse.
Everything is computed in float64.

The measures (`EmbeddingReport`):

``std_normalized``
    The per-dimension standard deviation (``ddof=1``) of the l2-normalised embeddings
    ``u_i = z_i / max(‖z_i‖, 1e-12)``, averaged over the d dimensions and multiplied by
    √d. SimSiam (Chen & He 2021, Sec. 4.1) monitors the un-scaled mean std, which is
    ≈ 1/√d for embeddings spread isotropically and 0 at complete collapse (every input
    mapped to one direction); the √d makes "healthy" read ≈ 1 whatever d (lightly's
    ``std_of_l2_normalized`` is the un-scaled value: ours = theirs × √d). For embeddings
    close to one direction ``c`` it is ≈ the rms angle (radians) between ``u_i`` and
    ``c``: a spread of 10 % about a common vector reads 0.1. It is coordinate-wise, so
    not rotation-invariant in general: an embedding confined to r coordinate axes reads
    ≈ √(r/d), one confined to a randomly oriented r-dim subspace reads ≈ 1.
``rankme``
    RankMe (Garrido et al. 2023, "RankMe: assessing the downstream performance of
    pretrained self-supervised representations by their rank"), the exponential of the
    entropy of the l1-normalised singular values σ_k of the (uncentred) ``[N, d]``
    matrix Z: ``p_k = σ_k / ‖σ‖₁ + 1e-7``, ``RankMe = exp(−Σ_k p_k log p_k)``. It is
    ≈ r for r equally strong directions (1 for a constant embedding) and at most
    min(N, d). Other implementations (and some papers' "effective rank") use the
    eigenvalues of the centred covariance instead of the singular values of Z; their
    numbers differ (squared values, no mean direction), so compare like with like.
    An all-zero Z reads 0.
``spectrum``
    ``[d]`` the singular values of the centred embeddings Z − mean(Z), largest first,
    divided by the largest: √(λ_k / λ_1) for the eigenvalues λ of the sample covariance,
    the per-rank order parameter (as KL per latent dim is the VAE's). Centred, because
    the mean is one shared vector, not a direction along which inputs differ: a
    collapsed dimension is one with no variance across inputs, the singular spectrum
    of the embedding covariance that Jing et al. (2022, "Understanding dimensional
    collapse in contrastive self-supervised learning", Fig. 1–4) plot. Square roots
    (singular values, computed by SVD of the centred Z, not by eigenvalues of the
    covariance) keep the float precision of ratios down to ~1e-15 and put it on the
    scale of z itself, as RankMe's σ_k. Ranks past N − 1 are 0 by construction; a
    constant embedding's spectrum is all zeros.
``probe_accuracy``
    With labels: the held-out accuracy of a linear probe, the analogue of the VAE's
    I(x; z) (information kept). Closed-form ridge regression on one-hot labels with an
    intercept, ``λ = 1e-3 · tr(X̃ᵀX̃) / d`` (X̃ the centred training half: a ridge
    relative to the embeddings' scale, so the accuracy is unchanged by z → c·z and by
    rotations), fit on a random half of the rows and scored on the other half
    (argmax of the scores). The split is a fixed-seed permutation of the rows in sorted
    order, so it does not depend on the order of the rows. None without labels. Being
    scale-invariant, it reads what the spread still separates however small the spread:
    a completely collapsed embedding (std_normalized 0.004) can keep a high accuracy
    when its residual variation is class-structured (deterministic encoders have no
    noise to drown it, unlike the VAE's I(x; z)). Read it next to std_normalized.
``state``
    The SSL family's rule (`vaecollapse.families.ssl.collapse_state`, its thresholds
    defined there once): ``complete`` when ``std_normalized < 0.1`` (the embeddings sit
    within ≈ 0.1 rad of one direction: at most 10 % of their norm varies across inputs);
    else ``dimensional`` when ``RankMe < 0.25 · min(N, d)`` or any of the first
    min(N − 1, d) spectrum entries is below 1e-3 (a direction with < 1e-6 of the leading
    variance: collapsed, in the sense of Jing et al.); else ``healthy``. Justification
    (isotropic Gaussian samples, `tests/test_embeddings.py`): healthy isotropic embeddings
    read std_normalized ≈ 1 and RankMe between 0.8 · min(N, d) (N = d, the
    Marchenko–Pastur quarter-circle limit) and d (N ≫ d); trained healthy SimSiam
    embeddings on digits read ≈ 0.42 · d (docs/ssl.md), so the RankMe threshold sits at
    a quarter; a rank-r embedding reads RankMe ≈ r and spectrum zeros past r. RankMe is
    not used for complete collapse: it counts directions, not their size, so a constant
    vector with 1 % (10 %) isotropic noise reads RankMe ≈ 1.5 (≈ 6.5 in d = 32) while
    std_normalized reads 0.01 (0.1). The spectrum floor needs N comfortably above d: for
    N ≈ d even an isotropic sample's smallest ratio is ≈ 1/(2d) (Marchenko–Pastur), ~1e-3
    at d = 512; use N ≥ 2d (then it is ≥ 0.17).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import xarray as xr

from vaecollapse.families import ssl

MEASURES = ("std_normalized", "rankme", "probe_accuracy")
STATE_NAMES = tuple(ssl.STATE_NAMES[code] for code in sorted(ssl.STATE_NAMES))
STATE_CODES = {name: code for code, name in ssl.STATE_NAMES.items()}  # worse: larger
ONSETS = ("onset", "collapse_onset", "dimensional_onset", "state_onset")  # the monitor's

# the state's thresholds: the SSL family's (`families.ssl`), defined there once
COMPLETE_STD = ssl.STD_THRESHOLD  # std_normalized below this: complete collapse
DIMENSIONAL_RANKME = ssl.DIMENSIONAL_FRACTION  # RankMe below this × min(N, d): dimensional
SPECTRUM_FLOOR = ssl.SPECTRUM_THRESHOLD  # a centred σ_k below this × the largest: collapsed
RANK_ONE = ssl.RANKME_THRESHOLD  # RankMe below this in a dimensional state: rank one
RANKME_EPS = 1e-7  # Garrido et al. (2023)
PROBE_RIDGE = 1e-3  # ridge λ relative to the mean diagonal of the centred training Gram
PROBE_SEED = 0


@dataclasses.dataclass(frozen=True)
class EmbeddingReport:
    """The representation-collapse measures of one set of embeddings ``[N, d]``."""

    std_normalized: float  # mean per-dim std of l2-normalised z, × √d: healthy ≈ 1
    rankme: float  # RankMe (Garrido et al. 2023): ≈ number of directions used
    spectrum: np.ndarray  # [d] σ_k / σ_1 of the centred z, largest first
    probe_accuracy: float | None  # linear probe's held-out accuracy; None without labels
    state: str  # healthy, dimensional, complete

    @property
    def rank_one(self) -> bool:
        """Dimensional collapse to one line through the origin: the state is
        ``dimensional`` and RankMe is below `RANK_ONE` (1.5), e.g. z_i = s_i·u with s_i
        of both signs (SimSiam without its stop-gradient, in lightly's modules)."""
        return self.state == "dimensional" and self.rankme < RANK_ONE

    def __str__(self) -> str:
        d = len(self.spectrum)
        shown = ", ".join(f"{v:.3g}" for v in self.spectrum[:8]) + (", …" if d > 8 else "")
        below = int((self.spectrum < SPECTRUM_FLOOR).sum())
        probe = "-  (no labels)" if self.probe_accuracy is None else f"{self.probe_accuracy:.3f}"
        return "\n".join(
            [
                f"state:          {self.state}"
                + (" (rank one: one line through the origin)" if self.rank_one else ""),
                f"std (l2-norm):  {self.std_normalized:.4f} × √d  (healthy ≈ 1, complete: 0)",
                f"RankMe:         {self.rankme:.2f} of {d} dims",
                f"spectrum:       {shown}  ({below} of {d} below {SPECTRUM_FLOOR:g})",
                f"probe accuracy: {probe}",
            ]
        )

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["spectrum"] = self.spectrum.tolist()
        return out


def _embeddings(z, dim: int | None = None) -> np.ndarray:
    """``z`` as a float64 ``[N, d]`` array, or a ValueError naming the slip."""
    z = np.asarray(z, np.float64)
    if z.ndim != 2:
        raise ValueError(f"z has shape {z.shape}: expected [N inputs, d embedding dims]")
    if z.shape[0] < 2:
        raise ValueError(f"z has {z.shape[0]} input: need >= 2 (std and spectrum are variances)")
    if dim is not None and z.shape[1] != dim:
        raise ValueError(f"z has {z.shape[1]} embedding dims; this monitor was made for {dim}")
    bad = ~np.isfinite(z)
    if bad.any():
        first = np.argwhere(bad)[0].tolist()
        raise ValueError(f"z has {int(bad.sum())} non-finite values (first at {first})")
    return z


def _labels(labels, n: int) -> np.ndarray | None:
    """``labels`` as ``[N]`` integer class codes, or a ValueError naming the slip."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"labels has shape {labels.shape}: expected [{n}], one per row of z")
    if np.issubdtype(labels.dtype, np.inexact):
        bad = ~np.isfinite(labels)
        if bad.any():
            first = np.argwhere(bad)[0].tolist()
            raise ValueError(f"labels has {int(bad.sum())} non-finite values (first at {first})")
    return np.unique(labels, return_inverse=True)[1].reshape(-1)


def std_normalized(z, xp=np):
    """Mean over dims of the std (ddof=1) of the l2-normalised rows of ``z``, × √d.

    ``xp`` is the array namespace: NumPy (this API; a float) or ``jax.numpy`` (the SSL
    sweep's traced value inside its compiled program; a JAX scalar) — one formula for
    both."""
    norms = xp.linalg.norm(z, axis=1, keepdims=True)
    u = z / xp.maximum(norms, 1e-12)
    value = xp.mean(xp.std(u, axis=0, ddof=1)) * np.sqrt(z.shape[1])
    return float(value) if xp is np else value


def rankme(z: np.ndarray) -> float:
    """RankMe (Garrido et al. 2023) of the uncentred ``z``; 0 for an all-zero ``z``."""
    sigma = np.linalg.svd(z, compute_uv=False)
    if sigma.sum() <= 0:
        return 0.0
    p = sigma / sigma.sum() + RANKME_EPS
    return float(np.exp(-np.sum(p * np.log(p))))


def spectrum(z: np.ndarray) -> np.ndarray:
    """``[d]`` σ_k / σ_1 of the centred ``z``, largest first; all zeros if it is constant
    (to float precision: σ_1 of the centred z ≤ 1e-12 × that of z)."""
    d = z.shape[1]
    sigma = np.zeros(d)
    centred = np.linalg.svd(z - z.mean(axis=0), compute_uv=False)
    sigma[: len(centred)] = centred
    scale = np.linalg.norm(z, ord=2) if z.any() else 0.0
    if sigma[0] <= 1e-12 * scale or sigma[0] == 0:
        return np.zeros(d)
    return sigma / sigma[0]


def probe_accuracy(z: np.ndarray, codes: np.ndarray) -> float:
    """Held-out accuracy of a closed-form ridge probe on one-hot ``codes`` ``[N]``."""
    n, d = z.shape
    order = np.lexsort((codes, *z.T[::-1]))  # sorted rows: the split ignores row order
    perm = order[np.random.default_rng(PROBE_SEED).permutation(n)]
    train, test = perm[: n // 2], perm[n // 2 :]
    onehot = np.eye(codes.max() + 1)[codes]
    x_mean, y_mean = z[train].mean(axis=0), onehot[train].mean(axis=0)
    x, y = z[train] - x_mean, onehot[train] - y_mean
    gram = x.T @ x
    ridge = PROBE_RIDGE * np.trace(gram) / d + 1e-300
    weights = np.linalg.solve(gram + ridge * np.eye(d), x.T @ y)
    scores = (z[test] - x_mean) @ weights + y_mean
    return float(np.mean(scores.argmax(axis=1) == codes[test]))


def collapse_state(std: float, rank: float, spec: np.ndarray, n: int) -> str:
    """``complete``, ``dimensional`` or ``healthy``: `ssl.collapse_state` of the measures."""
    code = ssl.collapse_state(std, rank, ssl.smallest_spectrum(spec, n), n, len(spec))
    return ssl.STATE_NAMES[int(code)]


def diagnose_embeddings(z, labels=None) -> EmbeddingReport:
    """The representation-collapse measures of embeddings ``z`` ``[N, d]`` of N inputs.

    Args:
      z: one embedding per row (NumPy, JAX, or anything `np.asarray` takes).
      labels: optional ``[N]`` class labels (any values `np.unique` sorts) for the
        linear probe's accuracy.

    Raises:
      ValueError: not 2-D, fewer than 2 rows, non-finite values, labels of another
        shape than ``[N]`` or non-finite labels.
    """
    z = _embeddings(z)
    return _measure(z, _labels(labels, z.shape[0]))


def _measure(z: np.ndarray, codes: np.ndarray | None) -> EmbeddingReport:
    """`diagnose_embeddings` on inputs already checked."""
    std, rank, spec = std_normalized(z), rankme(z), spectrum(z)
    return EmbeddingReport(
        std_normalized=std,
        rankme=rank,
        spectrum=spec,
        probe_accuracy=None if codes is None else probe_accuracy(z, codes),
        state=collapse_state(std, rank, spec, z.shape[0]),
    )


class EmbeddingMonitor:
    """Representation-collapse measures over a training loop: call `update` every few
    steps.

    Each onset is the first updated step of the stretch that reaches the last update;
    None while the run is not in that condition at the last update:

    - ``state_onset``: of the state the run ends in (`state`), the first update from
      which the state stays that bad or worse (``dimensional``: dimensional or
      complete; ``complete``: complete); None while healthy.
    - ``dimensional_onset`` (also ``collapse_onset``): the state stays ``dimensional``
      or worse. A collapse onto one line through the origin, both signs, never reads
      complete (its std·√d is ‖u‖₁/√d ≥ 1/√d) but has this onset.
    - ``onset``: complete collapse, ``std_normalized`` stays below ``threshold``
      (default 0.1, the state rule's: the state stays ``complete``).

    The states are the SSL family's rule (`vaecollapse.families.ssl.collapse_state`).
    """

    def __init__(self, dim: int, *, threshold: float = COMPLETE_STD):
        if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0:
            raise ValueError(f"dim={dim!r} is invalid: must be a positive integer")
        if not threshold > 0:
            raise ValueError(f"threshold={threshold!r} is invalid: must be > 0")
        self.dim, self.threshold = dim, threshold
        self.steps: list[int] = []
        self.reports: list[EmbeddingReport] = []

    def update(self, step: int, z, labels=None) -> EmbeddingReport:
        """Measure the embeddings at ``step`` (increasing) and keep the report."""
        if self.steps and step <= self.steps[-1]:
            raise ValueError(f"step={step} is invalid: must be > the last step {self.steps[-1]}")
        z = _embeddings(z, self.dim)
        report = _measure(z, _labels(labels, z.shape[0]))
        self.steps.append(int(step))
        self.reports.append(report)
        return report

    def trace(self, measure: str) -> np.ndarray:
        """One measure (`MEASURES`) at every update (probe accuracy: NaN without labels)."""
        if measure not in MEASURES:
            raise ValueError(f"measure={measure!r} is invalid: allowed: {', '.join(MEASURES)}")
        values = [getattr(r, measure) for r in self.reports]
        return np.asarray([np.nan if v is None else v for v in values], np.float64)

    def _first_of_last_stretch(self, flags: np.ndarray) -> int | None:
        """The step of the first update of the last stretch of ``flags`` that reaches the
        last update; None when the last update is not flagged."""
        if not flags.any() or not flags[-1]:
            return None
        first = len(flags) - int(np.argmin(flags[::-1])) if not flags.all() else 0
        return self.steps[first]

    @property
    def onset(self) -> int | None:
        """Complete collapse: the first update from which std_normalized stays below
        ``threshold``; None while it is not below at the last update."""
        return self._first_of_last_stretch(self.trace("std_normalized") < self.threshold)

    def _codes(self) -> np.ndarray:
        """The state code (`STATE_CODES`: larger is worse) at every update."""
        return np.asarray([STATE_CODES[r.state] for r in self.reports], np.int64)

    @property
    def state(self) -> str | None:
        """The state at the last update; None before the first."""
        return self.reports[-1].state if self.reports else None

    @property
    def dimensional_onset(self) -> int | None:
        """Dimensional collapse (rank one included) or worse: the first update from which
        the state stays ``dimensional`` or ``complete``; None while healthy at the last
        update."""
        return self._first_of_last_stretch(self._codes() >= ssl.DIMENSIONAL)

    @property
    def collapse_onset(self) -> int | None:
        """Any collapse: `dimensional_onset` (the name it had first)."""
        return self.dimensional_onset

    @property
    def state_onset(self) -> int | None:
        """The onset of the state the run ends in (`state`): the first update from which
        the state stays that bad or worse — `dimensional_onset` when it ends
        ``dimensional``, the first update from which it stays ``complete`` when it ends
        complete; None while healthy (or before the first update)."""
        codes = self._codes()
        if not len(codes) or codes[-1] == ssl.HEALTHY:
            return None
        return self._first_of_last_stretch(codes >= codes[-1])

    def to_xarray(self) -> xr.Dataset:
        """The traces over ``step``, ``spectrum`` over (``step``, ``rank``) and ``state``;
        the onsets in its attrs (−1 for None)."""
        data = {m: ("step", self.trace(m)) for m in MEASURES}
        spectra = (
            np.stack([r.spectrum for r in self.reports])
            if self.reports
            else np.zeros((0, self.dim))
        )
        data["spectrum"] = (("step", "rank"), spectra)
        data["state"] = ("step", np.asarray([r.state for r in self.reports], dtype=str))
        onsets = [(name, getattr(self, name)) for name in ONSETS]
        return xr.Dataset(
            data,
            coords={"step": np.asarray(self.steps, np.int64), "rank": np.arange(self.dim)},
            attrs={"threshold": self.threshold} | {k: -1 if v is None else v for k, v in onsets},
        )

    def plot(self, path: str | Path | None = None):
        """std_normalized (and probe accuracy), RankMe and the spectrum over the updates,
        with the thresholds and the onsets (dimensional, orange; complete, red) of the
        stretch the run ends in; saved to ``path`` when given. Returns the figure."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
        traces = self.to_xarray()
        steps, onset = traces.step.values, traces.attrs["onset"]
        onsets = [("complete", onset, "red")]
        if traces.attrs["dimensional_onset"] != onset:  # dimensional before, or never complete
            onsets.insert(0, ("dimensional", traces.attrs["dimensional_onset"], "darkorange"))
        axes[0].plot(steps, traces.std_normalized.values, "k-o", ms=3, label="std × √d")
        if np.isfinite(traces.probe_accuracy.values).any():
            axes[0].plot(steps, traces.probe_accuracy.values, "b--o", ms=3, label="probe acc.")
        axes[0].axhline(self.threshold, color="k", ls=":", lw=1, label=f"{self.threshold:g}")
        axes[1].plot(steps, traces.rankme.values, "o-", ms=3)
        axes[1].axhline(self.dim, color="k", ls=":", lw=1, label=f"d = {self.dim}")
        axes[2].plot(steps, np.maximum(traces.spectrum.values, 1e-8), lw=0.8, alpha=0.7)
        axes[2].axhline(SPECTRUM_FLOOR, color="k", ls=":", lw=1, label=f"{SPECTRUM_FLOOR:g}")
        axes[2].set_yscale("log")
        names = ("std of l2-normalised z × √d", "RankMe", "spectrum σ_k / σ_1")
        for ax, name in zip(axes, names, strict=True):
            ax.set_xlabel("step")
            ax.set_ylabel(name)
            for state, step, colour in onsets:
                if step >= 0:
                    ax.axvline(step, color=colour, lw=1, label=f"{state} from {step}")
            ax.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig
