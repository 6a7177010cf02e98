"""`sensitivity.sensitivity` (``vaecollapse boundary DIR --sensitivity`` and summary.md's
section): the boundary and the runs per collapse state at ½×, 1× and 2× the threshold,
on hand-built results of every family (VAE, SSL, GAN and `linear_ae_family`)."""

import json

import numpy as np
import pytest
import xarray as xr
from test_boundary import fake_results

from vaecollapse import report, sensitivity


def results_of(family: str, variables: dict, coords: dict, **config) -> xr.Dataset:
    """A hand-built results Dataset of ``family``: ``variables`` name -> (dims, values),
    ``diverged`` all False over the first variable's run dims unless given."""
    data = dict(variables)
    if "diverged" not in data:
        dims, _ = next(iter(variables.values()))
        run = [d for d in dims if d in coords and d not in ("latent", "rank", "mode", "unit")]
        data["diverged"] = (run, np.zeros([len(coords[d]) for d in run], bool))
    attrs = {"config": json.dumps({"family": family, **config})}
    return xr.Dataset(data, coords={k: np.asarray(v) for k, v in coords.items()}, attrs=attrs)


def test_vae_states_are_the_family_s_rule_at_each_threshold():
    """Two latent dims over 4 β × 2 seeds: one dim's KL sits at 0.04 at the two largest β —
    below ε = 0.05, above ½ε: there the runs are full at 1× and 2× but partial at ½×.
    The 1× counts are the family's own (every dim's KL against ε)."""
    betas = np.array([0.5, 1.0, 2.0, 4.0])
    kl = np.zeros((4, 2, 2))
    kl[:, :, 0] = np.array([1.0, 0.6, 0.04, 0.04])[:, None]  # the curve that sits near ε
    kl[:, :, 1] = np.array([0.3, 0.0, 0.0, 0.0])[:, None]
    res = fake_results({"beta": betas, "seed": [0, 1]}, kl)
    found, states = sensitivity.sensitivity(res, "beta", "kl_per_dim")
    assert list(found.factor.values) == [0.5, 1.0, 2.0]
    assert found.attrs["thresholds"] == [0.025, 0.05, 0.1]
    assert list(states.factor) == [0.5, 1.0, 2.0] and states.attrs["states"] == [
        "healthy",
        "partial",
        "full",
    ]
    counts = states.set_index("factor")[["healthy", "partial", "full"]]
    assert counts.loc[0.5].tolist() == [2, 6, 0]  # at ½ε the 0.04 dim is still alive
    assert counts.loc[1.0].tolist() == [2, 2, 4] == counts.loc[2.0].tolist()
    # whichever order parameter the boundary reads, the VAE's states are its own rule's
    _, by_kl = sensitivity.sensitivity(res, "beta", "kl")
    assert by_kl.attrs["states"] == states.attrs["states"]
    assert by_kl[states.attrs["states"]].equals(states[states.attrs["states"]])
    by_hand = (kl < 0.05).sum(-1)  # the family's rule at ε
    assert counts.loc[1.0].tolist() == [int((by_hand == k).sum()) for k in (0, 1, 2)]
    # the boundary of rank 0 moves: bracketed at 1×, beyond the grid at ½×
    assert found.status.sel(factor=1.0, latent=0).item() == "bracketed"
    assert found.status.sel(factor=0.5, latent=0).item() == "beyond_high"
    text = sensitivity.sensitivity_markdown(found, states)
    assert "| latent | ½× (0.025) | 1× (0.05) | 2× (0.1) | depends |" in text
    assert "| 0 | beyond_high [4, ∞) | 1.75 [1, 4] | 1.75 [1, 2.071] | yes |" in text
    assert text.splitlines()[4].endswith("| yes |")  # rank 0 depends on the threshold
    assert (
        "| healthy 2, partial 6 | healthy 2, partial 2, full 4 | healthy 2, partial 2, full 4 "
        "| yes |" in text
    )


def test_ssl_boundary_moves_with_the_threshold_and_its_states_are_the_measure_s_own():
    """SSL std·√d along α, read by interpolation: its crossing of 0.05, 0.1 and 0.2
    falls at different α; without a `states_at` of the family, the states are the order
    parameter's own reading (below the threshold or not)."""
    alpha = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    std = np.array([0.9, 0.7, 0.4, 0.1, 0.0])[:, None] * np.ones((1, 2))
    res = results_of(
        "ssl",
        {"std_normalized": (("target_gradient", "seed"), std)},
        {"target_gradient": alpha, "seed": [0, 1]},
    )
    found, states = sensitivity.sensitivity(res)
    assert found.attrs["along"] == "target_gradient" and found.attrs["threshold"] == 0.1
    estimates = found.estimate.values
    np.testing.assert_allclose(estimates, [0.875, 0.75, 0.75 - 0.25 * 0.1 / 0.3], rtol=1e-9)
    assert states.attrs["states"] == ["std_normalized ≥ ε", "std_normalized < ε"]
    below = states.set_index("factor")["std_normalized < ε"].to_dict()
    assert below == {0.5: 2, 1.0: 2, 2.0: 4}


def test_gan_per_mode_states_and_the_main_measure_work():
    """GAN: the main order parameter (modes fraction) and the per-mode mass, whose states
    read the family's names (healthy: no mode dropped, partial: some, full: every one)."""
    ratio = np.array([1.0, 2.0, 3.0, 5.0])
    fraction = np.array([1.0, 0.96, 0.6, 0.2])[:, None] * np.ones((1, 2))
    mass = np.stack([np.array([1.2, 1.1, 0.9, 0.08]), np.array([1.0, 0.5, 0.12, 0.06])], -1)
    mass = np.repeat(mass[:, None, :], 2, axis=1)  # [ratio, seed, mode]
    res = results_of(
        "gan",
        {
            "modes_fraction": (("d_lr_ratio", "seed"), fraction),
            "mode_mass": (("d_lr_ratio", "seed", "mode"), mass),
        },
        {"d_lr_ratio": ratio, "seed": [0, 1], "mode": [0, 1]},
    )
    found, states = sensitivity.sensitivity(res)
    assert found.attrs["measure"] == "modes_fraction" and str(found.status.values[1]) == "bracketed"
    # with modes_captured, the main measure's states are the family's rule at each line
    captured = np.array([25, 24, 15, 1])[:, None] * np.ones((1, 2), int)
    ruled = res.assign(modes_captured=(("d_lr_ratio", "seed"), captured))
    _, by_rule = sensitivity.sensitivity(ruled)
    assert by_rule.attrs["states"] == ["healthy", "partial", "full"]
    counts = by_rule.set_index("factor")[["healthy", "partial", "full"]]
    assert counts.loc[1.0].tolist() == [4, 2, 2]  # 25, 24 of 25 healthy; 15 partial; 1 full
    assert counts.loc[0.5].tolist() == [6, 0, 2]  # at 45 %: 15 of 25 healthy too
    found, states = sensitivity.sensitivity(res, measure="mode_mass")
    assert states.attrs["states"] == ["healthy", "partial", "full"]
    one = states.set_index("factor").loc[1.0]
    assert [int(one[n]) for n in ("healthy", "partial", "full")] == [6, 0, 2]
    two = states.set_index("factor").loc[2.0]  # ε 0.2: the 0.12 of mode 1 drops too
    assert [int(two[n]) for n in ("healthy", "partial", "full")] == [4, 2, 2]


def test_an_outside_family_works_too():
    """`linear_ae_family` (registered on import; its config names the module)."""
    beta = np.array([0.25, 1.0, 4.0, 16.0])
    variance = np.maximum(0.0, np.array([8.0, 2.0])[None, :] - beta[:, None])
    res = results_of(
        "linear_ae",
        {
            "code_power": (("beta",), variance.sum(-1)),
            "code_variance": (("beta", "unit"), variance),
        },
        {"beta": beta, "unit": [0, 1]},
        family_module="linear_ae_family",
    )
    for measure in ("code_power", "code_variance"):
        found, states = sensitivity.sensitivity(res, measure=measure)
        assert set(found.status.values.ravel()) == {"bracketed"}, measure
        assert states[states.attrs["states"]].sum(axis=1).tolist() == [4, 4, 4]


def test_diverged_runs_are_counted_apart_and_bad_factors_named():
    res = fake_results(
        {"beta": [1.0, 2.0, 4.0], "seed": [0, 1]},
        np.array([[0.9, 0.9], [0.3, np.nan], [0.0, 0.0]])[..., None],
        np.array([[False, False], [False, True], [False, False]]),
    )
    _, states = sensitivity.sensitivity(res, "beta", "kl")
    assert states.attrs["states"][-1] == "diverged" and (states.diverged == 1).all()
    assert (states[states.attrs["states"]].sum(axis=1) == 6).all()
    with pytest.raises(ValueError, match=r"factors=\(0.0, 1.0\) is invalid: each must be > 0"):
        sensitivity.sensitivity(res, "beta", "kl", factors=(0, 1))


def test_summary_md_has_the_sensitivity_section(tmp_path):
    """`report.boundary_section` (summary.md): the boundary table, labelled by what its
    interval is, then the same sensitivity tables as the command line prints."""
    res = fake_results(
        {"beta": 2.0 ** np.arange(-2, 5), "seed": [0, 1]},
        np.repeat(np.maximum(0, 0.5 * np.log(4.0 / 2.0 ** np.arange(-2, 5)))[:, None, None], 2, 1),
    )
    res.attrs["config"] = json.dumps({"collapse_kl_eps": 0.05, "data": {"name": "synthetic"}})
    text, paths = report.boundary_section(res, tmp_path)
    assert [p.name for p in paths] == ["boundary.csv"]
    assert "low–high: the range of the seeds' brackets (fewer than 5 seeds" in text
    assert "90 % interval" not in text.replace("not a 90 % interval", "")
    assert "## Sensitivity to the threshold" in text
    assert "| ½× (0.025) | 1× (0.05) | 2× (0.1) | depends |" in text


def test_ssl_states_at_one_times_are_the_family_s_rule():
    """With the measures and ``eval_examples``, SSL states at another threshold are the
    family's rule (`ssl.collapse_state`) with that line moved: at 1× they are the stored
    states; at 2× the std line (0.2) turns a 0.15 run complete."""
    from vaecollapse.families import ssl

    rng = np.random.default_rng(0)
    n, d = 360, 8
    std = np.array([0.9, 0.15, 0.05, 0.6])
    rank = np.array([6.0, 3.0, 1.2, 1.3])
    spectrum = np.sort(rng.uniform(0.1, 1, (4, d)), axis=1)[:, ::-1]
    spectrum[:, 0] = 1.0
    spectrum[0, -1] = 5e-4  # one dead direction: dimensional by the floor
    codes = [
        ssl.collapse_state(s, r, sp.min(), n, d)
        for s, r, sp in zip(std, rank, spectrum, strict=True)
    ]
    res = results_of(
        "ssl",
        {
            "std_normalized": (("target_gradient",), std),
            "rankme": (("target_gradient",), rank),
            "spectrum": (("target_gradient", "rank"), spectrum),
            "collapse_state": (("target_gradient",), np.asarray(codes)),
        },
        {"target_gradient": [0.0, 0.25, 0.5, 1.0], "rank": np.arange(d)},
    )
    res.attrs["eval_examples"] = n
    assert ssl.states_at(res, "rankme", 1.5) is None
    np.testing.assert_array_equal(ssl.states_at(res, "std_normalized", 0.1), codes)
    np.testing.assert_array_equal(ssl.states_at(res, "spectrum", 1e-3), codes)
    assert codes == [ssl.DIMENSIONAL, ssl.HEALTHY, ssl.COMPLETE, ssl.DIMENSIONAL]
    assert ssl.states_at(res, "std_normalized", 0.2).values.tolist() == [1, 2, 2, 1]
    assert ssl.states_at(res, "spectrum", 1e-4).values.tolist() == [0, 0, 2, 1]
