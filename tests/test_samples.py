"""Mode-collapse diagnostics (`gan.monitor`): `diagnose_samples` against a plain
loop implementation of the VEEGAN/PacGAN definitions on hand-built samples and under
hypothesis, `coverage` against the reference implementation (the ``prdc`` package) and
closed forms, chunking, one-line errors, the example, no JAX on import, and
`SampleMonitor` over a training loop (onset, traces equal to the API's, errors)."""

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vaecollapse
from vaecollapse.families.gan import monitor as samples_module
from vaecollapse.families.gan import prdc
from vaecollapse.families.gan.monitor import SampleMonitor, coverage, diagnose_samples

RING = np.stack([np.cos(2 * np.pi * np.arange(8) / 8), np.sin(2 * np.pi * np.arange(8) / 8)], 1)
GRID = np.array([[x, y] for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)], np.float64)


def veegan_reference(samples, modes, std) -> dict:
    """VEEGAN's and PacGAN's definitions, one sample at a time: a sample is high quality if
    its nearest mode (Euclidean) is within 3 std; a mode is captured if it is the nearest
    mode of a high-quality sample; PacGAN's reverse KL of the high-quality histogram."""
    k = len(modes)
    stds = [float(std)] * k if np.ndim(std) == 0 else [float(s) for s in std]
    counts = [0] * k
    good = 0
    for x in samples:
        dists = [
            float(np.sqrt(sum((a - b) ** 2 for a, b in zip(x, m, strict=True)))) for m in modes
        ]
        nearest = min(range(k), key=lambda i: dists[i])
        if dists[nearest] <= 3 * stds[nearest]:
            good += 1
            counts[nearest] += 1
    kl = np.log(k)  # no high-quality sample: as if all on one mode
    if good:
        kl = sum(c / good * np.log(c / good * k) for c in counts if c > 0)
    return {
        "modes_captured": sum(c > 0 for c in counts),
        "high_quality": good / len(samples),
        "reverse_kl": kl,
        "mode_counts": counts,
    }


def assert_matches_reference(report, samples, modes, std):
    ref = veegan_reference(samples, modes, std)
    assert report.modes_captured == ref["modes_captured"]
    assert report.high_quality == pytest.approx(ref["high_quality"], abs=1e-12)
    assert report.mode_counts.tolist() == ref["mode_counts"]
    np.testing.assert_allclose(report.reverse_kl, ref["reverse_kl"], rtol=1e-10, atol=1e-12)


def around(mode, radii_in_std, std, rng) -> np.ndarray:
    """Points at the given distances (in std) from ``mode``, in random directions."""
    directions = rng.standard_normal((len(radii_in_std), len(mode)))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return mode + std * np.asarray(radii_in_std)[:, None] * directions


def test_five_of_eight_ring_modes_plus_outliers():
    """20 samples within 2.9 std of each of modes 0–4, 10 at the centre (1 from every
    mode) and 5 at 3.1 std of mode 6: 5 captured, 100/115 high quality, log(8/5)."""
    rng, std = np.random.default_rng(0), 0.01
    x = np.concatenate(
        [around(RING[m], rng.uniform(0, 2.9, 20), std, rng) for m in range(5)]
        + [np.zeros((10, 2)), around(RING[6], [3.1] * 5, std, rng)]
    )
    x = x[rng.permutation(len(x))]
    report = diagnose_samples(x, RING, std)
    assert report.modes_captured == 5 and report.num_modes == 8 and report.num_samples == 115
    assert report.high_quality == pytest.approx(100 / 115, abs=1e-15)
    assert report.reverse_kl == pytest.approx(np.log(8 / 5), rel=1e-12)
    assert report.mode_counts.tolist() == [20] * 5 + [0] * 3
    assert report.state == "partial"
    assert_matches_reference(report, x, RING, std)


def test_uneven_ring_and_the_states():
    rng, std = np.random.default_rng(1), 0.01
    one = around(RING[3], rng.uniform(0, 2, 50), std, rng)
    report = diagnose_samples(one, RING, std)
    assert report.modes_captured == 1 and report.state == "full"
    assert report.reverse_kl == pytest.approx(np.log(8), rel=1e-12)
    counts = [1, 2, 3, 4, 5, 6, 7, 8]
    x = np.concatenate(
        [around(RING[m], rng.uniform(0, 2.9, c), std, rng) for m, c in enumerate(counts)]
    )
    report = diagnose_samples(x, RING, std)
    assert report.state == "healthy" and report.high_quality == 1
    p = np.array(counts) / 36
    assert report.reverse_kl == pytest.approx(np.sum(p * np.log(8 * p)), rel=1e-12)
    assert_matches_reference(report, x, RING, std)
    two = np.concatenate([one, around(RING[5], [1.0], std, rng)])
    assert diagnose_samples(two, RING, std).state == "partial"
    nowhere = diagnose_samples(np.full((7, 2), 3.0), RING, std)
    assert nowhere.modes_captured == 0 and nowhere.high_quality == 0
    assert nowhere.reverse_kl == pytest.approx(np.log(8)) and nowhere.state == "full"
    assert "(no high-quality sample: log K)" in str(nowhere)
    assert diagnose_samples([[0.0]], [[0.1]], 1.0).state == "healthy"  # K = 1
    grid = np.concatenate([np.tile(GRID[m], (4, 1)) for m in range(23)])
    assert diagnose_samples(grid, GRID, 0.05).state == "healthy"  # 23 of 25
    assert diagnose_samples(grid[:-4], GRID, 0.05).state == "partial"  # 22 of 25


def test_grid_of_25_against_the_reference():
    """PacGAN's grid (std 0.05): 23 modes with samples, some just inside and just outside
    3 std, plus samples between modes."""
    rng, std = np.random.default_rng(2), 0.05
    parts = [around(GRID[m], rng.uniform(0, 6, rng.integers(1, 30)), std, rng) for m in range(23)]
    between = rng.uniform(-5, 5, (300, 2))
    x = np.concatenate([*parts, between])
    report = diagnose_samples(x, GRID, std)
    assert_matches_reference(report, x, GRID, std)
    assert 20 <= report.modes_captured <= 23 and 0 < report.high_quality < 0.5
    # the GAN family's rule: healthy from 23 of 25 (90 %), partial below
    assert report.state == ("healthy" if report.modes_captured >= 23 else "partial")


def test_per_mode_std():
    rng = np.random.default_rng(3)
    std = np.linspace(0.01, 0.08, 8)
    x = np.concatenate([around(RING[m], [2.0, 5.0], 0.02, rng) for m in range(8)])
    report = diagnose_samples(x, RING, std)
    assert_matches_reference(report, x, RING, std)
    assert report.modes_captured == 7  # 2 std of 0.02 is past 3 std of mode 0's 0.01
    assert report.mode_counts.tolist() == [0, 1, 1, 2, 2, 2, 2, 2]  # 3 std: 0.03, 0.06, …


def samples_and_modes(seed: int, n: int, k: int, d: int):
    """Random modes, a std, and samples at random distances (0–2.9 or 3.1–8 std) from
    random modes, plus uniform scatter."""
    rng = np.random.default_rng(seed)
    modes = rng.uniform(-3, 3, (k, d))
    std = float(rng.uniform(0.05, 0.3))
    radii = np.where(rng.random(n) < 0.7, rng.uniform(0, 2.9, n), rng.uniform(3.1, 8, n))
    which = rng.integers(0, k, n)
    x = np.stack([around(modes[w], [r], std, rng)[0] for w, r in zip(which, radii, strict=True)])
    x = np.concatenate([x, rng.uniform(-4, 4, (n // 5, d))])
    return x, modes, std, rng


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 60),
    k=st.integers(1, 10),
    d=st.integers(1, 4),
    scale=st.floats(1e-3, 1e3),
)
def test_permutation_and_scale_invariance(seed, n, k, d, scale):
    x, modes, std, rng = samples_and_modes(seed, n, k, d)
    base = diagnose_samples(x, modes, std)
    assert_matches_reference(base, x, modes, std)
    perm_x, perm_m = rng.permutation(len(x)), rng.permutation(k)
    permuted = diagnose_samples(x[perm_x], modes[perm_m], std)
    scaled = diagnose_samples(scale * x, scale * modes, scale * std)
    np.testing.assert_array_equal(permuted.mode_counts, base.mode_counts[perm_m])
    np.testing.assert_array_equal(scaled.mode_counts, base.mode_counts)
    for other in (permuted, scaled):
        assert other.modes_captured == base.modes_captured and other.state == base.state
        assert other.high_quality == base.high_quality
        np.testing.assert_allclose(other.reverse_kl, base.reverse_kl, rtol=1e-10, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 60),
    k=st.integers(1, 10),
    d=st.integers(1, 4),
    far=st.integers(1, 50),
)
def test_far_outliers_lower_high_quality_only(seed, n, k, d, far):
    x, modes, std, rng = samples_and_modes(seed, n, k, d)
    base = diagnose_samples(x, modes, std)
    outliers = rng.standard_normal((far, d))
    outliers = 1e3 * outliers / np.linalg.norm(outliers, axis=1, keepdims=True)
    more = diagnose_samples(np.concatenate([x, outliers]), modes, std)
    assert more.high_quality == pytest.approx(base.high_quality * len(x) / (len(x) + far))
    np.testing.assert_array_equal(more.mode_counts, base.mode_counts)
    assert more.modes_captured == base.modes_captured and more.state == base.state
    np.testing.assert_array_equal(more.reverse_kl, base.reverse_kl)


def test_chunks_change_nothing_and_stay_small(monkeypatch):
    """100,000 samples over the 25-mode grid: the same answer in chunks of 7 rows as in
    the default chunks, and the peak allocation stays far below one [N, K, D] array."""
    rng = np.random.default_rng(4)
    x = GRID[rng.integers(0, 20, 100_000)] + 0.05 * rng.standard_normal((100_000, 2))
    tracemalloc.start()
    report = diagnose_samples(x, GRID, 0.05)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 0.5 * x.shape[0] * 25 * 2 * 8  # [N, K, D] float64 would be 40 MB
    assert report.modes_captured == 20 and 0.98 < report.high_quality < 0.995
    small = x[:3000]
    default = diagnose_samples(small, GRID, 0.05)
    real, fake = rng.standard_normal((120, 6)), rng.standard_normal((90, 6)) + 0.3
    full = coverage(real, fake, k=4)
    monkeypatch.setattr(prdc, "CHUNK_ELEMENTS", 7 * 25 * 2)
    chunked = diagnose_samples(small, GRID, 0.05)
    np.testing.assert_array_equal(chunked.mode_counts, default.mode_counts)
    assert chunked.high_quality == default.high_quality
    assert coverage(real, fake, k=4) == full


def test_report_string_and_dict():
    x = np.concatenate([RING[:5].repeat(3, axis=0), [[0.0, 0.0]]])
    report = diagnose_samples(x, RING, 0.01)
    out = report.to_dict()
    assert {"modes_captured", "high_quality", "reverse_kl", "state"} <= set(out)
    assert out["mode_counts"] == [3] * 5 + [0] * 3 and out["num_modes"] == 8
    json.dumps(out)
    text = str(report)
    assert "state:          partial" in text and "modes captured: 5 of 8" in text
    assert "high quality:   93.8 % of 16 samples" in text and "reverse KL:     0.4700" in text


# coverage: precision, recall, density, coverage (Naeem et al. 2020)


@pytest.mark.parametrize(
    "n, m, d, k, shift",
    [(200, 150, 5, 1, 0.0), (200, 150, 5, 3, 0.5), (300, 300, 64, 5, 0.2), (80, 250, 2, 10, 1.0)],
)
def test_coverage_agrees_with_prdc(n, m, d, k, shift, capsys):
    """Random real and fake sets (the fakes shifted and rescaled): the reference
    implementation's numbers, to float precision (max difference 0 in practice: counts)."""
    prdc = pytest.importorskip("prdc")
    rng = np.random.default_rng(n + m + d + k)
    real = rng.standard_normal((n, d))
    fake = 1.3 * rng.standard_normal((m, d)) + shift
    ours = coverage(real, fake, k=k)
    theirs = prdc.compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    capsys.readouterr()  # prdc prints the set sizes
    assert set(ours) == {"precision", "recall", "density", "coverage"}
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(float(value), abs=1e-12), name
        assert isinstance(ours[name], float)


def test_coverage_closed_forms():
    rng = np.random.default_rng(5)
    real = rng.standard_normal((100, 3))
    same = coverage(real, real, k=5)
    assert same["precision"] == same["recall"] == same["coverage"] == 1.0
    assert same["density"] >= 1 / 5  # each point lies at least in its own ball
    far = coverage(real, real + 1e3, k=5)
    assert far == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}
    half = coverage(real, np.concatenate([real[:50], real[:50] + 1e3]), k=3)
    assert half["precision"] == 0.5  # the shifted half is in no real ball


DS, COV = diagnose_samples, coverage
Z2, Z6, Z9 = np.zeros((4, 2)), np.zeros((6, 2)), np.zeros((9, 2))
BAD_INPUT = [
    (DS, (np.zeros(5), RING, 0.1), r"samples has shape \(5,\): expected \[N samples, D"),
    (DS, (np.zeros((0, 2)), RING, 0.1), r"samples has shape \(0, 2\): expected at"),
    (DS, (np.zeros((4, 3)), RING, 0.1), r"modes has 2 dims but samples has 3: they"),
    (DS, (Z2, RING[0], 0.1), r"modes has shape \(2,\): expected \[K modes, D dims\]"),
    (DS, ([[0.0, np.nan]], RING, 0.1), r"samples has 1 non-finite values \(first at \[0, 1"),
    (DS, (Z2, RING + np.array([0, np.inf]), 0.1), r"modes has 8 non-finite values"),
    (DS, (Z2, RING, 0.0), r"std=0.0 is invalid: must be a float > 0, or \[8\] floats"),
    (DS, (Z2, RING, -1), r"std=-1.0 is invalid"),
    (DS, (Z2, RING, np.nan), r"std=nan is invalid"),
    (DS, (Z2, RING, np.ones(3)), r"std has shape \(3,\): must be a float > 0, or \[8\]"),
    (DS, (Z2, RING, "wide"), r"std='wide' is invalid"),
    (COV, (np.zeros((5, 2)), np.zeros((6, 3))), r"fake_features has 3 dims but real_features"),
    (COV, (np.zeros((5, 2, 1)), Z2), r"real_features has shape \(5, 2, 1\): expected \[N real"),
    (COV, (np.zeros((5, 2)), Z6, 5), r"k=5 is invalid: must be an integer in \[1, 4\] \(real_"),
    (COV, (Z9, Z6, 0), r"k=0 is invalid: must be an integer in \[1, 5\] \(fake_"),
    (COV, (Z9, Z6, 2.0), r"k=2.0 is invalid"),
    (COV, (Z9, np.zeros((1, 2))), r"fake_features has 1 row: need >= 2"),
    (COV, (Z9, [[np.inf, 0]] * 3), r"fake_features has 3 non-finite values \(first at \[0, 0"),
]  # fmt: skip


@pytest.mark.parametrize("function, args, match", BAD_INPUT)
def test_bad_input_is_named_in_one_line(function, args, match):
    with pytest.raises(ValueError, match=match) as error:
        function(*args)
    assert "\n" not in str(error.value)


def test_public_api_example_and_no_jax_on_import():
    assert vaecollapse.diagnose_samples is samples_module.diagnose_samples
    assert vaecollapse.coverage is samples_module.coverage
    code = "import sys, vaecollapse.families.gan.monitor; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
    out = subprocess.run(
        [sys.executable, "examples/samples_check.py"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert "state:          partial" in out.stdout and "modes captured: 5 of 8" in out.stdout
    assert "reverse KL:     0.470" in out.stdout and "'coverage': 0.603" in out.stdout


# SampleMonitor: the measures over a training loop


def ring_run(modes_used, seed=0, n=400):
    """One generator's samples per update: ``n`` points spread evenly over the first
    ``modes_used[t]`` ring modes (std 0.01), and real points from all 8 modes."""
    rng = np.random.default_rng(seed)
    real = RING[np.arange(n) % 8] + 0.01 * rng.standard_normal((n, 2))
    runs = [RING[np.arange(n) % m] + 0.01 * rng.standard_normal((n, 2)) for m in modes_used]
    return runs, real


def monitored(modes_used, with_real=True):
    runs, real = ring_run(modes_used)
    m = SampleMonitor(RING, 0.01)
    for i, samples in enumerate(runs):
        m.update(100 * i, samples, real if with_real else None)
    return m, runs, real


def test_monitor_onset_of_a_run_from_eight_modes_to_one(tmp_path):
    """8 → 6 → 3 → 1 modes: healthy, partial, full; the onset is the first update on one
    mode (step 500), read from the traces, the xarray and the figure."""
    m, _, _ = monitored([8, 8, 8, 6, 3, 1, 1, 1])
    assert m.traces["modes_captured"].tolist() == [8, 8, 8, 6, 3, 1, 1, 1]
    assert m.traces["state"].tolist() == ["healthy"] * 3 + ["partial"] * 2 + ["full"] * 3
    assert m.onset == 500
    assert m.traces["coverage"][0] > 0.9 and m.traces["coverage"][-1] < 0.2
    ds = m.to_xarray()
    assert ds.attrs["onset"] == 500 and ds.attrs["num_modes"] == 8 and ds.attrs["k"] == 5
    assert ds.step.values.tolist() == list(range(0, 800, 100))
    assert set(ds.data_vars) == {*samples_module.MODE_MEASURES, *samples_module.PRDC_MEASURES}
    assert all(ds[name].dims == ("step",) for name in ds.data_vars)
    fig = m.plot(tmp_path / "samples_monitor.png")
    assert (tmp_path / "samples_monitor.png").stat().st_size > 0 and len(fig.axes) == 4
    for ax in fig.axes:  # the onset marked on every panel
        assert any(list(line.get_xdata()) == [500, 500] for line in ax.get_lines())


def test_monitor_onset_is_the_final_states_stretch():
    """Full, then partial to the end: the onset is where the final state (partial) began,
    not the first collapsed update."""
    m, _, _ = monitored([8, 8, 1, 1, 5, 5], with_real=False)
    assert m.traces["state"].tolist() == ["healthy"] * 2 + ["full"] * 2 + ["partial"] * 2
    assert m.onset == 400
    collapsed_from_the_start, _, _ = monitored([1, 1, 1], with_real=False)
    assert collapsed_from_the_start.onset == 0


@pytest.mark.parametrize("modes_used", [[8, 8, 8, 8], [8, 6, 3, 8], []])
def test_monitor_ending_healthy_has_no_onset(modes_used, tmp_path):
    m, _, _ = monitored(modes_used)
    assert m.onset is None and m.to_xarray().attrs["onset"] == -1
    assert m.to_xarray().sizes["step"] == len(modes_used)
    m.plot(tmp_path / "healthy.png")


def test_monitor_traces_are_the_apis_on_each_update():
    """Every recorded value is what `diagnose_samples` and `coverage` return on the same
    samples; an update without real features records NaN for coverage's measures."""
    m, runs, real = monitored([8, 7, 4, 2, 1])
    for t, samples in enumerate(runs):
        report, prdc_ = diagnose_samples(samples, RING, 0.01), coverage(real, samples, k=5)
        assert m.traces["modes_captured"][t] == report.modes_captured
        assert m.traces["high_quality"][t] == report.high_quality
        assert m.traces["reverse_kl"][t] == report.reverse_kl
        assert m.traces["state"][t] == report.state
        for name in samples_module.PRDC_MEASURES:
            assert m.traces[name][t] == prdc_[name], name
        np.testing.assert_array_equal(m.reports[t].mode_counts, report.mode_counts)
    row = m.update(500, runs[0])  # no real features at this update
    assert row == {name: getattr(diagnose_samples(runs[0], RING, 0.01), name)
                   for name in samples_module.MODE_MEASURES}  # fmt: skip
    assert np.isnan(m.traces["coverage"][-1]) and m.traces["modes_captured"][-1] == 8


def test_monitor_without_modes_records_coverage_only(tmp_path):
    runs, real = ring_run([8, 2])
    m = SampleMonitor(k=3)
    for step, samples in zip((10, 20), runs, strict=True):
        m.update(step, samples, real)
    assert set(m.traces) == set(samples_module.PRDC_MEASURES)
    assert m.traces["precision"].tolist() == [coverage(real, x, k=3)["precision"] for x in runs]
    assert m.onset is None and m.to_xarray().attrs["onset"] == -1
    assert len(m.plot(tmp_path / "no_modes.png").axes) == 1
    assert vaecollapse.SampleMonitor is SampleMonitor


Z4 = np.zeros((4, 2))
MONITOR_ERRORS = [
    ((RING, None), (), r"^std=None is invalid with modes given: a known mixture needs both"),
    ((None, 0.01), (), r"^modes=None is invalid with std given"),
    ((RING, 0.0), (), r"^std=0.0 is invalid: must be a float > 0, or \[8\] floats"),
    ((RING[0], 0.01), (), r"^modes has shape \(2,\): expected \[K modes, D dims\]$"),
    ((None, None), (0, Z4), r"^real=None is invalid: this monitor has no modes, so every"),
    ((RING, 0.01), (0, np.zeros(5)), r"^samples has shape \(5,\): expected \[N samples, D"),
    ((RING, 0.01), (0, np.zeros((4, 3))), r"^samples has 3 dims but modes has 2: they must"),
    ((RING, 0.01), (0, Z4, np.zeros((6, 3))), r"^real has 3 dims but samples has 2: they"),
    ((RING, 0.01), (0, [[np.nan, 0.0]]), r"^samples has 1 non-finite values \(first at"),
    ((RING, 0.01), (1.5, Z4), r"^step=1.5 is invalid: must be an integer$"),
    ((None, None), (0, Z4, np.zeros((9, 2))), r"^k=5 is invalid for samples of 4 rows: must be"),
]  # fmt: skip


@pytest.mark.parametrize("made_with, update_with, match", MONITOR_ERRORS)
def test_monitor_bad_input_is_named_in_one_line(made_with, update_with, match):
    with pytest.raises(ValueError, match=match) as error:
        SampleMonitor(*made_with).update(*update_with)
    assert "\n" not in str(error.value)


def test_monitor_refuses_a_step_that_does_not_increase_and_keeps_nothing_refused():
    m = SampleMonitor(RING, 0.01)
    m.update(5, RING)
    with pytest.raises(ValueError, match=r"^step=5 is invalid: must be > the last step 5$"):
        m.update(5, RING)
    with pytest.raises(ValueError, match=r"^samples has 3 dims"):
        m.update(6, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"^k=0 is invalid: must be an integer >= 1$"):
        SampleMonitor(k=0)
    assert m.steps == [5] and len(m.reports) == 1 and m.traces["modes_captured"].tolist() == [8]
