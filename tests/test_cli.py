"""End to end through the command line: run, resume, report, compilation cache."""

import subprocess
import sys

import xarray as xr

CONFIG = """
from vaecollapse.config import base_config

def get_config(arg=None):
    c = base_config()
    c.name = "cli_test"
    c.model.latent_dim = 2
    c.model.encoder_hidden = (16,)
    c.model.decoder_hidden = (16,)
    c.train.steps = 40
    c.train.log_every = 20
    c.train.eval_examples = 32
    c.diagnostics.iw_samples = 2
    c.sweep.beta = (0.5, 4.0)
    return c
"""


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "vaecollapse", *args], capture_output=True, text=True
    )


def test_run_report_and_compile_cache(tmp_path):
    config = tmp_path / "cfg.py"
    config.write_text(CONFIG)
    cache = tmp_path / "cache"
    args = (
        "run",
        str(config),
        "--workdir",
        str(tmp_path / "wd"),
        f"--compile_cache_dir={cache}",
        "--axis=seed=(0, 1)",
    )
    out = run(*args)
    assert out.returncode == 0, out.stderr
    assert "summary.md" in out.stdout and "chunk(s) of" in out.stderr
    results = xr.load_dataset(tmp_path / "wd" / "results.nc")
    assert dict(results.sizes)["beta"] == 2 and dict(results.sizes)["seed"] == 2
    assert any(cache.iterdir())  # compiled programs kept for the next run
    again = run(*args)  # same config, same workdir: loads the finished chunks
    assert again.returncode == 0, again.stderr
    report = run("report", str(tmp_path / "wd"))
    assert report.returncode == 0 and "phase_diagram.png" in report.stdout


def test_bad_axis_is_named(tmp_path):
    out = run("run", "experiments/demo.py", "--workdir", str(tmp_path), "--axis=seed=oops")
    assert out.returncode != 0 and "--axis='seed=oops' is invalid" in out.stderr


def test_usage_and_missing_results(tmp_path):
    assert "usage: vaecollapse run" in run().stderr
    out = run("report", str(tmp_path))
    assert out.returncode != 0 and "no results at" in out.stderr
