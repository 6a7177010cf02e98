"""The boundary estimator on synthetic results with known crossings, hand-computed."""

import json

import numpy as np
import pytest
import xarray as xr

from vaecollapse import boundary

EPS = 0.05


def fake_results(axes: dict, kl_per_dim: np.ndarray, diverged=None) -> xr.Dataset:
    """A results-shaped Dataset: ``kl_per_dim`` over ``axes`` + ``latent``; ``kl`` and
    ``mutual_info`` its sum (a stand-in), ``diverged`` all False unless given."""
    dims = list(axes)
    kl = kl_per_dim.sum(-1)
    data = {
        "kl_per_dim": ([*dims, "latent"], kl_per_dim),
        "kl": (dims, kl),
        "mutual_info": (dims, kl),
        "diverged": (dims, np.zeros(kl.shape, bool) if diverged is None else diverged),
    }
    coords = {k: np.asarray(v) for k, v in axes.items()}
    config = {"collapse_kl_eps": EPS}
    return xr.Dataset(data, coords=coords, attrs={"config": json.dumps(config)})


def linear_vae(eigenvalues, betas, seeds=3, sigma2=1.0):
    """KL_i = max(0, ½ log(λ_i / (β σ²))) for every seed (Lucas et al. 2019)."""
    lam = np.asarray(eigenvalues)[None, None, :]
    b = np.asarray(betas)[:, None, None]
    kl = np.maximum(0.0, 0.5 * np.log(lam / (b * sigma2)))
    kl = np.broadcast_to(kl, (len(betas), seeds, len(eigenvalues))).copy()
    return fake_results({"beta": betas, "seed": list(range(seeds))}, kl)


def test_linear_vae_per_dim_boundaries_exact_on_a_log_grid():
    """KL is linear in log β, so the extrapolation to zero lands on λ_i/σ² exactly, not
    on the ε crossing λ_i e^(−2ε) (10 % low)."""
    betas = 2.0 ** np.arange(-2, 7)  # 0.25 ... 64, log-spaced
    res = linear_vae([16.0, 3.0, 1.0], betas)
    b = boundary.estimate(res, "beta", "kl_per_dim")
    assert b.attrs["direction"] == "increasing" and b.attrs["log_axis"] == 1
    np.testing.assert_allclose(b.estimate.values, [16.0, 3.0, 1.0], rtol=1e-9)
    assert list(b.status.values) == ["bracketed"] * 3
    assert list(b.seeds_bracketed.values) == [3, 3, 3] and list(b.seeds.values) == [3, 3, 3]
    # the interval runs from the last point above ε to the first at or below it
    np.testing.assert_allclose(b.low.values, [8.0, 2.0, 0.5])
    np.testing.assert_allclose(b.high.values, [16.0, 4.0, 1.0])
    whole = boundary.estimate(res, "beta", "kl")  # the whole latent: the last dim's boundary
    np.testing.assert_allclose(whole.estimate.values, 16.0, rtol=1e-9)


def test_linear_axis_collapse_as_it_falls():
    """Context-dropout-like axis: v = 2(x − 0.3) above x0 = 0.3, 0 below; collapse as x
    falls, detected; linear extrapolation gives 0.3."""
    x = np.linspace(0.0, 1.0, 6)  # 0, .2, .4, .6, .8, 1
    v = np.maximum(0.0, 2.0 * (x - 0.3))
    res = fake_results({"context_dropout": x}, v[:, None])
    b = boundary.estimate(res, "context_dropout", "kl")
    assert b.attrs["direction"] == "decreasing" and b.attrs["log_axis"] == 0
    np.testing.assert_allclose(float(b.estimate), 0.3, rtol=1e-9)
    np.testing.assert_allclose([float(b.low), float(b.high)], [0.2, 0.4])
    assert int(b.seeds) == 1  # no seed axis: one curve


def test_the_default_axis_is_the_first_numeric_swept_one():
    """No ``along``: the first numeric swept axis (seeds excepted), whatever its name."""
    x = np.linspace(0.0, 1.0, 6)
    v = np.maximum(0.0, 2.0 * (x - 0.3))[:, None, None] * np.ones((1, 2, 1))
    res = fake_results({"context_dropout": x, "seed": [0, 1]}, v)
    named = boundary.estimate(res, "context_dropout", "kl")
    default = boundary.estimate(res, measure="kl")
    assert default.attrs["along"] == "context_dropout"
    np.testing.assert_array_equal(default.estimate, named.estimate)
    with pytest.raises(ValueError, match=r"along=None is invalid: these results sweep no"):
        boundary.estimate(fake_results({"seed": [0, 1]}, np.ones((2, 1))), measure="kl")


def test_one_point_above_threshold_interpolates_the_crossing():
    """Only the first grid point is above ε: the ε crossing by linear interpolation,
    (0.45 − 0.05) / (0.45 − 0.01) of the way from 1 to 2 on a linear axis."""
    res = fake_results({"beta": [1.0, 2.0, 3.0]}, np.array([[0.45], [0.01], [0.0]]))
    b = boundary.estimate(res, "beta", "kl")
    np.testing.assert_allclose(float(b.estimate), 1.0 + 0.40 / 0.44, rtol=1e-9)


def test_sharp_drop_is_clipped_to_the_chord():
    """A first-order drop: a flat curve extrapolates far beyond the bracket; the
    estimate stops at the chord's zero, here the collapsed point (v = 0 there)."""
    res = fake_results({"beta": [1.0, 2.0, 3.0, 4.0]}, np.array([[1.0], [0.99], [0.0], [0.0]]))
    b = boundary.estimate(res, "beta", "kl")
    np.testing.assert_allclose(float(b.estimate), 3.0, rtol=1e-9)


@pytest.mark.parametrize(
    "values, status, low, high",
    [
        ([0.01, 0.0, 0.0], "beyond_low", -np.inf, 1.0),  # collapsed everywhere
        ([3.0, 2.0, 1.0], "beyond_high", 4.0, np.inf),  # healthy everywhere
    ],
)
def test_unbracketed_on_either_side(values, status, low, high):
    """One seed censored on either side: no number, and the interval is open there."""
    res = fake_results({"beta": [1.0, 2.0, 4.0]}, np.array(values)[:, None])
    b = boundary.estimate(res, "beta", "kl", direction="increasing")
    assert str(b.status.values) == status
    assert np.isnan(b.estimate) and int(b.seeds_bracketed) == 0
    assert (float(b.low), float(b.high)) == (low, high)
    flipped = boundary.estimate(res, "beta", "kl", direction="decreasing")  # sides swap
    assert str(flipped.status.values) == {"beyond_low": "beyond_high"}.get(status, "beyond_low")


def test_most_seeds_never_collapsing_is_said_not_bracketed():
    """Issue 25's case: 1 seed of 10 collapses on the grid (β ≤ 18), 9 never do. The old
    estimator called this `bracketed` with the lone seed's estimate past its own interval;
    the censored median lies beyond the grid's high end, the interval is open above."""
    betas = np.geomspace(0.15, 18.0, 12)
    healthy = np.full((12, 9), 1.0)
    lone = np.maximum(0.0, 0.5 * np.log(10.0 / betas))[:, None]  # collapses at β = 10
    res = fake_results({"beta": betas, "seed": range(10)}, np.hstack([lone, healthy])[..., None])
    b = boundary.estimate(res, "beta", "kl")
    assert str(b.status.values) == "beyond_high" and np.isnan(b.estimate)
    assert int(b.seeds_bracketed) == 1 and int(b.seeds) == 10 and float(b.high) == np.inf
    # 5 of 9 healthy seeds: the median is the mean of two bracketed seeds' estimates
    lone = np.maximum(0.0, 0.5 * np.log(np.array([2.0, 3.0, 4.0, 5.0, 6.0]) / betas[:, None]))
    res = fake_results(
        {"beta": betas, "seed": range(9)}, np.hstack([lone, healthy[:, :4]])[..., None]
    )
    b = boundary.estimate(res, "beta", "kl")
    assert str(b.status.values) == "bracketed" and float(b.high) == np.inf
    np.testing.assert_allclose(float(b.estimate), 6.0, rtol=1e-9)  # the 5th of 9: λ = 6
    assert float(b.low) <= float(b.estimate) <= float(b.high)


def test_an_estimate_past_the_grid_end_is_said_extrapolated():
    """The last grid value is already at or below ε and the line through the two before
    it reaches zero past it: the estimate is a number beyond the grid, and says by how
    much."""
    res = fake_results({"beta": [1.0, 2.0, 3.0]}, np.array([[0.5], [0.3], [0.04]]))
    b = boundary.estimate(res, "beta", "kl")
    assert str(b.status.values) == "extrapolated"
    chord = 2.0 + 0.3 / 0.26  # the clip: the chord's zero from β = 2 to 3
    np.testing.assert_allclose(float(b.estimate), chord, rtol=1e-9)
    np.testing.assert_allclose(float(b.extrapolated_by), chord - 3.0, rtol=1e-9)
    assert float(b.low) <= float(b.estimate) <= float(b.high)


def test_extrapolation_stops_one_grid_step_past_the_end():
    """A curve still flat just below ε at the last point: its chord's zero lies far out
    (KL 0.051 then 0.049: 3 + 0.051/0.002 ≈ 28); the grid tells nothing past one more
    step, so the estimate stops at 4 and says it is 1 past the end."""
    res = fake_results({"beta": [1.0, 2.0, 3.0]}, np.array([[0.052], [0.051], [0.049]]))
    b = boundary.estimate(res, "beta", "kl")
    assert str(b.status.values) == "extrapolated"
    np.testing.assert_allclose([float(b.estimate), float(b.extrapolated_by)], [4.0, 1.0])
    assert float(b.high) == 4.0


def test_seeds_split_between_both_ends_are_undetermined():
    res = fake_results(
        {"beta": [1.0, 2.0, 4.0], "seed": [0, 1]},
        np.array([[0.0, 3.0], [0.0, 2.0], [0.0, 1.0]])[..., None],
    )
    b = boundary.estimate(res, "beta", "kl", direction="increasing")
    assert str(b.status.values) == "undetermined" and np.isnan(b.estimate)
    assert (float(b.low), float(b.high)) == (-np.inf, np.inf)


def test_diverged_runs_are_left_out_and_counted_and_seeds_aggregate():
    """Three seeds with boundaries 2, 3, 4 on a linear axis (v = 4 − x·4/b): the median
    is 3; seed 2's run at x = 1 diverged and is dropped from its curve only."""
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    bounds = np.array([2.0, 3.0, 4.0])
    v = np.maximum(0.0, 4.0 - 4.0 * x[:, None] / bounds[None, :])  # [x, seed]
    diverged = np.zeros_like(v, bool)
    diverged[1, 2] = True
    v[1, 2] = np.nan  # a diverged run's metrics
    res = fake_results({"beta": x, "seed": [0, 1, 2]}, v[..., None], diverged)
    b = boundary.estimate(res, "beta", "kl")
    assert int(b.diverged) == 1 and int(b.seeds) == 3 and int(b.seeds_bracketed) == 3
    np.testing.assert_allclose(float(b.estimate), 3.0, rtol=1e-9)
    # 3 seeds: no quantile means anything; the interval is the seeds' range, said so
    assert str(b.interval.values) == "seed_range"
    np.testing.assert_allclose([float(b.low), float(b.high)], [1.0, 4.0])


def test_other_axes_give_one_row_each_and_the_csv_has_the_columns(tmp_path):
    betas = 2.0 ** np.arange(-2, 7)
    lam = np.array([4.0, 16.0])  # one eigenvalue per point of the other axis
    kl = np.maximum(0.0, 0.5 * np.log(lam[None, :] / betas[:, None]))[..., None]
    res = fake_results({"beta": betas, "width": [1, 2]}, kl)
    b = boundary.estimate(res, "beta", "kl")
    np.testing.assert_allclose(b.estimate.sel(width=[1, 2]).values, [4.0, 16.0], rtol=1e-9)
    path = boundary.write_csv(b, tmp_path / "boundary.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header == ["width", *boundary.CSV_COLUMNS]
    per_dim = boundary.estimate(res, "beta", "kl_per_dim")
    header = boundary.to_frame(per_dim).columns.tolist()
    assert header[:2] == ["width", "latent"] and "status" in header


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(along="gamma"), r"along='gamma' is not a swept axis.*allowed: \['beta'\]"),
        (dict(along="seed"), r"along='seed' is not a swept axis"),
        (dict(along="variant"), r"along='variant' is invalid: its values .* not numbers"),
        (dict(along="beta", measure="nll"), r"measure='nll' is invalid: allowed: mutual_info"),
        (dict(along="beta", threshold=0.0), r"threshold=0.0 is invalid: must be > 0"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    res = linear_vae([4.0], [1.0, 2.0, 8.0])
    res = res.expand_dims(variant=["a", "b"]).transpose("variant", ...)
    with pytest.raises(ValueError, match=match):
        boundary.estimate(res, **kwargs)


def test_a_single_value_is_refused():
    res = linear_vae([4.0], [1.0, 2.0]).isel(beta=[0])
    with pytest.raises(ValueError, match=r"along='beta' is invalid: it has 1 value; need >= 2"):
        boundary.estimate(res, "beta", "kl")


def test_propose_places_points_inside_each_interval_and_beyond_unbracketed_ends():
    """Log axis 1…16 (×2 steps): a boundary bracketed in [2, 4] gets its share of points
    evenly spaced in log inside it; one collapsed everywhere (collapse as β grows) gets
    two values one and two grid steps below the grid, 0.5 and 0.25."""
    from vaecollapse import refine

    betas = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    lam = np.array([3.0, 0.6])  # the second collapses everywhere on this grid
    kl = np.maximum(0.0, 0.5 * np.log(lam[None, :] / betas[:, None]))[..., None]
    res = fake_results({"beta": betas, "width": [1, 2]}, kl)
    found = boundary.estimate(res, "beta", "kl")
    assert list(found.status.values) == ["bracketed", "beyond_low"]
    new = refine.propose(found, betas, points=3)
    inside = [float(f"{2.0 * 2.0 ** (j / 2):.4g}") for j in (1,)]  # 1 point in (2, 4)
    assert new == sorted([0.25, 0.5, *inside])
    assert refine.propose(found, betas, points=2) == [0.25, 0.5]  # capped, lowest first


def test_a_single_row_when_nothing_else_is_swept(tmp_path):
    res = linear_vae([4.0], 2.0 ** np.arange(-1, 5))  # β and seeds only
    found = boundary.estimate(res, "beta", "kl")
    assert found.estimate.dims == ()
    lines = boundary.write_csv(found, tmp_path / "b.csv").read_text().splitlines()
    assert lines[0].split(",") == list(boundary.CSV_COLUMNS) and lines[1].startswith("4,")
    assert "| 4 | 2 | 4 | seed_range | 3 | 3 | bracketed | 0 | 0 |" in boundary.markdown(found)


def test_interval_reaches_a_point_clearly_past_the_boundary():
    """v = 0.04 at x = 3 is below ε but not ≈ 0 (a continuous transition just before its
    boundary): the interval runs on to x = 4, the first point at or below ε/2."""
    res = fake_results({"beta": [1.0, 2.0, 3.0, 4.0]}, np.array([[0.5], [0.3], [0.04], [0.0]]))
    b = boundary.estimate(res, "beta", "kl")
    np.testing.assert_allclose([float(b.low), float(b.high)], [2.0, 4.0])
    np.testing.assert_allclose(float(b.estimate), 2.0 + 0.3 / 0.26, rtol=1e-9)  # the chord


def test_extrapolation_stops_at_the_edge_of_the_axis_s_allowed_values():
    """Along free_bits (collapse as it falls; free_bits ≥ 0, config.HPARAMS): the line
    through the last two points above ε reaches zero at −0.5 and the chord at −0.41,
    values the axis cannot take; the extrapolation stops at 0, the edge."""
    x = np.array([0.0, 0.5, 1.0, 1.5])
    kl = np.array([0.045, 0.1, 0.15, 0.5])[:, None]
    b = boundary.estimate(fake_results({"free_bits": x}, kl), "free_bits", "kl")
    assert b.attrs["direction"] == "decreasing" and b.attrs["domain_edge"] == 0.0
    assert str(b.status.values) == "bracketed"
    np.testing.assert_array_equal([float(b.estimate), float(b.low), float(b.high)], [0, 0, 0.5])
    assert "`free_bits` takes no value past 0" in boundary.markdown(b)
    # an axis with no rule there (β on a grid away from 0) extrapolates as before
    b = boundary.estimate(fake_results({"beta": 2.0 - x}, kl), "beta", "kl")  # β falling
    assert str(b.status.values) == "extrapolated" and np.isnan(b.attrs["domain_edge"])
    np.testing.assert_allclose(float(b.estimate), 1.5 + 0.1 * 0.5 / 0.055, rtol=1e-9)  # chord


def gan_results(axis: dict, modes_fraction: np.ndarray) -> xr.Dataset:
    """A hand-built GAN results Dataset: ``modes_fraction`` over ``axis`` (+ seeds)."""
    dims = list(axis)
    data = {"modes_fraction": (dims, modes_fraction)}
    data["diverged"] = (dims, np.zeros(modes_fraction.shape, bool))
    coords = {k: np.asarray(v) for k, v in axis.items()}
    return xr.Dataset(data, coords=coords, attrs={"config": json.dumps({"family": "gan"})})


def test_a_bounded_measure_is_interpolated_between_its_bracket():
    """GAN modes fraction along R1 γ (collapse as γ falls; threshold 0.9): the crossing of
    0.9 between γ = 1 (0.96) and γ = 0.1 (0.6), 0.06/0.36 of the way: 0.85, interval
    [0.1, 1]. Extrapolated to zero, as the VAE's KL is, it read −0.1 (past the grid and
    below γ ≥ 0: issue 36's [−0.01, 0.96])."""
    res = gan_results({"r1_gamma": [0.0, 0.1, 1.0, 10.0]}, np.array([0.2, 0.6, 0.96, 1.0]))
    b = boundary.estimate(res, "r1_gamma")
    assert b.attrs["measure"] == "modes_fraction" and b.attrs["rule"] == "interpolate"
    assert b.attrs["direction"] == "decreasing" and str(b.status.values) == "bracketed"
    np.testing.assert_allclose(float(b.estimate), 1.0 - 0.06 / 0.36 * 0.9, rtol=1e-9)
    np.testing.assert_array_equal([float(b.low), float(b.high)], [0.1, 1.0])
    assert "interpolated between the grid points that bracket it" in boundary.markdown(b)


def test_an_interval_from_five_seeds_or_more_is_a_90_percent_interval():
    """Seeds with boundaries 2, 3, …: from 5 usable seeds on, low–high are the 5 % and 95 %
    quantiles of the seeds' brackets (`quantile_90`); below, their range (`seed_range`),
    and the table says which."""
    x = np.arange(0.0, 10.0)
    for seeds, kind in ((4, "seed_range"), (5, "quantile_90"), (6, "quantile_90")):
        bounds = 2.0 + np.arange(seeds)
        v = np.maximum(0.0, 4.0 - 4.0 * x[:, None] / bounds[None, :])
        b = boundary.estimate(
            fake_results({"beta": x, "seed": range(seeds)}, v[..., None]), "beta", "kl"
        )
        assert str(b.interval.values) == kind
        lows, highs = bounds - 1.0, bounds  # each seed's bracket
        if kind == "seed_range":
            expected = [lows.min(), highs.max()]
        else:
            expected = [np.quantile(lows, 0.05), np.quantile(highs, 0.95)]
        np.testing.assert_allclose([float(b.low), float(b.high)], expected)
        text = boundary.markdown(b)
        assert ("90 % interval (5–95 %" in text) == (kind == "quantile_90"), text
        assert ("the range of the seeds' brackets" in text) == (kind == "seed_range"), text


def test_a_hand_built_dataset_without_config_reads_the_vae_and_its_default_eps():
    """No ``config`` attribute: the default family (VAE) and the schema's ε (0.05), not
    KeyError: 'config'; a measure it lacks is named in one line."""
    import vaecollapse

    betas = 2.0 ** np.arange(-2, 7)
    kl = np.maximum(0.0, 0.5 * np.log(4.0 / betas))
    ds = xr.Dataset({"kl": ("beta", kl)}, coords={"beta": betas})
    b = vaecollapse.estimate_boundary(ds, "beta", "kl")
    assert b.attrs["threshold"] == 0.05 and b.attrs["rule"] == "to_zero"
    np.testing.assert_allclose(float(b.estimate), 4.0, rtol=1e-9)
    with pytest.raises(ValueError, match=r"^measure='mutual_info' is invalid: allowed: kl$"):
        vaecollapse.estimate_boundary(ds, "beta")
