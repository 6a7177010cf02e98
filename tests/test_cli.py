"""End to end through the command line: run, resume, report, compilation cache."""

import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

from vaecollapse import config as config_lib

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


@pytest.mark.slow  # 27 s: a whole run, report and a second run from the compile cache
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


SYNTAX_ERROR = "def get_config(:\n    pass\n"
NO_GET_CONFIG = "x = 1\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["run", "nonexist.py", "--workdir", "{tmp}/w"],
            r"config file 'nonexist.py' not found; known experiments: \['demo'",
        ),
        (
            ["run", "{tmp}/syntax.py", "--workdir", "{tmp}/w"],
            r"config file '.*syntax.py' has a syntax error at line 1",
        ),
        (
            ["run", "{tmp}/noget.py", "--workdir", "{tmp}/w"],
            r"config file '.*noget.py' defines no get_config\(\)",
        ),
        (
            ["run", "experiments/demo.py", "--workdir", "{tmp}/w", "--config.train.stpes=3"],
            r"--config.train.stpes: config.train has no field 'stpes'; did you mean 'steps'\?",
        ),
        (
            [
                "run",
                "experiments/demo.py",
                "--workdir",
                "{tmp}/w",
                "--config.sweep.learning_rate=(0.001,0.003)",
            ],
            r"config.sweep has no field 'learning_rate'; .*; to sweep it, add an axis: "
            r"--axis=learning_rate=\(0.001,0.003\)",
        ),
        (
            ["run", "experiments/demo.py", "--workdir", "{tmp}/afile", "--config.quick=True"],
            r"--workdir '.*afile' is a file, not a directory",
        ),
        (
            ["run", "experiments/demo.py", "--workdir", "/proc/forbidden", "--config.quick=True"],
            r"--workdir '/proc/forbidden' is not usable: ",
        ),
        (["report", "{tmp}/truncated"], r"results.nc' cannot be read .*it may be truncated"),
        (["report", "{tmp}/foreign"], r"results.nc' is not a vaecollapse results file"),
        (
            ["report", "{tmp}/w", "--figures=kl_curve"],
            r"--figures='kl_curve' is invalid: unknown \['kl_curve'\]; allowed: phase_diagram",
        ),
        (["boundary", "{tmp}/foreign"], r"results.nc' is not a vaecollapse results file"),
        (["data", "ptb"], r"'ptb' is not a tfds dataset vaecollapse loads; allowed: \('mnist'"),
        (
            ["run", "experiments/demo.py", "--workdir", "{tmp}/w", "--num_processes=2"],
            r"--coordinator_address, --num_processes and --process_id go together",
        ),
    ],
    ids=[
        "missing-config",
        "syntax-error",
        "no-get-config",
        "unknown-field",
        "new-sweep-axis",
        "workdir-file",
        "workdir-unusable",
        "truncated-results",
        "foreign-results",
        "unknown-figure",
        "boundary-foreign",
        "data-unknown",
        "multihost-partial",
    ],
)
def test_every_slip_is_one_line(tmp_path, args, message):
    """Each slip at the prompt is answered in one line naming it, exit status 1, no
    traceback (rows of the README's bad-input table)."""
    (tmp_path / "syntax.py").write_text(SYNTAX_ERROR)
    (tmp_path / "noget.py").write_text(NO_GET_CONFIG)
    (tmp_path / "afile").write_text("")
    (tmp_path / "truncated").mkdir()
    (tmp_path / "truncated" / "results.nc").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    (tmp_path / "foreign").mkdir()
    xr.Dataset({"a": ("x", np.zeros(3))}).to_netcdf(tmp_path / "foreign" / "results.nc")
    (tmp_path / "w").mkdir()
    xr.Dataset(
        {"kl": ("beta", np.zeros(2))},
        attrs={"format_version": 1, "data_shape": [2], "config": "{}"},
    ).to_netcdf(tmp_path / "w" / "results.nc")
    out = run(*(a.format(tmp=tmp_path) for a in args))
    lines = [line for line in out.stderr.splitlines() if line.startswith("vaecollapse: error")]
    assert out.returncode == 1 and len(lines) == 1, out.stderr
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in out.stderr


def test_explicit_flags_win_over_quick_overrides():
    """``--config.quick=True --config.train.steps=12000`` trains 12,000 steps: a quick
    override gives way to a field (or a field inside a section) set on the command line."""
    c = config_lib.experiment_config("demo")
    c.quick = True
    assert config_lib.finalize(c).train.steps == 300
    assert config_lib.finalize(c, explicit=frozenset({"train.steps"})).train.steps == 1500
    assert config_lib.finalize(c, explicit=frozenset({"sweep.seed"})).sweep.seed == (0, 1, 2)
    assert config_lib.finalize(c, explicit=frozenset({"sweep"})).train.steps == 300


@pytest.mark.slow
def test_ctrl_c_stops_after_the_interval_and_the_rerun_resumes(tmp_path):
    """SIGINT after the first checkpoint: exit 130, one line naming where it stopped and
    the command that goes on, no traceback; that command finishes with the results of an
    uninterrupted run."""
    config = tmp_path / "cfg.py"
    config.write_text(
        CONFIG.replace("c.train.steps = 40", "c.train.steps = 6000").replace(
            "c.train.log_every = 20", "c.train.log_every = 100\n    c.checkpoint_every = 500"
        )
    )
    args = ["run", str(config), "--workdir", str(tmp_path / "wd"), "--noprogress"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "vaecollapse", *args], stderr=subprocess.PIPE, text=True
    )
    checkpoints = tmp_path / "wd" / "checkpoints"
    deadline = time.monotonic() + 300
    while (
        not (checkpoints.exists() and any(checkpoints.rglob("*"))) and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    [line] = [x for x in stderr.splitlines() if x.startswith("vaecollapse: stopped by SIGINT")]
    assert re.search(
        r"at point 1/1 chunk 1/1, step \d+/6000 \(checkpointed\); go on with: vaecollapse run ",
        line,
    )
    assert not (tmp_path / "wd" / "results.nc").exists()
    assert run(*args).returncode == 0
    reference = ["run", str(config), "--workdir", str(tmp_path / "ref"), "--noprogress"]
    assert run(*reference).returncode == 0
    a, b = (
        xr.load_dataset(tmp_path / "wd" / "results.nc"),
        xr.load_dataset(tmp_path / "ref" / "results.nc"),
    )
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


def hand_built_workdir(path):
    """A workdir whose results.nc is a hand-built linear-VAE-like grid (3 dims, 4 β
    values over 6 × 3 seeds): no training, so the boundary commands run in a second."""
    from test_boundary import linear_vae

    from vaecollapse import results

    res = linear_vae([16.0, 3.0, 1.0], 2.0 ** np.arange(-2, 7))
    config = {"collapse_kl_eps": 0.05, "data": {"name": "synthetic"}, "sweep": {}}
    res.attrs.update(config=json.dumps(config), format_version=1, data_shape=[2])
    results.write(res, path)
    return path


def test_a_second_boundary_measure_writes_its_own_file(tmp_path, capsys):
    """``boundary DIR`` writes boundary.csv (the report's table, here I(x; z));
    ``--measure kl_per_dim`` then writes boundary_kl_per_dim.csv and says it left
    boundary.csv alone; a threshold of its own is in the name too."""
    from vaecollapse import cli

    workdir = hand_built_workdir(tmp_path)
    cli.run_main(["vaecollapse", "boundary", str(workdir)])
    first = (workdir / "boundary.csv").read_text()
    assert first.startswith("estimate,low,high,interval,")
    cli.run_main(["vaecollapse", "boundary", str(workdir), "--measure", "kl_per_dim"])
    out = capsys.readouterr().out
    assert (workdir / "boundary.csv").read_text() == first
    assert (workdir / "boundary_kl_per_dim.csv").read_text().startswith("latent,estimate,")
    assert "boundary.csv, the table summary.md shows, is left as it was" in out
    assert "low–high: the range of the seeds' brackets (fewer than 5 seeds" in out
    cli.run_main(["vaecollapse", "boundary", str(workdir), "--measure=kl", "--threshold=0.1"])
    assert (workdir / "boundary_kl_eps_0.1.csv").exists()


def test_boundary_sensitivity_prints_and_writes_the_tables(tmp_path, capsys):
    from vaecollapse import cli

    workdir = hand_built_workdir(tmp_path)
    cli.run_main(["vaecollapse", "boundary", str(workdir), "--sensitivity"])
    out = capsys.readouterr().out
    assert "| ½× (0.025) | 1× (0.05) | 2× (0.1) | depends |" in out
    assert "Runs per state over `beta` × seeds" in out and "healthy 6, partial 12, full 9" in out
    csv = (workdir / "boundary_sensitivity.csv").read_text().splitlines()
    assert csv[0].startswith("factor,threshold,estimate,") and len(csv) == 4
    assert not (workdir / "boundary.csv").exists()  # --sensitivity writes only its own
    cli.run_main(["vaecollapse", "boundary", str(workdir), "--sensitivity", "--factors=1,3"])
    assert "| 1× (0.05) | 3× (0.15) | depends |" in capsys.readouterr().out
    with pytest.raises(SystemExit, match=r"--factors='1,x' is invalid: expected numbers,"):
        cli.run_main(["vaecollapse", "boundary", str(workdir), "--sensitivity", "--factors=1,x"])
    with pytest.raises(SystemExit, match=r"--factors=\(0.0,\) is invalid: each must be > 0"):
        cli.run_main(["vaecollapse", "boundary", str(workdir), "--sensitivity", "--factors=0"])
