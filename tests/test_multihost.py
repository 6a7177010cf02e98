"""Two processes, one sweep: `jax.distributed` on two local CPU processes with gloo
collectives (2 devices each) gives the results of one process on 4 devices, and a
two-process run killed mid-chunk resumes to the same results."""

import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

from vaecollapse import multihost, sweep

CONFIG = """
from vaecollapse.config import base_config

def get_config(arg=None):
    c = base_config()
    c.name = "multihost_test"
    c.model.latent_dim = 2
    c.model.encoder_hidden = (16,)
    c.model.decoder_hidden = (16,)
    c.train.steps = 400
    c.train.log_every = 20
    c.train.eval_examples = 32
    c.checkpoint_every = 20
    c.diagnostics.iw_samples = 2
    c.sweep.beta = (0.5, 1.0, 2.0, 4.0)
    c.sweep.seed = (0, 1)
    c.sweep_chunk = 4
    return c
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(config, workdir, cache, *extra) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "vaecollapse", "run", str(config), "--workdir", str(workdir)]
    cmd += ["--noprogress", f"--compile_cache_dir={cache}", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def start_two(config, workdir, cache, extra=((), ())) -> list[subprocess.Popen]:
    """Processes 0 and 1 of one run, 2 CPU devices each, coordinator on a free port;
    ``extra[i]``: more flags for process i."""
    address = f"--coordinator_address=127.0.0.1:{free_port()}"
    flags = (address, "--num_processes=2", "--cpu_devices=2")
    return [start(config, workdir, cache, *flags, f"--process_id={i}", *extra[i]) for i in range(2)]


def finish(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The config file, a compile cache, and the reference: one process, 4 CPU devices."""
    root = tmp_path_factory.mktemp("multihost")
    config = root / "cfg.py"
    config.write_text(CONFIG)
    finish([start(config, root / "one", root / "cache", "--cpu_devices=4")])
    return config, root / "cache", xr.load_dataset(root / "one" / "results.nc")


def assert_same_results(ref: xr.Dataset, other: xr.Dataset) -> None:
    assert dict(ref.sizes) == dict(other.sizes)
    for name in ref.coords:
        np.testing.assert_array_equal(ref[name].values, other[name].values, err_msg=name)
    for name in ref.data_vars:
        np.testing.assert_allclose(
            ref[name].values, other[name].values, rtol=1e-5, atol=1e-7, err_msg=name
        )
    assert (ref.attrs["num_devices"], other.attrs["num_devices"]) == (4, 4)
    assert (ref.attrs["num_processes"], other.attrs["num_processes"]) == (1, 2)


@pytest.mark.slow  # 36 s beside the module's 19 s setup: the fast suite keeps to ~10 min
def test_two_processes_equal_one_process_on_four_devices(setup, tmp_path):
    config, cache, ref = setup
    finish(start_two(config, tmp_path, cache))
    assert_same_results(ref, xr.load_dataset(tmp_path / "results.nc"))
    # process 0 alone wrote the report; both finished chunks are on disk, and the time
    # spent (for a resumed sweep's wall_time_s)
    assert (tmp_path / "summary.md").exists() and (tmp_path / "phase_diagram.png").exists()
    assert sorted(p.name for p in (tmp_path / "chunks").iterdir()) == [
        "point0_chunk0.npz",
        "point0_chunk1.npz",
        sweep.SPENT,
    ]


@pytest.mark.slow  # 36 s: the fast suite keeps the uninterrupted two-process test
def test_killed_two_process_run_resumes_to_equal_results(setup, tmp_path):
    config, cache, ref = setup
    procs = start_two(config, tmp_path, cache)
    checkpoints = tmp_path / "checkpoints"
    deadline = time.time() + 240
    # kill both once a mid-chunk checkpoint (an orbax step folder) is complete on disk
    while not any(checkpoints.glob("point0_chunk*/[0-9]*")) and time.time() < deadline:
        assert all(p.poll() is None for p in procs), "a process ended before the kill"
        time.sleep(0.2)
    for proc in procs:
        proc.kill()
        assert proc.wait() == -9
    assert not (tmp_path / "results.nc").exists()
    finish(start_two(config, tmp_path, cache))
    assert_same_results(ref, xr.load_dataset(tmp_path / "results.nc"))


def test_processes_with_different_configs_all_stop_with_one_line(setup, tmp_path):
    config, cache, _ = setup
    beta = ("--config.sweep.beta=(0.5,)",), ("--config.sweep.beta=(0.6,)",)
    for proc in start_two(config, tmp_path, cache, beta):
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 1
        assert err.strip().endswith(
            "vaecollapse: error: processes [1] were given a different config from process 0; "
            "launch every process with the same config file and flags"
        )
    assert not (tmp_path / "config.json").exists()


def test_single_process_collectives_are_local():
    """In one process the helpers need no collective and keep values as they are."""
    assert multihost.is_primary()
    assert multihost.agree(True) and not multihost.agree(False)
    assert multihost.same(3) == 3
    np.testing.assert_array_equal(multihost.same(np.arange(3)), np.arange(3))
    with pytest.raises(ValueError, match="boom"):
        multihost.together(lambda: (_ for _ in ()).throw(ValueError("boom")), "x")
    multihost.check_same_config("0123456789abcdef")
    multihost.barrier("nothing to wait for")
