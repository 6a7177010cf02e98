"""The plan of compiles: grid order and dtypes, static points, variants, padding."""

import numpy as np
import pytest
from conftest import tiny_config

from vaecollapse import grid


def test_default_hparams_dtypes():
    """Every hyperparameter a float32 scalar, except the seed (int32, a PRNG seed)."""
    h = grid.default_hparams({"beta": 2.0})
    assert h["seed"].dtype == np.int32 and h["seed"].shape == ()
    assert {str(v.dtype) for k, v in h.items() if k != "seed"} == {"float32"}
    assert float(h["beta"]) == 2.0 and float(h["learning_rate"]) == pytest.approx(1e-3)


def test_grid_is_c_order_with_defaults_filled_in():
    c = tiny_config(beta=(0.5, 2.0), seed=(0, 1, 2))
    c.hparams.free_bits = 0.25
    g = grid.make_grid(c)
    assert g.shape == (2, 3) and g.num_runs == 6
    np.testing.assert_array_equal(g.hparams["beta"], [0.5, 0.5, 0.5, 2.0, 2.0, 2.0])
    np.testing.assert_array_equal(g.hparams["seed"], [0, 1, 2, 0, 1, 2])
    assert g.hparams["seed"].dtype == np.int32 and g.hparams["beta"].dtype == np.float32
    np.testing.assert_array_equal(g.hparams["free_bits"], np.full(6, 0.25, np.float32))


def test_plan_one_point_per_static_combination():
    c = tiny_config(beta=(0.5, 2.0))
    c.sweep_static.latent_dim = (2, 3)
    c.sweep_static.schedule = ("constant", "linear_warmup")
    points = grid.plan(c)
    assert [p.values for p in points] == [
        {"latent_dim": 2, "schedule": "constant"},
        {"latent_dim": 2, "schedule": "linear_warmup"},
        {"latent_dim": 3, "schedule": "constant"},
        {"latent_dim": 3, "schedule": "linear_warmup"},
    ]
    assert all(p.grid.num_runs == 2 for p in points)
    configs = list(grid.static_configs(c))
    assert [(s.model.latent_dim, s.train.schedule) for s in configs] == [
        (p.values["latent_dim"], p.values["schedule"]) for p in points
    ]
    assert c.model.latent_dim == 3 and c.train.schedule == "constant"  # the original untouched


def test_variants_grouped_by_their_static_fields():
    c = tiny_config(seed=(0, 1))
    c.variants = (
        ("a", (("beta", 0.5),)),
        ("warm", (("schedule", "linear_warmup"), ("warmup_steps", 20.0))),
        ("b", (("beta", 2.0),)),
    )
    points = grid.plan(c)
    assert [p.values for p in points] == [{}, {"schedule": "linear_warmup"}]
    first, second = (p.grid for p in points)
    assert first.axes == {"variant": ("a", "b"), "seed": (0, 1)}
    np.testing.assert_array_equal(first.hparams["beta"], [0.5, 0.5, 2.0, 2.0])
    np.testing.assert_array_equal(second.hparams["warmup_steps"], [20.0, 20.0])


def test_pad_runs_repeats_the_last_run():
    columns = {"beta": np.arange(5, dtype=np.float32), "kl": np.arange(10.0).reshape(5, 2)}
    chunk = grid.pad_runs(columns, 4, 3)
    np.testing.assert_array_equal(chunk["beta"], [4, 4, 4])
    np.testing.assert_array_equal(chunk["kl"], [[8, 9], [8, 9], [8, 9]])
    np.testing.assert_array_equal(grid.pad_runs(columns, 1, 2)["beta"], [1, 2])


def test_validate_checks_every_static_point():
    """A bad value that only one static point writes in is caught before compiling."""
    c = tiny_config()
    c.sweep_static.latent_dim = (3, 0)
    with pytest.raises(ValueError, match=r"model.latent_dim=0.*positive integer"):
        grid.validate(c)
    c.sweep_static.latent_dim = (3, 2)
    grid.validate(c)


@pytest.mark.parametrize(
    "variants, match",
    [
        ((("a", ()), ("a", ())), r"variant names must be unique"),
        ((("a", (("beta", -1.0),)),), r"variants\['a'\].beta=-1.0.*>= 0"),
        ((("a", (("colour", 1),)),), r"colour.*not a model/train field"),
        ((("a", (("seed", 3),)),), r"variants\['a'\].seed=3.*also a dynamic sweep axis"),
    ],
)
def test_bad_variants_are_named(variants, match):
    c = tiny_config(seed=(0, 1))
    c.variants = variants
    with pytest.raises(ValueError, match=match):
        grid.validate(c)
