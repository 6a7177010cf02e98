"""The sweep engine: vmapped == single, chunking, devices, resume, divergence, determinism."""

import os
import subprocess
import sys
import threading

import chex
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest
import xarray as xr
from conftest import tiny_config

from vaecollapse import data, devices, grid, sweep
from vaecollapse.families.vae import models, train

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
def test_vmapped_run_equals_single_run(tmp_path, make_config, axis, default_hparams):
    c = make_config(**{axis: (0.0, 0.5) if axis == "context_dropout" else (0.5, 2.0)}, seed=(0, 1))
    results = sweep.run_sweep(c, tmp_path, progress=False)
    dataset = data.load(c.data)
    single = jax.jit(train.make_train(c, models.build(c.model, dataset.meta), dataset))
    hparams = dict(default_hparams)
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


@pytest.mark.slow  # ~15–25 s: the fast suite keeps to ~10 min on 2 cores
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
    # each static point's trainer built once (its memory estimate traces no advance),
    # then advance traced once per point
    assert [t[0] for t in traces] == [1, 1]
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
    # the crashed process's time is kept for the resumed sweep's wall_time_s
    spent = tmp_path / "resumed" / "chunks" / sweep.SPENT
    assert 0 < float(spent.read_text()) < reference.attrs["wall_time_s"] + 60
    spent.write_text("1000.0")  # as if the first process had worked 1,000 s
    monkeypatch.setattr(sweep, "tqdm", sweep.tqdm.__mro__[1])
    resumed = sweep.run_sweep(c, tmp_path / "resumed", progress=False)
    for name in reference.data_vars:
        np.testing.assert_array_equal(reference[name].values, resumed[name].values, err_msg=name)
    assert 1000.0 < resumed.attrs["wall_time_s"] < 1000.0 + reference.attrs["wall_time_s"] + 60


def test_stop_checkpoints_the_interval_and_resumes_exactly(tmp_path):
    """A stop asked for (Ctrl-C in the CLI) ends the sweep after the current logged
    interval, with that state checkpointed (checkpoint_every would not have saved it);
    re-running resumes to the results of an uninterrupted run, bitwise."""
    c = tiny_config(beta=(0.5, 2.0))
    c.checkpoint_every = 10_000
    reference = sweep.run_sweep(c, tmp_path / "ref", progress=False)

    class StopOnSecondLook(threading.Event):  # Ctrl-C during the first interval
        looks = 0

        def is_set(self):
            self.looks += 1
            return self.looks > 1

    stop = StopOnSecondLook()
    with pytest.raises(sweep.Interrupted, match=r"^point 1/1 chunk 1/1, step 10/40$"):
        sweep.run_sweep(c, tmp_path / "stopped", progress=False, stop=stop)
    assert any((tmp_path / "stopped" / "checkpoints" / "point0_chunk0").iterdir())
    assert not (tmp_path / "stopped" / "results.nc").exists()
    resumed = sweep.run_sweep(c, tmp_path / "stopped", progress=False)
    for name in reference.data_vars:
        np.testing.assert_array_equal(reference[name].values, resumed[name].values, err_msg=name)


@pytest.mark.slow  # ~15–25 s: the fast suite keeps to ~10 min on 2 cores
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
        pytest.param(  # slow: the conv decoder and the CVAE also train in the remedies claims
            dict(name="conv", conv_features=(4, 8), conditional=True),
            ("beta", (1.0,)),
            marks=pytest.mark.slow,
        ),
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
    assert [len(m) for _, m in grid.variant_groups(c)] == [2, 1]
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


def test_one_device_to_host_transfer_per_logged_interval(tmp_path, monkeypatch):
    """The explicit device→host transfers are counted: one per logged interval (the trace
    row) and one per chunk (the results); implicit ones are forbidden (the guard bites on
    accelerators; on CPU, host and device share memory)."""
    calls = []
    real_get = jax.device_get
    monkeypatch.setattr(jax, "device_get", lambda tree: calls.append(1) or real_get(tree))
    c = tiny_config(beta=(0.5, 2.0))
    c.checkpoint_every = 10_000  # no mid-chunk checkpoint (orbax copies state to host)
    with jax.transfer_guard_device_to_host("disallow"):
        sweep.run_sweep(c, tmp_path, progress=False)
    num_logs = c.train.steps // c.train.log_every
    assert len(calls) == num_logs + 1


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
