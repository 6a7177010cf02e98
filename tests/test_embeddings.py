"""Representation-collapse diagnostics (`ssl.monitor`): each measure against an
independent NumPy computation or a closed form on synthetic embeddings, invariances, the
states, one-line errors, the monitor's onset, and no JAX on import."""

import json
import subprocess
import sys

import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vaecollapse
from vaecollapse.families.ssl import monitor as embeddings
from vaecollapse.families.ssl.monitor import EmbeddingMonitor, diagnose_embeddings


def gaussian(n: int, d: int, rank: int | None = None, seed: int = 0) -> np.ndarray:
    """Isotropic Gaussian embeddings ``[n, d]``, confined to a random ``rank``-dim subspace."""
    rng = np.random.default_rng(seed)
    if rank is None:
        return rng.standard_normal((n, d))
    basis = np.linalg.qr(rng.standard_normal((d, rank)))[0]  # [d, rank] orthonormal
    return rng.standard_normal((n, rank)) @ basis.T


def lightly_std_of_l2_normalized(z: np.ndarray) -> float:
    """A NumPy re-implementation of lightly's ``std_of_l2_normalized``
    (``lightly/utils/debug.py``): rows normalised as ``torch.nn.functional.normalize``
    does (divided by max(‖z_i‖, 1e-12)), then ``torch.std`` (unbiased) over rows, averaged
    over dims. It is ≈ 1/√d when healthy; ours is the same number × √d (≈ 1)."""
    out = []
    for column in (z / np.maximum(np.sqrt((z**2).sum(1)), 1e-12)[:, None]).T:
        out.append(np.sqrt(((column - column.mean()) ** 2).sum() / (len(column) - 1)))
    return float(np.mean(out))


def rankme_reference(z: np.ndarray) -> float:
    """RankMe from its definition, with σ_k = √eig(ZᵀZ) instead of an SVD of Z (zero σ_k
    come out ~1e-8 σ_1, not 0: agreement to ~1e-5)."""
    sigma = np.sqrt(np.clip(np.linalg.eigvalsh(z.T @ z), 0, None))
    p = sigma / sigma.sum() + 1e-7
    return float(np.exp(-sum(pk * np.log(pk) for pk in p)))


def test_std_normalized_is_lightlys_value_times_sqrt_d():
    """Ours = lightly's ``std_of_l2_normalized`` × √d, on anisotropic, offset embeddings."""
    rng = np.random.default_rng(1)
    z = rng.standard_normal((300, 24)) * np.linspace(0.1, 3, 24) + 0.7
    report = diagnose_embeddings(z)
    assert report.std_normalized == pytest.approx(
        lightly_std_of_l2_normalized(z) * np.sqrt(24), rel=1e-10
    )


@pytest.mark.parametrize("d", [4, 32, 64])
def test_isotropic_gaussian_std_tends_to_one(d):
    """Each coordinate of a uniform unit vector has variance 1/d: std × √d → 1 as N grows."""
    errors = [
        abs(diagnose_embeddings(gaussian(n, d, seed=n)).std_normalized - 1) for n in (64, 2048)
    ]
    assert errors[1] < 0.01 and errors[1] < errors[0] + 0.005


def test_healthy_isotropic_embeddings():
    """RankMe of an isotropic sample: ≈ 0.8 d at N = d (quarter-circle law), → d as N/d
    grows; the thresholds (0.25 · min(N, d), spectrum floor 1e-3) are well clear."""
    for n, low in ((32, 0.75), (64, 0.88), (512, 0.98)):
        report = diagnose_embeddings(gaussian(n, 32, seed=n))
        assert low * 32 < report.rankme <= 32
    report = diagnose_embeddings(gaussian(2000, 32))
    assert report.state == "healthy" and report.probe_accuracy is None
    assert report.spectrum[0] == 1 and report.spectrum.min() > 0.5
    assert np.all(np.diff(report.spectrum) <= 1e-12)


def test_constant_embeddings_are_complete_collapse():
    z = np.tile(np.random.default_rng(0).standard_normal(16), (100, 1))
    report = diagnose_embeddings(z, labels=np.arange(100) % 2)
    assert report.std_normalized < 1e-12 and report.state == "complete"
    assert report.rankme == pytest.approx(1, abs=1e-4)
    np.testing.assert_array_equal(report.spectrum, np.zeros(16))
    assert diagnose_embeddings(np.zeros((5, 3))).rankme == 0  # no direction at all


def test_near_constant_embeddings_read_their_relative_spread():
    """A vector c plus isotropic noise of relative size s: std_normalized ≈ s (the rms
    angle), while RankMe counts the noise's directions (why it is not the complete test)."""
    rng = np.random.default_rng(0)
    c = rng.standard_normal(32)
    c /= np.linalg.norm(c)
    for s, state in ((0.03, "complete"), (0.09, "complete"), (0.3, "healthy")):
        report = diagnose_embeddings(c + s / np.sqrt(32) * rng.standard_normal((2000, 32)))
        assert report.std_normalized == pytest.approx(s, rel=0.06) and report.state == state
        assert report.rankme > 2


@settings(max_examples=15, deadline=None)
@given(rank=st.integers(1, 12), seed=st.integers(0, 1000))
def test_rank_r_embeddings_are_dimensional(rank, seed):
    z = gaussian(1000, 16, rank, seed)
    report = diagnose_embeddings(z)
    assert report.rankme == pytest.approx(rank, rel=0.03)
    assert report.rankme == pytest.approx(rankme_reference(z), abs=1e-4)  # eigvalsh: ~1e-8 σ_1
    assert report.spectrum[rank - 1] > 0.5 and np.all(report.spectrum[rank:] < 1e-10)
    assert report.state == "dimensional"


def test_spectrum_is_the_centred_covariances_root_eigenvalues():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((500, 8)) @ rng.standard_normal((8, 8)) + 5.0
    eig = np.sort(np.linalg.eigvalsh(np.cov(z, rowvar=False)))[::-1]
    np.testing.assert_allclose(diagnose_embeddings(z).spectrum, np.sqrt(eig / eig[0]), rtol=1e-8)


def test_soft_dimensional_collapse_is_caught_by_rankme():
    """4 strong directions and 20 at 1 %: no direction below the floor, but RankMe ≈ 5.2
    (< d/4); per-dim scales 0.8^k (RankMe ≈ 0.38 d) stay healthy."""
    z = gaussian(4000, 24) * np.r_[np.ones(4), np.full(20, 0.01)]
    report = diagnose_embeddings(z)
    assert report.spectrum.min() > 1e-3 and report.rankme < 0.25 * 24
    assert report.state == "dimensional"
    assert diagnose_embeddings(gaussian(4000, 24) * 0.8 ** np.arange(24)).state == "healthy"


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(3, 60),
    d=st.integers(1, 10),
    scale=st.floats(1e-3, 1e3),
    seed=st.integers(0, 10_000),
)
def test_invariant_to_scale_and_row_order(n, d, scale, seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, d)) * rng.uniform(0, 2, d) + rng.uniform(-1, 1, d)
    labels = rng.integers(0, 3, n)
    perm = rng.permutation(n)
    base = diagnose_embeddings(z, labels)
    scaled, permuted = (
        diagnose_embeddings(scale * z, labels),
        diagnose_embeddings(z[perm], labels[perm]),
    )
    for other in (scaled, permuted):
        assert other.std_normalized == pytest.approx(base.std_normalized, rel=1e-9, abs=1e-12)
        assert other.rankme == pytest.approx(base.rankme, rel=1e-9)
        np.testing.assert_allclose(other.spectrum, base.spectrum, rtol=1e-7, atol=1e-9)
        assert other.probe_accuracy == base.probe_accuracy and other.state == base.state


def test_probe_separates_clusters_and_is_chance_on_random_labels():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 4, 2000)
    z = 5.0 * np.eye(16)[labels] + 0.3 * rng.standard_normal((2000, 16))
    assert diagnose_embeddings(z, labels).probe_accuracy == 1.0
    assert diagnose_embeddings(z, [f"class {k}" for k in labels]).probe_accuracy == 1.0
    random = diagnose_embeddings(z, rng.integers(0, 4, 2000)).probe_accuracy
    assert abs(random - 0.25) < 0.06


def test_report_string_and_dict():
    report = diagnose_embeddings(gaussian(400, 12, rank=3), labels=np.arange(400) % 3)
    assert set(report.to_dict()) == {
        "std_normalized",
        "rankme",
        "spectrum",
        "probe_accuracy",
        "state",
    }
    assert isinstance(report.to_dict()["spectrum"], list)
    json.dumps(report.to_dict())
    text = str(report)
    assert "state:          dimensional" in text and "9 of 12 below 0.001" in text


@pytest.mark.parametrize(
    "z, labels, match",
    [
        (np.zeros(5), None, r"z has shape \(5,\): expected \[N inputs, d embedding dims\]"),
        (np.zeros((2, 3, 4)), None, r"z has shape \(2, 3, 4\): expected \[N inputs"),
        (np.zeros((1, 4)), None, r"z has 1 input: need >= 2"),
        (
            np.array([[0.0, np.inf], [0, np.nan]]),
            None,
            r"z has 2 non-finite values \(first at \[0, 1\]\)",
        ),
        (np.zeros((5, 2)), np.zeros(4), r"labels has shape \(4,\): expected \[5\], one per row"),
        (np.zeros((5, 2)), np.zeros((5, 1)), r"labels has shape \(5, 1\): expected \[5\]"),
        (
            np.zeros((3, 2)),
            np.array([0, np.nan, 1]),
            r"labels has 1 non-finite values \(first at \[1\]\)",
        ),
    ],
)
def test_bad_input_is_named_in_one_line(z, labels, match):
    with pytest.raises(ValueError, match=match) as error:
        diagnose_embeddings(z, labels)
    assert "\n" not in str(error.value)


def test_monitor_finds_the_onset_and_keeps_the_traces(tmp_path):
    """Healthy, then rank 2, then a constant vector plus 1 % noise: the onset is the first
    step of the last stretch below std_normalized 0.1, and a recovery resets it."""
    rng = np.random.default_rng(0)
    c = rng.standard_normal(8)
    m = EmbeddingMonitor(8)
    states = []
    for i, step in enumerate(range(100, 1100, 100)):
        if i < 3:
            z = gaussian(256, 8, seed=i)
        elif i < 6:
            z = gaussian(256, 8, rank=2, seed=i)
        else:
            z = c + 0.01 * rng.standard_normal((256, 8))
        states.append(m.update(step, z, labels=None if i % 2 else np.arange(256) % 2).state)
    assert states == ["healthy"] * 3 + ["dimensional"] * 3 + ["complete"] * 4
    assert m.onset == 700
    np.testing.assert_array_equal(np.isnan(m.trace("probe_accuracy")), [0, 1] * 5)
    ds = m.to_xarray()
    assert ds.spectrum.dims == ("step", "rank") and ds.sizes["step"] == 10
    assert ds.attrs["onset"] == 700 and list(ds.state.values[-4:]) == ["complete"] * 4
    assert m.collapse_onset == 400 and ds.attrs["collapse_onset"] == 400
    m.plot(tmp_path / "embeddings.png")
    assert (tmp_path / "embeddings.png").stat().st_size > 1000
    m.update(1100, gaussian(256, 8))
    assert m.onset is None and m.to_xarray().attrs["onset"] == -1
    assert m.collapse_onset is None and m.to_xarray().attrs["collapse_onset"] == -1
    m.update(1200, np.ones((4, 8)))
    assert m.onset == 1200
    with pytest.raises(ValueError, match=r"z has 3 embedding dims; this monitor was made for 8"):
        m.update(2000, gaussian(10, 3))
    with pytest.raises(ValueError, match=r"step=50 is invalid: must be > the last step 1200"):
        m.update(50, gaussian(10, 8))
    with pytest.raises(ValueError, match=r"measure='kl' is invalid: allowed: std_normalized"):
        m.trace("kl")
    with pytest.raises(ValueError, match=r"dim=0 is invalid: must be a positive integer"):
        EmbeddingMonitor(0)
    fresh = EmbeddingMonitor(8)
    assert fresh.onset is None and fresh.to_xarray().sizes["step"] == 0
    fresh.update(1, np.ones((4, 8)))
    assert fresh.onset == 1


def stays_from(steps, flags):
    """The step from which ``flags`` holds to the last one, walking back from the end;
    None when the last is false (a reference for the monitor's onsets)."""
    onset = None
    for step, flag in zip(reversed(steps), reversed(flags), strict=True):
        if not flag:
            break
        onset = step
    return onset


@pytest.mark.parametrize(
    "phases",
    [
        ["isotropic"] * 3 + ["line"] * 4,  # ends rank one: dimensional, never complete
        ["isotropic"] * 2 + ["line"] * 3 + ["point"] * 3,  # ends at a point: complete
        ["line", "point", "isotropic", "line", "point", "line", "point", "point"],  # relapses
        ["isotropic", "point", "point", "line"],  # complete, then back to rank one
        ["isotropic"] * 3 + ["line", "isotropic"],  # recovered
    ],
)
def test_monitor_reports_the_onset_of_the_state_the_run_ends_in(phases, tmp_path):
    """Isotropic Gaussian embeddings (healthy), a line through the origin z = s·u with s
    of both signs (rank one: dimensional, std·√d = ‖u‖₁/√d > 0.1, never complete) and
    one point (complete): the onsets from the phases the embeddings were built in, the
    first update of the last stretch at least that collapsed."""
    n, d = 256, 8
    rng = np.random.default_rng(4)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    point = rng.standard_normal(d)
    built = {"isotropic": "healthy", "line": "dimensional", "point": "complete"}
    m = EmbeddingMonitor(d)
    steps = [100 * (i + 1) for i in range(len(phases))]
    for i, (step, phase) in enumerate(zip(steps, phases, strict=True)):
        if phase == "isotropic":
            z = gaussian(n, d, seed=i)
        elif phase == "line":
            z = np.random.default_rng(i).standard_normal((n, 1)) * u
        else:
            z = np.tile(point, (n, 1))
        report = m.update(step, z)
        assert report.state == built[phase], (step, phase)
        if phase == "line":
            assert report.rank_one and report.std_normalized > 0.1
    dimensional = stays_from(steps, [p != "isotropic" for p in phases])
    complete = stays_from(steps, [p == "point" for p in phases])
    ends = {"isotropic": None, "line": dimensional, "point": complete}[phases[-1]]
    assert m.state == built[phases[-1]]
    assert m.dimensional_onset == dimensional and m.collapse_onset == dimensional
    assert m.onset == complete and m.state_onset == ends
    attrs = m.to_xarray().attrs
    for name, value in (("dimensional_onset", dimensional), ("onset", complete)):
        assert attrs[name] == (-1 if value is None else value), name
    assert attrs["state_onset"] == (-1 if ends is None else ends)
    assert attrs["collapse_onset"] == attrs["dimensional_onset"]
    fig = m.plot(tmp_path / "onsets.png")
    marked = {line.get_label() for line in fig.axes[0].get_lines() if "from" in line.get_label()}
    expected = {f"complete from {complete}"} if complete is not None else set()
    if dimensional is not None and dimensional != complete:
        expected.add(f"dimensional from {dimensional}")
    assert marked == expected
    plt.close(fig)


def test_public_api_and_no_jax_on_import():
    assert vaecollapse.diagnose_embeddings is embeddings.diagnose_embeddings
    assert vaecollapse.EmbeddingMonitor is embeddings.EmbeddingMonitor
    code = "import sys, vaecollapse.families.ssl.monitor; print('jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_rankme_of_full_rank_embeddings_against_its_definition():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((300, 10)) * np.geomspace(0.01, 10, 10) + 1.0
    assert diagnose_embeddings(z).rankme == pytest.approx(rankme_reference(z), rel=1e-9)


def test_what_each_synthetic_case_reads():
    """The state's thresholds, fixed on synthetic cases (docs/thresholds.md), not on runs:
    isotropic → healthy; rank r < d/4 → dimensional; a constant with 1 % noise →
    complete; one line through the origin with both signs → dimensional, named rank one,
    never complete (std·√d = ‖u‖₁/√d); a class-structured spread of 1 % about a large
    common offset → complete (every input within 0.01 rad of one direction) while the
    probe, which centres and rescales, still separates the classes."""
    rng = np.random.default_rng(11)
    n, d = 400, 32
    assert diagnose_embeddings(gaussian(n, d)).state == "healthy"
    assert diagnose_embeddings(gaussian(n, d, rank=4)).state == "dimensional"
    offset = rng.standard_normal(d)
    noisy = diagnose_embeddings(
        offset + 0.01 * np.linalg.norm(offset) / np.sqrt(d) * rng.standard_normal((n, d))
    )
    assert noisy.state == "complete" and noisy.std_normalized == pytest.approx(0.01, rel=0.1)
    u = rng.standard_normal(d)
    u /= np.linalg.norm(u)
    line = rng.standard_normal((n, 1)) * u  # both signs
    report = diagnose_embeddings(line)
    assert report.state == "dimensional" and report.rank_one
    assert report.std_normalized == pytest.approx(np.abs(u).sum() / np.sqrt(d), rel=0.05)
    assert "rank one" in str(report) and not diagnose_embeddings(gaussian(n, d)).rank_one
    labels = np.arange(n) % 10
    centres = rng.standard_normal((10, d))
    scale = 0.01 * np.linalg.norm(offset) / np.sqrt(d)
    structured = diagnose_embeddings(offset + scale * centres[labels], labels)
    assert structured.state == "complete" and structured.probe_accuracy == 1.0
