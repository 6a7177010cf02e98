"""`vaecollapse.stats` against closed forms and an independent computation."""

from math import comb

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaecollapse import stats


def test_clopper_pearson_closed_forms():
    """At k = 0 the upper end solves (1 − p)^n = α/2; at k = n the lower end p^n = α/2."""
    for n in (1, 5, 20):
        assert stats.clopper_pearson(0, n) == pytest.approx((0.0, 1 - 0.025 ** (1 / n)))
        assert stats.clopper_pearson(n, n) == pytest.approx((0.025 ** (1 / n), 1.0))
    low, high = stats.clopper_pearson(5, 5)
    assert low == pytest.approx(0.4782, abs=1e-4) and high == 1.0  # the textbook 5/5


@given(st.integers(1, 40).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_clopper_pearson_tail_probabilities(kn):
    """The ends are where the binomial tails equal α/2 (Clopper & Pearson's definition)."""
    k, n = kn
    low, high = stats.clopper_pearson(k, n)
    tail = lambda p, lo, hi: sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(lo, hi))  # noqa: E731
    if k > 0:
        assert tail(low, k, n + 1) == pytest.approx(0.025, abs=1e-6)
    if k < n:
        assert tail(high, 0, k + 1) == pytest.approx(0.025, abs=1e-6)
    assert 0 <= low <= k / n <= high <= 1


def hypergeometric_greater(k, n, k0, n0):
    """P(X ≥ k), X the row's successes given the margins: a sum written out."""
    total, successes = n + n0, k + k0
    denom = comb(total, n)
    top = min(n, successes)
    return (
        sum(comb(successes, i) * comb(total - successes, n - i) for i in range(k, top + 1)) / denom
    )


def test_fisher_against_the_hypergeometric_sum():
    assert stats.fisher_greater(5, 5, 1, 5) == pytest.approx(hypergeometric_greater(5, 5, 1, 5))
    assert stats.fisher_greater(5, 5, 1, 5) == pytest.approx(0.0238, abs=1e-4)  # 5/5 vs 1/5
    assert stats.fisher_greater(4, 5, 1, 5) == pytest.approx(0.1032, abs=1e-4)  # 4/5 vs 1/5
    rng = np.random.default_rng(0)
    for _ in range(50):
        n, n0 = rng.integers(1, 12, 2)
        k, k0 = int(rng.integers(0, n + 1)), int(rng.integers(0, n0 + 1))
        expected = hypergeometric_greater(k, int(n), k0, int(n0))
        assert stats.fisher_greater(k, int(n), k0, int(n0)) == pytest.approx(expected)


def test_text_and_bad_counts():
    assert stats.k_of_n(5, 5, (1, 5)) == "5/5 (95 % CI 0.48–1.00), p = 0.0238 vs 1/5"
    with pytest.raises(ValueError, match=r"k=6 is invalid: must be an integer in \[0, 5\]"):
        stats.clopper_pearson(6, 5)
    with pytest.raises(ValueError, match=r"n=0 is invalid"):
        stats.clopper_pearson(0, 0)


def test_the_seed_claims_script_counts_and_tests(tmp_path):
    """benchmarks/seed_claims.py on a hand-built results.nc: 5 seeds × 2 variants."""
    import json
    import sys

    import xarray as xr

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "benchmarks"))
    import seed_claims

    modes = np.array([[18, 18, 19, 21, 25], [25, 25, 25, 25, 25]])
    data = xr.Dataset(
        {
            "modes_captured": (("variant", "seed"), modes),
            "diverged": (("variant", "seed"), np.zeros((2, 5), bool)),
            "mode_mass": (("variant", "seed", "mode"), np.ones((2, 5, 3))),
        },
        coords={"variant": ["gan", "r1"], "seed": np.arange(5)},
        attrs={
            "format_version": 1,
            "config": json.dumps({"family": "gan"}),
            "data_shape": [2],
        },
    )
    data.to_netcdf(tmp_path / "results.nc")
    rows = seed_claims.claim_table(str(tmp_path), "variant", "modes_captured >= 23", "gan")
    (gan, k0, n0, *_), (r1, k, n, low, high, p) = rows
    assert (gan, k0, n0, r1, k, n) == ("gan", 1, 5, "r1", 5, 5)
    assert (low, high) == pytest.approx(stats.clopper_pearson(5, 5))
    assert p == pytest.approx(0.0238, abs=1e-4)
    with pytest.raises(ValueError, match=r"--baseline='plain' is invalid: allowed"):
        seed_claims.claim_table(str(tmp_path), "variant", "modes_captured >= 23", "plain")


@given(st.integers(0, 30), st.integers(0, 30))
def test_sign_test_is_the_binomial_tail(worse, better):
    n = worse + better
    expected = 1.0 if n == 0 else sum(comb(n, i) for i in range(worse, n + 1)) / 2**n
    assert stats.sign_test(worse, better) == pytest.approx(expected, rel=1e-9)


def test_sign_test_closed_forms_and_bad_counts():
    assert stats.sign_test(5, 0) == pytest.approx(1 / 32)  # five of five pairs worse
    assert stats.sign_test(0, 5) == 1.0
    with pytest.raises(ValueError, match="counts >= 0"):
        stats.sign_test(-1, 2)


def test_compare_results_finds_identity_and_each_kind_of_difference(tmp_path):
    """`benchmarks/compare_results.py`, the check of a behaviour-preserving change."""
    import sys

    import xarray as xr

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "benchmarks"))
    import compare_results

    from vaecollapse import results

    base = xr.Dataset(
        {"kl": (("seed",), np.array([0.1, np.nan]))},
        coords={"seed": [0, 1]},
        attrs={
            "format_version": results.FORMAT_VERSION,
            "config": "{}",
            "wall_time_s": 1.0,
            "data_name": "digits",
            "data_shape": [8, 8, 1],
        },
    )
    for name, ds in {
        "a": base,
        "b": base.assign_attrs(wall_time_s=2.0, config='{"x": 1}'),
        "c": base.assign(kl=("seed", np.array([0.2, np.nan]))),
        "d": base.assign_attrs(data_name="other"),
        "e": base.assign(kl=("seed", np.array([0.1, np.nan], np.float32))),
    }.items():
        (tmp_path / name).mkdir()
        results.write(ds, tmp_path / name)
    assert compare_results.differences(tmp_path / "a", tmp_path / "b") == []
    assert compare_results.differences(tmp_path / "a", tmp_path / "c") == ["kl: values differ"]
    assert compare_results.differences(tmp_path / "a", tmp_path / "d") == [
        "attribute data_name differs"
    ]
    assert "float64" in compare_results.differences(tmp_path / "a", tmp_path / "e")[0]
