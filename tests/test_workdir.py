"""Workdir safety: config mismatch refused, one writer at a time, atomic files."""

import fcntl
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import xarray as xr
from conftest import tiny_config

from vaecollapse import sweep, workdir


def test_different_config_refused_unless_overwrite(tmp_path):
    c = tiny_config(beta=(0.5,))
    sweep.run_sweep(c, tmp_path, progress=False)
    c.sweep.beta = (0.5, 2.0)
    with pytest.raises(ValueError, match=r"holds results of a different config.*--overwrite"):
        sweep.run_sweep(c, tmp_path, progress=False)
    results = sweep.run_sweep(c, tmp_path, overwrite=True, progress=False)
    assert results.sizes["beta"] == 2


def test_concurrent_run_refused(tmp_path):
    c = tiny_config()
    (tmp_path / ".lock").touch()
    with open(tmp_path / ".lock") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process's lock
        script = textwrap.dedent(f"""
            import sys; sys.path.insert(0, 'tests')
            from conftest import tiny_config
            from vaecollapse import sweep
            sweep.run_sweep(tiny_config(), {str(tmp_path)!r}, progress=False)
        """)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode != 0 and "is in use by another vaecollapse process" in out.stderr
    assert not (tmp_path / "results.nc").exists()
    sweep.run_sweep(c, tmp_path, progress=False)  # free again


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "x.npz"
    with pytest.raises(RuntimeError), workdir.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed mid-write")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    workdir.save_npz(target, {"a": np.arange(3)})
    np.testing.assert_array_equal(workdir.load_npz(target)["a"], [0, 1, 2])


CONFIG = """
from vaecollapse.config import base_config

def get_config(arg=None):
    c = base_config()
    c.model.latent_dim = 4
    c.model.encoder_hidden = (64,)
    c.model.decoder_hidden = (64,)
    c.train.steps = 3000
    c.train.log_every = 50
    c.checkpoint_every = 250
    c.train.eval_examples = 128
    c.sweep.beta = (0.3, 3.0)
    c.sweep.seed = (0, 1)
    c.sweep_chunk = 2
    return c
"""


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume(tmp_path):
    """SIGKILL during compile, mid-chunk, around checkpoints; the resumed result is
    bit-identical to an uninterrupted run."""
    config = tmp_path / "cfg.py"
    config.write_text(CONFIG)

    def cli(wd):
        cmd = [
            sys.executable,
            "-m",
            "vaecollapse",
            "run",
            str(config),
            "--workdir",
            str(wd),
            "--noprogress",
            "--cpu_devices=1",
        ]
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    assert cli(tmp_path / "ref").wait() == 0
    rng = np.random.default_rng(0)
    killed = []
    for delay in [1.5, *rng.uniform(3.0, 12.0, size=5)]:
        proc = cli(tmp_path / "killed")
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.kill()  # SIGKILL
            killed.append(proc.wait() == -signal.SIGKILL)
    # the run was really cut short by SIGKILL, more than once, and got past the compile
    assert len(killed) >= 2 and all(killed), killed
    assert any((tmp_path / "killed" / "chunks").glob("*.npz"))
    assert cli(tmp_path / "killed").wait() == 0
    ref = xr.load_dataset(tmp_path / "ref" / "results.nc")
    resumed = xr.load_dataset(tmp_path / "killed" / "results.nc")
    for name in ref.data_vars:
        np.testing.assert_array_equal(ref[name].values, resumed[name].values, err_msg=name)
