"""The hysteresis loops of a β ramp grid (`experiments/hysteresis.py`,
`hysteresis_linear.py`): per run, the loop area (`families.vae.memory.loop_area`) of the
KL (train batches, nats) and of the probe's I(x; z) against log β; per ramp length, the
mean ± sample std over seeds; and a figure of the KL against β, rising (solid) and falling
(dashed) branches, one panel per ramp length. Then the order of the transition
(`memory.largest_step`): per ramp, the largest change of any one unit's KL between
consecutive logged points of each branch, against the log-β spacing of those points —
shrinking with the spacing as the ramp slows: continuous; holding its size: a jump.

    python benchmarks/hysteresis_table.py runs/hysteresis [--figure loops.png]
"""

from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from vaecollapse import plots, results
from vaecollapse.families.vae import memory

MEASURES = {"kl_trace": "KL (nats)", "mutual_info_trace": "I(x; z) (nats)"}


def loops(workdir: str):
    """results, and {ramp: {measure: [area per seed]}} with each run's branches."""
    data = results.load(workdir)
    steps = data.step.values
    start = float(json.loads(data.attrs["config"])["hparams"].get("excursion_start", 0.0))
    table, curves = {}, {}
    for ramp in data.excursion_steps.values:
        per = data.sel(excursion_steps=ramp)
        table[float(ramp)] = {m: [] for m in MEASURES}
        curves[float(ramp)] = []
        for seed in per.seed.values:
            run = per.sel(seed=seed)
            beta = run.beta_trace.values
            for m in MEASURES:
                b = memory.branches(beta, run[m].values, steps, float(ramp), start)
                table[float(ramp)][m].append(memory.loop_area(b))
                if m == "kl_trace":
                    curves[float(ramp)].append(b)
    return data, table, curves


def spread(x, digits: int = 2, scale: float = 1.0) -> str:
    """Mean ± sample std of ``x / scale`` (the value alone for one seed)."""
    x = np.asarray(x) / scale
    return (
        f"{x.mean():.{digits}f} ± {x.std(ddof=1):.{digits}f}"
        if len(x) > 1
        else f"{x[0]:.{digits}f}"
    )


def markdown(table) -> str:
    lines = [
        "| ramp (steps) | KL loop area (nats × log β) | I(x; z) loop area | seeds |",
        "|---|---|---|---|",
    ]
    for ramp, areas in table.items():
        cells = [spread(areas[m]) for m in MEASURES]
        lines.append(f"| {ramp:,.0f} | {cells[0]} | {cells[1]} | {len(areas['kl_trace'])} |")
    return "\n".join(lines)


def order_markdown(data) -> str:
    """Per ramp: the log-β spacing of consecutive logged points and the largest change of
    one unit's KL between them on the rise and on the fall (mean ± sample std over seeds;
    the largest over units and points of each run)."""
    steps = data.step.values
    start = float(json.loads(data.attrs["config"])["hparams"].get("excursion_start", 0.0))
    lines = [
        "| ramp (steps) | log-β spacing | largest step of a unit's KL, rise (nats) | "
        "on the fall | per unit of log β, rise | fall |",
        "|---|---|---|---|---|---|",
    ]
    for ramp in data.excursion_steps.values:
        per = data.sel(excursion_steps=ramp)
        rise, fall, spacing = [], [], []
        for seed in per.seed.values:
            run = per.sel(seed=seed)
            beta, per_dim = run.beta_trace.values, run.kl_per_dim_trace.values
            best = {"rise": 0.0, "fall": 0.0}
            for unit in range(per_dim.shape[-1]):
                b = memory.branches(beta, per_dim[:, unit], steps, float(ramp), start)
                best["rise"] = max(best["rise"], memory.largest_step(b.rise_log_beta, b.rise)[0])
                best["fall"] = max(best["fall"], memory.largest_step(b.fall_log_beta, b.fall)[0])
            rise.append(best["rise"])
            fall.append(best["fall"])
            spacing.append(float(np.median(np.diff(b.rise_log_beta))))
        gap = float(np.median(spacing))
        lines.append(
            f"| {ramp:,.0f} | {gap:.3f} | {spread(rise, 3)} | {spread(fall, 3)} | "
            f"{spread(rise, 3, gap)} | {spread(fall, 3, gap)} |"
        )
    return "\n".join(lines)


def figure(data, curves, path) -> None:
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.6), sharey=True)
    for ax, (ramp, runs) in zip(np.atleast_1d(axes), curves.items(), strict=True):
        for i, b in enumerate(runs):
            colour = f"C{i}"
            ax.plot(np.exp(b.rise_log_beta), b.rise, "-", color=colour, lw=1.2)
            ax.plot(np.exp(b.fall_log_beta), b.fall, "--", color=colour, lw=1.2)
        ax.set_xscale("log")
        ax.set_xlabel("β")
        ax.set_title(f"ramp {ramp:,.0f} steps (solid: up, dashed: down)", fontsize=9)
    np.atleast_1d(axes)[0].set_ylabel("KL (nats, train batches)")
    fig.suptitle(plots.title(data, "KL along a β ramp up and back, one colour per seed"))
    plots.save(fig, path, tight=True)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir")
    parser.add_argument("--figure", default=None, help="write the loops' figure here")
    args = parser.parse_args(argv)
    data, table, curves = loops(args.workdir)
    print(markdown(table))
    print()
    print(order_markdown(data))
    if args.figure:
        figure(data, curves, args.figure)


if __name__ == "__main__":
    main()
