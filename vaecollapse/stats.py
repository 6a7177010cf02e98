"""Exact statistics for "k of n seeds" claims: a Clopper–Pearson interval for one
proportion, Fisher's exact test of one row against a baseline row, and the exact sign
test of paired runs (a run against its own control: the same seed without the change).

NumPy/SciPy only (reading side). Used by the docs' tables (`docs/gan.md`, `docs/ssl.md`):
every claim of the form "k of n seeds" carries one of them.
"""

from __future__ import annotations

from typing import NamedTuple

from scipy import stats as _scipy


class Interval(NamedTuple):
    low: float
    high: float


def _counts(k: int, n: int, name: str = "k") -> None:
    if not (isinstance(n, int) and n >= 1):
        raise ValueError(f"n={n!r} is invalid: must be an integer >= 1")
    if not (isinstance(k, int) and 0 <= k <= n):
        raise ValueError(f"{name}={k!r} is invalid: must be an integer in [0, {n}]")


def clopper_pearson(k: int, n: int, level: float = 0.95) -> Interval:
    """The exact (Clopper–Pearson) two-sided ``level`` interval for a proportion after
    ``k`` successes in ``n`` trials: the Beta quantiles ``B(α/2; k, n − k + 1)`` and
    ``B(1 − α/2; k + 1, n − k)``, 0 at k = 0 and 1 at k = n."""
    _counts(k, n)
    if not 0 < level < 1:
        raise ValueError(f"level={level!r} is invalid: must be in (0, 1)")
    alpha = 1 - level
    low = 0.0 if k == 0 else float(_scipy.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(_scipy.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return Interval(low, high)


def fisher_greater(k: int, n: int, k0: int, n0: int) -> float:
    """One-sided p-value of Fisher's exact test that a row with ``k`` of ``n`` successes
    has a higher success rate than a baseline row with ``k0`` of ``n0``: the
    hypergeometric probability of ``k`` or more successes in the row given the margins."""
    _counts(k, n)
    _counts(k0, n0, "k0")
    table = [[k, n - k], [k0, n0 - k0]]
    return float(_scipy.fisher_exact(table, alternative="greater").pvalue)


def sign_test(worse: int, better: int) -> float:
    """One-sided p-value of the exact sign test that paired runs end worse than their
    controls more often than better: with ``worse`` and ``better`` pairs (ties dropped),
    P(X ≥ worse) for X ~ Binomial(worse + better, ½); 1 when no pair differs."""
    if not all(isinstance(v, int) and v >= 0 for v in (worse, better)):
        raise ValueError(f"worse={worse!r}, better={better!r} are invalid: counts >= 0")
    if worse + better == 0:
        return 1.0
    return float(_scipy.binomtest(worse, worse + better, 0.5, alternative="greater").pvalue)


def k_of_n(k: int, n: int, baseline: tuple[int, int] | None = None) -> str:
    """``"k/n (95 % CI a–b)"``, with ``", Fisher p = x vs k0/n0"`` against a baseline."""
    low, high = clopper_pearson(k, n)
    text = f"{k}/{n} (95 % CI {low:.2f}–{high:.2f})"
    if baseline is not None:
        text += f", p = {fisher_greater(k, n, *baseline):.3g} vs {baseline[0]}/{baseline[1]}"
    return text
