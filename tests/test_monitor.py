"""The public monitor: closed forms on synthetic encoders, agreement with the sweep's own
evaluation, one-line errors, onset over a training loop, the package's API names."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import tiny_config

import vaecollapse
from vaecollapse import data, optim
from vaecollapse.families.vae import diagnostics, models, monitor, train
from vaecollapse.families.vae.models import VAE


def encoder(n: int, d: int, k: int, seed: int = 0):
    """k of d dims carry signal: μ_j ~ N(0, 4), σ_j² = 0.25; the rest μ = 0, σ = 1."""
    rng = np.random.default_rng(seed)
    mu = np.zeros((n, d))
    mu[:, :k] = 2.0 * rng.standard_normal((n, k))
    logvar = np.zeros((n, d))
    logvar[:, :k] = np.log(0.25)
    return mu, logvar


@pytest.mark.parametrize("k, state", [(0, "full"), (2, "partial"), (4, "healthy")])
def test_diagnose_against_closed_forms(k, state):
    mu, logvar = encoder(2000, 4, k)
    report = monitor.diagnose(mu, logvar)
    expected = 0.5 * (np.mean(mu**2, 0) + np.exp(logvar).mean(0) - logvar.mean(0) - 1.0)
    np.testing.assert_allclose(report.kl_per_dim, expected, rtol=1e-5, atol=1e-6)
    assert report.state == state and report.active_units == k
    assert report.active_dims == tuple(range(k))
    np.testing.assert_allclose(report.mean_sigma, (k * 0.5 + (4 - k)) / 4, rtol=1e-6)
    if k == 0:
        assert abs(report.mutual_info) < 1e-4 and report.kl == 0.0
    else:  # I(x; z) of k independent dims, each N(0, 4) + N(0, 0.25): ½ log(17), below log N
        assert 0.8 * k * 0.5 * np.log(17) < report.mutual_info <= np.log(2000)
    assert f"state:        {state}" in str(report)
    assert report.to_dict()["active_dims"] == list(range(k))


def test_diagnose_agrees_with_the_sweeps_evaluation(default_hparams):
    """The same encoder outputs give the same KL, KL per dim, active units and state as
    `diagnostics.make_evaluate` (I(x; z): the same estimator, other samples)."""
    c = tiny_config()
    dataset = data.load(c.data)
    model = models.build(c.model, dataset.meta)
    params = train.make_train_fns(c, model, dataset).init(jax.random.PRNGKey(3))
    x, labels = optim.data_arrays(dataset.test[:64], None)
    evaluate = diagnostics.make_evaluate(c, model)
    steps = jnp.arange(1, 5) * 10
    traces = {"kl": jnp.ones(4), "kl_per_dim": jnp.ones((4, c.model.latent_dim))}
    out = evaluate(
        params.params, jax.random.PRNGKey(0), default_hparams, traces, (x, labels), steps
    )
    mu, logvar = model.apply(params.params, x, labels, method=VAE.encode)
    report = monitor.diagnose(np.asarray(mu), np.asarray(logvar))
    np.testing.assert_allclose(report.kl_per_dim, out["kl_per_dim"], rtol=1e-5)
    np.testing.assert_allclose(report.kl, out["kl"], rtol=1e-5)
    assert report.active_units == int(out["active_units"])
    assert report.state == diagnostics.STATE_NAMES[int(out["collapse_state"])]
    np.testing.assert_allclose(report.mutual_info, out["mutual_info"], atol=0.1)


@pytest.mark.parametrize(
    "mu, logvar, match",
    [
        (np.zeros(5), np.zeros(5), r"mu has shape \(5,\): expected \[N inputs, d latent dims\]"),
        (np.zeros((5, 2)), np.zeros((5, 3)), r"mu \(5, 2\) and logvar \(5, 3\) differ in shape"),
        (np.zeros((1, 2)), np.zeros((1, 2)), r"mu has 1 input: need >= 2"),
        (
            np.array([[0.0, np.nan], [0, 0]]),
            np.zeros((2, 2)),
            r"mu has 1 non-finite values \(first at \[0, 1\]\)",
        ),
    ],
)
def test_bad_encoder_outputs_are_named(mu, logvar, match):
    with pytest.raises(ValueError, match=match):
        monitor.diagnose(mu, logvar)


def test_monitor_finds_the_onset_and_keeps_the_traces(tmp_path):
    """Healthy for five updates, then collapsed: the onset is the first collapsed step."""
    m = monitor.CollapseMonitor(4, kl_eps=0.05)
    for i, step in enumerate(range(100, 1100, 100)):
        mu, logvar = encoder(256, 4, 3 if i < 5 else 0, seed=i)
        report = m.update(step, mu, logvar)
        assert report.state == ("partial" if i < 5 else "full")
    assert m.onset == 600
    ds = m.to_xarray()
    assert ds.kl_per_dim.dims == ("step", "latent") and ds.sizes["step"] == 10
    assert ds.attrs["onset"] == 600 and list(ds.active_units.values[-5:]) == [0] * 5
    m.plot(tmp_path / "monitor.png")
    assert (tmp_path / "monitor.png").stat().st_size > 1000
    with pytest.raises(ValueError, match=r"mu has 3 latent dims; this monitor was made for 4"):
        m.update(2000, *encoder(10, 3, 1))
    with pytest.raises(ValueError, match=r"step=50 is invalid: must be > the last step 1000"):
        m.update(50, *encoder(10, 4, 1))
    fresh = monitor.CollapseMonitor(4)
    fresh.update(1, *encoder(64, 4, 4))
    assert fresh.onset is None


def test_monitor_gives_the_early_warning_at_10_percent():
    """`warning.forecast` read at the first update at or past 10 % of ``total_steps``:
    every dim's KL below the threshold there → warned, predicted full; some → partial."""
    m = monitor.CollapseMonitor(4, total_steps=1000)
    m.update(50, *encoder(256, 4, 4))
    assert m.warning is None and m.forecast is None and m.predicted_state is None
    m.update(100, *encoder(256, 4, 0))  # collapsed at 10 %: KL = 0 in every dim
    assert m.warning == 100 and m.predicted_state == "full"
    assert m.forecast.step == 100 and bool(m.forecast.warn)
    m.update(300, *encoder(256, 4, 4))  # later updates don't change what was read
    assert m.warning == 100
    partial = monitor.CollapseMonitor(4, total_steps=1000)
    partial.update(120, *encoder(256, 4, 2))
    assert partial.warning is None and partial.predicted_state == "partial"
    healthy = monitor.CollapseMonitor(4, total_steps=1000)
    healthy.update(100, *encoder(256, 4, 4))
    assert healthy.warning is None and healthy.predicted_state == "healthy"
    no_total = monitor.CollapseMonitor(4)
    no_total.update(100, *encoder(256, 4, 0))
    assert no_total.warning is None and no_total.predicted_state is None


def test_monitor_carries_the_kl_to_the_final_beta_under_a_warm_up():
    """At 10 % of a warm-up to β = 8 (β = 1 there) dims with KL ≈ 0.5 nats: carried to
    β = 8 (0.5 − ½ log 8 < θ) they warn; read as they are, they don't. β must come with
    every update once ``beta_final`` is given, and must be a number ≥ 0."""
    mu, logvar = encoder(256, 4, 4)
    mu = mu / np.sqrt(np.mean(mu**2, 0)) * 1.0  # KL_j = ½ E μ² = 0.5
    plain = monitor.CollapseMonitor(4, total_steps=1000)
    warm = monitor.CollapseMonitor(4, total_steps=1000, beta_final=8.0)
    plain.update(100, mu, np.zeros_like(mu))
    warm.update(100, mu, np.zeros_like(mu), beta=1.0)
    np.testing.assert_allclose(warm.reports[0].kl_per_dim, 0.5, rtol=1e-5)
    assert plain.warning is None and plain.predicted_state == "healthy"
    assert warm.warning == 100 and warm.predicted_state == "full"
    with pytest.raises(ValueError, match=r"beta=None is invalid: this monitor has beta_final=8\.0"):
        warm.update(200, mu, logvar)
    for bad in (-1.0, float("nan"), "4", True):
        with pytest.raises(ValueError, match="is invalid: must be a finite number >= 0"):
            monitor.CollapseMonitor(4, total_steps=1000, beta_final=bad)
    with pytest.raises(ValueError, match=r"beta=-0.5 is invalid"):
        warm.update(300, mu, logvar, beta=-0.5)
    with pytest.raises(ValueError, match=r"beta=1.0 is given but this monitor has no beta_final"):
        plain.update(400, mu, logvar, beta=1.0)
    warm.update(500, mu, logvar, beta=jnp.float32(8.0))  # a schedule's JAX or NumPy scalar
    warm.update(600, mu, logvar, beta=np.array(8.0))
    assert warm.betas == [1.0, 8.0, 8.0] and len(warm.steps) == 3  # refused updates not kept


def test_public_api_names():
    assert vaecollapse.diagnose is monitor.diagnose
    assert vaecollapse.CollapseMonitor is monitor.CollapseMonitor
    assert vaecollapse.experiment_config("demo", quick=True).train.steps == 300
    assert {"diagnose", "run_sweep", "load_results", "estimate_boundary"} <= set(
        vaecollapse.__all__
    )
    with pytest.raises(AttributeError, match="has no attribute 'diagnoze'"):
        vaecollapse.diagnoze  # noqa: B018
