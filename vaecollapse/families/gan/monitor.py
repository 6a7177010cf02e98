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

`coverage(real_features, fake_features, k=5)` (`gan.prdc`, here too): for data without
known modes (images through Inception or any encoder, as NumPy features), precision,
recall, density and coverage of Naeem et al. (2020, "Reliable Fidelity and Diversity
Metrics for Generative Models"), built on k-nearest-neighbour balls.

`SampleMonitor(modes=None, std=None)`: both over a training loop. ``update(step,
samples, real=None)`` records `diagnose_samples`' measures with a known mixture and
`coverage`'s with real features; the traces, the ``onset`` of the final collapsed state,
``plot()``, ``to_xarray()``.

Bad input (not 2-D, empty, non-finite values, feature dims that differ, std ≤ 0, k not
in [1, number of points − 1]) is answered by a one-line ValueError naming the argument.
"""

from __future__ import annotations

import dataclasses
import numbers

import numpy as np

from vaecollapse.families import gan
from vaecollapse.families.gan.prdc import as_points, coverage, rows_per_chunk

STATE_NAMES = tuple(gan.STATE_NAMES[code] for code in sorted(gan.STATE_NAMES))
QUALITY_STDS = gan.HQ_STDS  # a sample within this many std of its nearest mode is high quality


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
    step = rows_per_chunk(modes.size)
    for start in range(0, n, step):
        chunk_index, chunk_distance = nearest_chunk(samples[start : start + step], modes)
        index[start : start + step] = chunk_index
        distance[start : start + step] = chunk_distance
    return index, distance


def reverse_kl(counts) -> float:
    """PacGAN's reverse KL, KL(p ‖ uniform) in nats, of a histogram ``counts [K]`` over
    K modes: ``Σ_{k: p_k > 0} p_k log(p_k K)`` with ``p = counts / Σ counts``; log K (a
    histogram on one mode, the most collapsed there is) when every count is 0."""
    counts = np.asarray(counts, np.float64)
    k = counts.shape[0]
    if not counts.any():
        return float(np.log(k))
    p = counts[counts > 0] / counts.sum()
    return max(float(np.sum(p * np.log(p * k))), 0.0)  # ≥ 0 (not −1e-17)


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
    samples = as_points("samples", samples, "N samples")
    modes = as_points("modes", modes, "K modes", dim=("samples", samples.shape[1]))
    k = modes.shape[0]
    std = _std(std, k)
    nearest, distance = nearest_modes(samples, modes)
    good = distance <= QUALITY_STDS * std[nearest]
    step = rows_per_chunk(k)
    counts = sum(
        mode_counts(nearest[i : i + step], good[i : i + step], k)
        for i in range(0, len(nearest), step)
    )
    captured = int((counts > 0).sum())
    return SampleReport(
        modes_captured=captured,
        num_modes=k,
        high_quality=float(good.mean()),
        reverse_kl=reverse_kl(counts),
        mode_counts=counts,
        num_samples=samples.shape[0],
        state=mode_state(captured, k),
    )


MODE_MEASURES = ("modes_captured", "high_quality", "reverse_kl", "state")
PRDC_MEASURES = ("precision", "recall", "density", "coverage")


class SampleMonitor:
    """Mode-collapse measures over a training loop: call `update` every few steps.

    With a known mixture (``modes [K, D]`` and ``std``, as `diagnose_samples` takes them)
    every update records `diagnose_samples`' ``modes_captured``, ``high_quality``,
    ``reverse_kl`` and ``state``; with ``real`` features (any data) it records
    `coverage`'s ``precision``, ``recall``, ``density`` and ``coverage`` (k = ``k``; NaN
    at an update without them). ``onset`` is the first update from which the state stays
    at the last update's state when that is partial or full (`gan.collapse_state`, the
    family's rule); None when the last update is healthy, and without modes.

    Args:
      modes: the mixture's K mode means ``[K, D]``, as `diagnose_samples` takes them; None
        for data without known modes (then every update needs ``real``).
      std: the mixture's std per coordinate (a float or ``[K]`` floats), with ``modes``.
      k: the neighbour that sets each ball's radius in `coverage` (Naeem et al.: 5).

    Raises:
      ValueError: one of modes and std without the other, bad modes or std (as
        `diagnose_samples`), k not an integer >= 1.
    """

    def __init__(self, modes=None, std=None, *, k: int = gan.PRDC_K):
        if (modes is None) != (std is None):
            given, missing = ("modes", "std") if std is None else ("std", "modes")
            raise ValueError(
                f"{missing}=None is invalid with {given} given: a known mixture needs both "
                "modes [K, D] and std (or neither, and real features at every update)"
            )
        if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k={k!r} is invalid: must be an integer >= 1")
        self.modes = None if modes is None else as_points("modes", modes, "K modes")
        if self.modes is not None:
            _std(std, self.modes.shape[0])
        self.std, self.k = std, int(k)
        self.steps: list[int] = []
        self.reports: list[SampleReport | None] = []  # None without modes
        self.rows: list[dict] = []  # each update's measures

    def update(self, step: int, samples, real=None) -> dict:
        """Measure the generated ``samples [N, D]`` at ``step`` (increasing), against
        ``real [M, D]`` features when given; keep and return the measures.

        Returns:
          This update's measures by name (`MODE_MEASURES` with modes, `PRDC_MEASURES`
          with ``real``).

        Raises:
          ValueError: step not an integer above the last, no ``real`` without modes,
            samples or real not ``[N, D]`` or non-finite, dims that differ from the
            modes' or the samples', fewer than k + 1 rows.
        """
        if not isinstance(step, numbers.Integral) or isinstance(step, bool):
            raise ValueError(f"step={step!r} is invalid: must be an integer")
        if self.steps and step <= self.steps[-1]:
            raise ValueError(f"step={step} is invalid: must be > the last step {self.steps[-1]}")
        if self.modes is None and real is None:
            raise ValueError(
                "real=None is invalid: this monitor has no modes, so every update needs real "
                "features (or create it with SampleMonitor(modes, std))"
            )
        dim = None if self.modes is None else ("modes", self.modes.shape[1])
        samples = as_points("samples", samples, "N samples", dim)
        if real is not None:
            real = as_points("real", real, "M real points", ("samples", samples.shape[1]))
            n, which = min((len(real), "real"), (len(samples), "samples"))
            if self.k > n - 1:
                raise ValueError(
                    f"k={self.k} is invalid for {which} of {n} rows: must be at most {n - 1} "
                    "(each point's k-th nearest other point sets its ball)"
                )
        report, row = None, {}
        if self.modes is not None:
            report = diagnose_samples(samples, self.modes, self.std)
            row = {name: getattr(report, name) for name in MODE_MEASURES}
        if real is not None:
            row |= coverage(real, samples, k=self.k)
        self.steps.append(int(step))
        self.reports.append(report)
        self.rows.append(row)
        return row

    @property
    def traces(self) -> dict[str, np.ndarray]:
        """Each recorded measure at every update: `MODE_MEASURES` with modes,
        `PRDC_MEASURES` once an update had real features."""
        names = MODE_MEASURES if self.modes is not None else ()
        if any("coverage" in row for row in self.rows):
            names += PRDC_MEASURES
        out = {name: np.asarray([row.get(name, np.nan) for row in self.rows]) for name in names}
        if "state" in out:
            out["state"] = out["state"].astype(str)
        return out

    @property
    def onset(self) -> int | None:
        """The first update's step from which the state stays at the last update's, when
        that is partial or full; None when it is healthy, before any update, or without
        modes."""
        if self.modes is None or not self.reports:
            return None
        k = self.modes.shape[0]
        codes = np.asarray([gan.collapse_state(r.modes_captured, k) for r in self.reports])
        if codes[-1] == gan.HEALTHY:
            return None
        stays = codes == codes[-1]
        first = 0 if stays.all() else len(stays) - int(np.argmin(stays[::-1]))
        return self.steps[first]

    def to_xarray(self):
        """The traces over ``step``; attributes ``onset`` (−1 when None), ``k`` and, with
        modes, ``num_modes``."""
        import xarray as xr

        attrs = {"onset": -1 if self.onset is None else self.onset, "k": self.k}
        if self.modes is not None:
            attrs["num_modes"] = self.modes.shape[0]
        return xr.Dataset(
            {name: ("step", values) for name, values in self.traces.items()},
            coords={"step": np.asarray(self.steps, np.int64)},
            attrs=attrs,
        )

    def plot(self, path=None):
        """Modes captured (with the healthy line), the high-quality fraction and the
        reverse KL with modes, precision / recall / density / coverage with real features,
        over the updates, the onset marked; saved to ``path`` when given. Returns the
        figure."""
        import matplotlib.pyplot as plt

        traces, steps, onset = self.traces, np.asarray(self.steps), self.onset
        panels = []
        if self.modes is not None:
            panels += [
                ("modes captured", ["modes_captured"]),
                ("high-quality fraction", ["high_quality"]),
                ("reverse KL (nats)", ["reverse_kl"]),
            ]
        if "coverage" in traces:
            panels.append(("Naeem et al. (2020)", list(PRDC_MEASURES)))
        panels = panels or [("no update yet", [])]
        fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 3.6), squeeze=False)
        axes = axes[0]
        for ax, (label, names) in zip(axes, panels, strict=True):
            for name in names:
                ax.plot(steps, traces[name], "o-", ms=3, label=name if len(names) > 1 else None)
            ax.set_xlabel("step")
            ax.set_ylabel(label)
            if onset is not None:
                ax.axvline(onset, color="red", lw=1, label=f"onset {onset}")
        if self.modes is not None:
            k = self.modes.shape[0]
            axes[0].axhline(k, color="k", ls=":", lw=1, label=f"K = {k}")
            axes[0].axhline(gan.healthy_modes(k), color="g", ls="--", lw=1, label="healthy")
        for ax in axes:
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=110)
        return fig
