"""Seconds that `vaecollapse report` takes at 100, 1,000 and 10,000 runs, per step.

A real sweep of 100 runs (a linear VAE on linear-Gaussian data: β 10 × seed 10, 400
steps logged every 10) is trained once; larger grids repeat its runs along a
``learning_rate`` axis (β 10 × learning rate m × seed 10), which costs the report the
same as distinct runs. Each size is reported with `report.report` (every figure,
summary.md, boundary.csv, runs.csv), each step timed on its own. JSON records
{runs, total_s, steps: {name: s}, summary_lines}.

    python benchmarks/report_scaling.py --runs 100 1000 10000 --json benchmarks/report_scaling.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
import time
from pathlib import Path

import ml_collections
import numpy as np
import xarray as xr

from vaecollapse import config as config_lib
from vaecollapse import report, results, sweep


def base_sweep(workdir: Path) -> xr.Dataset:
    c = config_lib.base_config()
    c.name = "report_scaling"
    c.data = ml_collections.ConfigDict(
        dict(name="linear_gaussian", eigenvalues=(16.0, 4.0, 1.0, 0.25), num_examples=2000, seed=0)
    )
    c.model.update(name="linear", latent_dim=4, likelihood="gaussian", sigma2=1.0)
    c.train.update(steps=400, log_every=10, batch_size=128, eval_examples=256)
    c.train.lr_schedule = "cosine"
    c.hparams.learning_rate = 2e-2
    c.diagnostics.iw_samples = 8
    c.sweep.beta = tuple(float(f"{b:.3g}") for b in np.geomspace(0.1, 30.0, 10))
    c.sweep.seed = tuple(range(10))
    return sweep.run_sweep(c, workdir, progress=False)


def scaled(base: xr.Dataset, runs: int) -> xr.Dataset:
    """``base`` (β × seed) repeated along a ``learning_rate`` axis to ``runs`` runs."""
    copies = max(1, runs // base.kl.size)
    rates = np.round(np.geomspace(1e-3, 1e-1, copies), 6) if copies > 1 else [2e-2]
    grid = [v for v in base.data_vars if "beta" in base[v].dims]
    out = xr.concat([base[grid]] * copies, dim=xr.DataArray(rates, dims="learning_rate"))
    out = out.transpose("beta", "learning_rate", "seed", ...)
    for name in base.data_vars:
        if name not in grid:
            out[name] = base[name]
    out.attrs = dict(base.attrs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--json", default="benchmarks/report_scaling.json")
    parser.add_argument("--keep", default=None, help="write the workdirs here (to look at)")
    args = parser.parse_args()
    records = []
    with contextlib.ExitStack() as stack:
        tmp = args.keep or stack.enter_context(tempfile.TemporaryDirectory())
        base = base_sweep(Path(tmp) / "base")
        for runs in args.runs:
            workdir = Path(tmp) / f"r{runs}"
            workdir.mkdir()
            results.write(scaled(base, runs), workdir)
            times: dict[str, float] = {}
            start = time.perf_counter()
            report.report(workdir, timings=times)
            total = time.perf_counter() - start
            lines = len((workdir / "summary.md").read_text().splitlines())
            record = {"runs": runs, "total_s": total, "steps": times, "summary_lines": lines}
            records.append(record)
            print(json.dumps(record, default=lambda v: round(v, 2)), flush=True)
    with open(args.json, "w") as f:
        json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
