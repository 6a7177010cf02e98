"""The sweep engine: vmapped == single, chunking, devices, resume, divergence, determinism."""

import json
import os
import subprocess
import sys

import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
import xarray as xr
from conftest import tiny_config

from vaecollapse import config as config_lib
from vaecollapse import data, devices, models, sweep, train

SCALARS = ("kl", "recon", "elbo", "nll_iw", "mutual_info", "kl_trace", "loss_trace", "kl_per_dim")


def assert_results_close(a, b, names=SCALARS, rtol=1e-5, atol=1e-5):
    for name in names:
        np.testing.assert_allclose(
            a[name].values, b[name].values, rtol=rtol, atol=atol, err_msg=name
        )


def tiny_text_config(**sweep):
    """An LSTM VAE on short `markov_topics` sequences (the autoregressive path)."""
    c = tiny_config(**sweep)
    c.data = ml_collections.ConfigDict(
        dict(name="markov_topics", num_topics=2, vocab_size=5, length=6, num_examples=200, seed=0)
    )
    c.model.update(name="lstm", likelihood="categorical", embed_dim=4, hidden=8)
    return c


@pytest.mark.parametrize(
    "make_config, axis",
    [
        pytest.param(tiny_config, "beta", id="mlp"),
        # the recurrent path, ~1 min to compile on 2 cores: in `make test-all`
        pytest.param(tiny_text_config, "context_dropout", id="lstm", marks=pytest.mark.slow),
    ],
)
def test_vmapped_run_equals_single_run(tmp_path, make_config, axis):
    c = make_config(**{axis: (0.0, 0.5) if axis == "context_dropout" else (0.5, 2.0)}, seed=(0, 1))
    results = sweep.run_sweep(c, tmp_path, progress=False)
    dataset = data.load(c.data)
    single = jax.jit(train.make_train(c, models.build(c.model, dataset.meta), dataset))
    hparams = {
        k: jnp.asarray(v, jnp.int32 if k == "seed" else jnp.float32)
        for k, v in config_lib.HPARAM_DEFAULTS.items()
    }
    value = float(c.sweep[axis][1])
    hparams.update({axis: jnp.float32(value), "seed": jnp.int32(1)})
    state, trace = single(hparams, jax.random.PRNGKey(1))
    chex.assert_tree_all_finite(trace)
    run = results.sel({axis: value, "seed": 1})
    np.testing.assert_allclose(trace["kl"], run.kl_trace.values, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(trace["loss"], run.loss_trace.values, rtol=1e-4)
    np.testing.assert_allclose(
        trace["kl_per_dim"], run.kl_per_dim_trace.values, rtol=1e-4, atol=1e-5
    )
    np.testing.assert_allclose(trace["beta"], hparams["beta"])
    assert int(state.step) == c.train.steps and not bool(state.diverged)
    if c.data.name == "markov_topics":  # the generating factor's information, log K topics
        np.testing.assert_allclose(results.attrs["mi_bound"], np.log(2), rtol=1e-6)


def test_results_file_layout(tmp_path):
    c = tiny_config(beta=(0.5, 2.0), seed=(0, 1))
    sweep.run_sweep(c, tmp_path, progress=False)
    ds = xr.open_dataset(tmp_path / "results.nc")
    assert dict(ds.sizes) == {
        "beta": 2,
        "seed": 2,
        "step": 4,
        "latent": 3,
        "example": 8,
        "frame": 8,
        "pixel": 64,
        "mu_bin": 40,
        "sigma_bin": 40,
    }
    for name in (
        "kl",
        "kl_per_dim",
        "recon",
        "elbo",
        "active_units",
        "mutual_info",
        "nll_iw",
        "collapse_state",
        "collapse_onset_step",
        "diverged",
        "kl_trace",
        "loss_trace",
        "mean_abs_mu",
        "mean_sigma",
    ):
        assert name in ds, name
    assert ds.kl_per_dim.dims == ("beta", "seed", "latent")
    assert ds.kl_trace.dims == ("beta", "seed", "step")
    np.testing.assert_array_equal(ds.step.values, [10, 20, 30, 40])
    assert json.loads(ds.attrs["config"])["sweep"]["beta"] == [0.5, 2.0]
    assert "jax" in json.loads(ds.attrs["versions"]) and ds.attrs["device_kind"] == "cpu"
    assert ds.attrs["wall_time_s"] > 0
    ds.close()


def test_independent_of_chunk_size(tmp_path):
    c = tiny_config(beta=(0.5, 1.0, 2.0), seed=(0, 1))
    whole = sweep.run_sweep(c, tmp_path / "whole", progress=False)
    c.sweep_chunk = 4  # 6 runs -> chunks of 4 (2 padded)
    chunked = sweep.run_sweep(c, tmp_path / "chunked", progress=False)
    assert_results_close(whole, chunked)


def test_one_compile_per_static_point(tmp_path, monkeypatch):
    traces = []  # one counter per static point (chex's counter keys on id(fn), reused here)
    original = train.make_train_fns

    def counting(*args, **kwargs):
        fns = original(*args, **kwargs)
        counter = [0]
        traces.append(counter)

        def advance(*a):
            counter[0] += 1
            return fns.advance(*a)

        return fns._replace(advance=advance)

    monkeypatch.setattr(train, "make_train_fns", counting)
    c = tiny_config(beta=(0.5, 1.0, 2.0))
    c.sweep_static.latent_dim = (2, 3)
    c.sweep_chunk = 2  # two chunks per static point, one trace each
    results = sweep.run_sweep(c, tmp_path, progress=False)
    # two memory estimates (shapes only, advance never traced), then one trace per point
    assert [t[0] for t in traces] == [0, 0, 1, 1]
    assert dict(results.sizes)["latent"] == 3 and results.latent_dim.values.tolist() == [2, 3]
    assert np.isnan(results.kl_per_dim.sel(latent_dim=2, latent=2)).all()


def test_determinism_bitwise(tmp_path):
    c = tiny_config(beta=(0.5, 2.0))
    a = sweep.run_sweep(c, tmp_path / "a", progress=False)
    b = sweep.run_sweep(c, tmp_path / "b", progress=False)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def test_divergence_is_isolated(tmp_path):
    # Same grid shape with and without the absurd rate, so the kernels are the same.
    c = tiny_config(learning_rate=(1e-3, 1e30))
    bad = sweep.run_sweep(c, tmp_path / "bad", progress=False)
    c.sweep.learning_rate = (1e-3, 2e-3)
    good = sweep.run_sweep(c, tmp_path / "good", progress=False)
    assert bad.diverged.values.tolist() == [False, True]
    assert not good.diverged.values.any()
    assert bad.diverged_step.sel(learning_rate=1e30) >= 0
    assert bad.diverged_step.sel(learning_rate=1e-3) == -1
    assert np.isfinite(bad.kl.sel(learning_rate=1e30))  # frozen at its last finite state
    for name in (v for v in good.data_vars if "learning_rate" in good[v].dims):
        np.testing.assert_array_equal(
            bad[name].sel(learning_rate=1e-3).values,
            good[name].sel(learning_rate=1e-3).values,
            err_msg=name,
        )


class SimulatedCrashError(Exception):
    pass


def test_resume_after_interrupt_matches_uninterrupted(tmp_path, monkeypatch):
    c = tiny_config(beta=(0.5, 1.0, 2.0))
    c.sweep_chunk = 2
    reference = sweep.run_sweep(c, tmp_path / "ref", progress=False)

    class Crashing(sweep.tqdm):
        updates = 0

        def update(self, n=1):
            Crashing.updates += 1
            if Crashing.updates == 7:  # second chunk, after its first checkpoint
                raise SimulatedCrashError
            return super().update(n)

    monkeypatch.setattr(sweep, "tqdm", Crashing)
    with pytest.raises(SimulatedCrashError):
        sweep.run_sweep(c, tmp_path / "resumed", progress=False)
    assert (tmp_path / "resumed" / "chunks" / "point0_chunk0.npz").exists()
    assert any((tmp_path / "resumed" / "checkpoints" / "point0_chunk1").iterdir())
    assert not (tmp_path / "resumed" / "results.nc").exists()
    monkeypatch.setattr(sweep, "tqdm", sweep.tqdm.__mro__[1])
    resumed = sweep.run_sweep(c, tmp_path / "resumed", progress=False)
    for name in reference.data_vars:
        np.testing.assert_array_equal(reference[name].values, resumed[name].values, err_msg=name)


def test_independent_of_device_count(tmp_path):
    c = tiny_config(beta=(0.5, 1.0, 2.0))
    reference = sweep.run_sweep(c, tmp_path / "one", progress=False)
    script = (
        "import sys, jax; sys.path.insert(0, 'tests'); from conftest import tiny_config;"
        "from vaecollapse import sweep; assert jax.device_count() == 4;"
        "c = tiny_config(beta=(0.5, 1.0, 2.0));"
        f"sweep.run_sweep(c, {str(tmp_path / 'four')!r}, progress=False)"
    )
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, cwd=os.getcwd())
    four = xr.load_dataset(tmp_path / "four" / "results.nc")
    assert four.attrs["num_devices"] == 4
    assert_results_close(reference, four, rtol=1e-4, atol=1e-4)


def test_batch_larger_than_dataset_rejected(tmp_path):
    c = tiny_config()
    c.train.batch_size = 5000
    with pytest.raises(ValueError, match=r"batch_size=5000 is invalid: must be <= the 1438"):
        sweep.run_sweep(c, tmp_path, progress=False)


def test_memory_aware_chunking():
    c = tiny_config(beta=(0.5, 1.0, 2.0, 4.0, 8.0))
    dataset = data.load(c.data)
    per_run = sweep.run_bytes(c, dataset)
    params = 2 * (64 * 16 + 16 + 16 * 6 + 6 + 3 * 16 + 16 + 16 * 64 + 64)  # params + previous
    assert per_run > 4 * 4 * params  # params, previous params, Adam's two moments, ×4
    # automatic: as many runs as fit in the budget, rounded up to the device count
    assert sweep.chunk_size(c, 5, 1, per_run, budget=2 * per_run + 1) == 2
    assert sweep.chunk_size(c, 5, 4, per_run, budget=2 * per_run + 1) == 4
    assert sweep.chunk_size(c, 5, 1, per_run, budget=10**12) == 5
    c.sweep_chunk = 3  # explicit setting wins over the budget
    assert sweep.chunk_size(c, 5, 1, per_run, budget=per_run) == 3
    assert sweep.memory_budget(jax.devices()) > 0


def test_probe_traces(tmp_path):
    c = tiny_config(beta=(0.1, 50.0))
    results = sweep.run_sweep(c, tmp_path, progress=False)
    au = results.active_units_trace
    assert au.dims == ("beta", "step") and au.dtype == np.int32
    assert ((au >= 0) & (au <= c.model.latent_dim)).all()
    assert (results.mutual_info_trace <= np.log(c.diagnostics.trace_examples) + 1e-4).all()
    # the final probe and the final eval agree in kind: strong β has fewer active units
    assert au.sel(beta=50.0)[-1] <= au.sel(beta=0.1)[-1]
    assert results.recon_examples.dims == ("beta", "example", "pixel")
    assert results.eval_images.shape == (8, 64)


def _variant(**model):
    tokens = model.get("name") == "transformer"
    c = (tiny_text_config if tokens else tiny_config)(seed=(0, 1))
    c.train.steps = 20
    c.model.update(**model)
    return c


@pytest.mark.parametrize(
    "model, sweep_axis",
    [
        pytest.param(  # slow: PixelCNN also trains in the image_phase/remedies claims
            dict(name="pixelcnn", conv_features=(4,), pixelcnn_features=4, pixelcnn_layers=2),
            ("context_dropout", (0.0, 1.0)),
            marks=pytest.mark.slow,
        ),
        (
            dict(bottleneck="vq", num_codes=8, codebook_update="loss"),
            ("commitment_cost", (0.25, 1.0)),
        ),
        (
            dict(bottleneck="vq", num_codes=8, codebook_update="ema", code_groups=3),
            ("dead_code_restart", (0.0, 1.0)),
        ),
        (dict(name="conv", conv_features=(4, 8), conditional=True), ("beta", (1.0,))),
        pytest.param(  # slow: the Transformer also trains in the text_collapse claim
            dict(name="transformer", transformer_width=8, transformer_heads=2),
            ("context_dropout", (0.0, 0.5)),
            marks=pytest.mark.slow,
        ),
    ],
    ids=["pixelcnn", "vq-loss", "vq-ema-restart", "conv-cvae", "transformer"],
)
def test_every_model_trains_inside_the_vmapped_sweep(tmp_path, model, sweep_axis):
    c = _variant(**model)
    c.sweep[sweep_axis[0]] = sweep_axis[1]
    results = sweep.run_sweep(c, tmp_path, progress=False)
    for name in ("loss_trace", "recon", "elbo", "kl", "mutual_info"):
        assert np.isfinite(results[name].values).all(), name
    assert not results.diverged.values.any()
    if model.get("bottleneck") == "vq":
        used = results.codes_used.values
        assert ((used >= 1) & (used <= 8)).all()
        assert (results.codebook_perplexity.values <= used + 1e-4).all()
        np.testing.assert_allclose(  # the point-mass ELBO: KL = groups · log K
            results.elbo.values,
            -(results.recon.values + model.get("code_groups", 1) * np.log(8)),
            rtol=1e-5,
        )


def test_variants_equal_the_sweeps_they_stand_for(tmp_path):
    """Named variants (hyperparameter ones vmapped together, a static one compiled apart)
    give the same runs as ordinary sweeps with those values."""
    c = tiny_config(seed=(0, 1))
    c.variants = (
        ("small_beta", (("beta", 0.5),)),
        ("warmup", (("schedule", "linear_warmup"), ("warmup_steps", 20.0))),
        ("big_beta", (("beta", 2.0),)),
    )
    assert [len(m) for _, m in config_lib.variant_groups(c)] == [2, 1]
    results = sweep.run_sweep(c, tmp_path / "variants", progress=False)
    assert list(results.kl.dims) == ["variant", "seed"]
    assert list(results.variant.values) == ["small_beta", "warmup", "big_beta"]
    plain = sweep.run_sweep(
        tiny_config(beta=(0.5, 2.0), seed=(0, 1)), tmp_path / "plain", progress=False
    )
    warm = tiny_config(seed=(0, 1))
    warm.train.schedule, warm.hparams.warmup_steps = "linear_warmup", 20.0
    warm = sweep.run_sweep(warm, tmp_path / "warm", progress=False)
    assert_results_close(results.sel(variant="small_beta"), plain.sel(beta=0.5))
    assert_results_close(results.sel(variant="big_beta"), plain.sel(beta=2.0))
    assert_results_close(results.sel(variant="warmup"), warm)


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
        config_lib.validate(c)


def test_one_device_to_host_transfer_per_logged_interval(tmp_path, monkeypatch):
    """The explicit device→host transfers are counted: one per logged interval (the trace
    row) and one per chunk (the results); implicit ones are forbidden (the guard bites on
    accelerators; on CPU, host and device share memory). And the compiled step loop
    holds no host callback (a `jax.debug.print` or `io_callback` in a step would)."""
    calls = []
    real_get = jax.device_get
    monkeypatch.setattr(jax, "device_get", lambda tree: calls.append(1) or real_get(tree))
    c = tiny_config(beta=(0.5, 2.0))
    c.checkpoint_every = 10_000  # no mid-chunk checkpoint (orbax copies state to host)
    with jax.transfer_guard_device_to_host("disallow"):
        sweep.run_sweep(c, tmp_path, progress=False)
    num_logs = c.train.steps // c.train.log_every
    assert len(calls) == num_logs + 1
    dataset = data.load(c.data)
    hparams = {k: jnp.float32(v) for k, v in config_lib.HPARAM_DEFAULTS.items()}
    hparams["seed"] = jnp.int32(0)
    run = train.make_train(c, models.build(c.model, dataset.meta), dataset)
    program = jax.jit(run).lower(hparams, jax.random.PRNGKey(0)).as_text()
    assert "scan" in program or "while" in program
    assert "callback" not in program


def tiny_train_fns(log_every: int | None = None):
    """(config, dataset, `TrainFns`, train data, default hparams) of `tiny_config`."""
    c = config_lib.finalize(tiny_config())
    if log_every is not None:
        c.train.log_every = log_every
    dataset = data.load(c.data)
    fns = train.make_train_fns(c, models.build(c.model, dataset.meta), dataset)
    train_data = train.data_arrays(dataset.train, dataset.train_labels)
    hparams = {k: jnp.float32(v) for k, v in config_lib.HPARAM_DEFAULTS.items()}
    return c, dataset, fns, train_data, hparams


def test_diverged_run_is_frozen_at_its_last_logged_state():
    """Two healthy intervals, then a rate that blows up inside the third: the run keeps
    the state of the second interval's end, flags the first bad step, averages the
    third interval's trace over its steps before divergence and logs NaN afterwards."""
    c, _, fns, train_data, hparams = tiny_train_fns()
    key = jax.random.PRNGKey(0)
    advance = jax.jit(fns.advance)
    state = fns.init(hparams, key, train_data)
    for _ in range(2):
        state, _ = advance(state, hparams, key, train_data)
    healthy = state
    blown = {**hparams, "learning_rate": jnp.float32(1e30)}
    state, bad_trace = advance(state, blown, key, train_data)
    state, dead_trace = advance(state, hparams, key, train_data)
    chex.assert_trees_all_equal(
        (state.params, state.opt_state), (healthy.params, healthy.opt_state)
    )
    assert bool(state.diverged) and int(state.step) == 4 * c.train.log_every
    assert 2 * c.train.log_every < int(state.diverged_step) < 3 * c.train.log_every
    assert np.isfinite(bad_trace["loss"]) and np.isnan(dead_trace["loss"])
    chex.assert_tree_all_finite((dead_trace["active_units"], dead_trace["mutual_info"]))


def test_interval_draws_depend_only_on_the_step():
    """The draws of an interval starting at step t are rows t, t+1, … of the draws from
    step 0 (per-step keys fold in the step), so segmenting a run changes nothing; and
    they are a standard normal and in-range indices (a Monte-Carlo check)."""
    c, dataset, fns, _, _ = tiny_train_fns(log_every=64)
    key = jax.random.PRNGKey(3)
    draws = jax.jit(fns.draws)
    index, eps, drop_keys = draws(key, jnp.int32(0))
    later = draws(key, jnp.int32(5))
    chex.assert_shape(
        (index, eps), [(64, c.train.batch_size), (64, c.train.batch_size, c.model.latent_dim)]
    )
    for full, shifted in zip((index, eps, drop_keys), later, strict=True):
        np.testing.assert_array_equal(np.asarray(full)[5:], np.asarray(shifted)[:-5])
    assert int(index.min()) >= 0 and int(index.max()) < dataset.train.shape[0]
    assert abs(float(eps.mean())) < 0.05 and abs(float(eps.std()) - 1.0) < 0.05


@pytest.mark.parametrize(
    ("requested", "platform", "group"),
    [
        (-1, "cpu", devices.CPU_RUN_GROUP),
        (-1, "gpu", 0),
        (-1, "tpu", 0),
        (8, "gpu", 8),
        (0, "cpu", 0),
    ],
)
def test_run_group_is_automatic_per_backend(requested, platform, group):
    """-1 (the default) groups runs for the CPU cache and vmaps a device's runs at once
    on accelerators; any other value is kept."""
    assert devices.run_group(requested, platform) == group


def test_step_is_one_step_of_advance():
    """`TrainFns.step`, called once per step from Python, trains exactly as `advance`
    does over the same steps (same draws, same updates)."""
    c, _, fns, train_data, hparams = tiny_train_fns(log_every=3)
    key = jax.random.PRNGKey(1)
    start = fns.init(hparams, key, train_data)
    advanced, trace = jax.jit(fns.advance)(start, hparams, key, train_data)
    state, losses = start, []
    step = jax.jit(fns.step)
    for _ in range(c.train.log_every):
        state, metrics = step(state, hparams, key, train_data)
        losses.append(metrics["loss"])
    chex.assert_trees_all_close(
        (state.params, state.opt_state), (advanced.params, advanced.opt_state), rtol=1e-5, atol=1e-7
    )
    assert int(state.step) == int(advanced.step) == c.train.log_every
    np.testing.assert_allclose(np.mean(losses), trace["loss"], rtol=1e-6)
