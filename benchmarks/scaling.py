"""Plot the cost per run as the grid grows, from `sweep_throughput.py` JSON records.

For each model in the JSON files: milliseconds per run-step against the number of runs N,
for the vmapped sweep, the same runs one after another (jitted scans), a Python loop of
jitted steps, and the runs' random draws alone (no mode can cost less than those). A
dotted line marks where memory, not compute, would set the chunk size: the N at which
`sweep.run_bytes` × N exceeds the sweep's memory budget (half the free memory), beyond
which `vaecollapse run` splits the grid into chunks.

    python benchmarks/scaling.py benchmarks/sweep_throughput.json --out benchmarks/scaling.png
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import jax
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from sweep_throughput import experiment_config, reference_config

from vaecollapse import data, sweep

MODES = (
    ("vmapped_run_steps_per_s", "vmapped sweep", "o-"),
    ("sequential_run_steps_per_s", "one after another (jitted scans)", "s--"),
    ("loop_run_steps_per_s", "Python loop of jitted steps", "^:"),
    ("draws_only_run_steps_per_s", "random draws alone (a floor for every mode)", "x-."),
)


def memory_bound_runs(model: str) -> int:
    """Runs that fit the sweep's memory budget at once for ``model``'s config."""
    c = reference_config() if model == "reference" else experiment_config(model)
    per_run = sweep.run_bytes(c, data.load(c.data))
    return sweep.memory_budget(jax.devices()) // per_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+")
    parser.add_argument("--out", default="benchmarks/scaling.png")
    args = parser.parse_args()
    by_model = defaultdict(list)
    for path in args.json:
        with open(path) as f:
            for record in json.load(f):
                by_model[record.get("model", "reference")].append(record)
    fig, axes = plt.subplots(
        1, len(by_model), figsize=(5 * len(by_model), 4), squeeze=False, sharey=False
    )
    for ax, (model, records) in zip(axes[0], by_model.items(), strict=True):
        records.sort(key=lambda r: r["runs"])
        runs = [r["runs"] for r in records]
        for key, label, style in MODES:
            ax.plot(runs, [1e3 / r[key] for r in records], style, label=label)
        limit = memory_bound_runs(model)
        if limit <= 4 * max(runs):
            ax.axvline(limit, color="grey", ls=":", label=f"memory sets chunks above N={limit}")
        else:
            ax.set_title(f"{model} (memory fits ~{limit:.0e} runs at once)", fontsize=9)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("runs N")
        ax.set_ylabel("ms per run-step")
        ax.set_title(ax.get_title() or model)
        ax.legend(fontsize=7)
    fig.suptitle(f"cost per run as the grid grows ({jax.devices()[0].device_kind})")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(args.out)


if __name__ == "__main__":
    main()
