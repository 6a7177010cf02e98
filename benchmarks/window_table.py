"""The recovered/stuck table of a remedy-window grid (`experiments/ssl_recovery.py`,
`experiments/gan_recovery.py`): each run against its control — the run of the same seed
and other settings with ``window_steps`` = 0, no window.

Per window setting: the traced order parameter at the window's end (SSL: std·√d of the
normalised embedding, GAN: the share of modes captured; run and control, mean ± sample
std over seeds), the final measures (run and control), how many seeds *recover* (end
healthy by the family's state rule) with a Clopper–Pearson interval, how many are *stuck*
(end collapsed while their control ends healthy) with the exact sign test of the pairs
(stuck vs the reverse), and the time to recover: the median over seeds of the steps from
the window's end to the first logged step from which the traced order parameter stays at
or above the family's threshold (—: some seed never does).

    python benchmarks/window_table.py runs/ssl_recovery
    python benchmarks/window_table.py runs/gan_recovery
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from vaecollapse import families, results, stats
from vaecollapse.families import gan, ssl

# family -> (traced order parameter, its label, the family's threshold on it,
#            final measures (variable, label))
TRACED = {
    "ssl": (
        "std_normalized_trace",
        "std·√d",
        ssl.STD_THRESHOLD,
        (("rankme", "RankMe"), ("std_normalized", "std·√d"), ("probe_accuracy", "probe")),
    ),
    "gan": (
        "modes_fraction_trace",
        "modes / K",
        gan.HEALTHY_FRACTION,
        (("modes_captured", "modes"), ("high_quality", "high quality"), ("reverse_kl", "rev. KL")),
    ),
}


def steps_to_recover(trace: np.ndarray, steps: np.ndarray, end: float, threshold: float):
    """Steps from ``end`` to the first logged step ≥ ``end`` from which ``trace`` stays
    ≥ ``threshold`` to the last; NaN when it does not."""
    ok = trace >= threshold
    for i in np.flatnonzero(steps >= end):
        if ok[i:].all():
            return float(steps[i] - end)
    return float("nan")


def label(value) -> str:
    """A coordinate's value as the table prints it (numbers with ``:g``)."""
    return value if isinstance(value, str) else f"{value:g}"


def window_rows(workdir: str) -> list[dict]:
    """One row per window setting (``window_steps`` > 0 and the other axes but seed)."""
    return rows_of(results.load(workdir), workdir)


def rows_of(data, workdir: str) -> list[dict]:
    """`window_rows` of the loaded results ``data`` of ``workdir``."""
    family = families.of(data)
    if family.name not in TRACED:
        raise ValueError(f"window_table reads SSL and GAN grids; {workdir!r} is {family.name!r}")
    if "window_steps" not in data.dims:
        raise ValueError(f"{workdir!r} has no window_steps axis (sweep.window_steps)")
    trace_name, _, threshold, finals = TRACED[family.name]
    hparams = json.loads(data.attrs["config"])["hparams"]
    healthy = {v: k for k, v in family.state_names.items()}["healthy"]
    axes = [d for d in results.run_dims(data) if d != "seed"]
    steps = data[trace_name].step.values
    rows = []
    stacked = data.stack(setting=axes)
    for i in range(stacked.sizes["setting"]):
        run = stacked.isel(setting=i)
        length = float(run.window_steps)
        if length == 0:
            continue
        ref = data.sel({d: run[d].values.item() for d in axes if d != "window_steps"})
        ref = ref.sel(window_steps=0.0)
        start = float(
            run["window_start"] if "window_start" in run.coords else hparams["window_start"]
        )
        end = start + length
        at_end = int(np.searchsorted(steps, end))  # the first logged step at/after the end
        at_end = min(at_end, len(steps) - 1)
        state, ref_state = run[family.state].values, ref[family.state].values
        rows.append(
            {
                "setting": ", ".join(f"{d}={label(run[d].values.item())}" for d in axes),
                "values": {d: run[d].values.item() for d in axes},
                "window": f"{start:g}–{end:g}",
                "in_window": run[trace_name].isel(step=at_end).values,
                "control_in_window": ref[trace_name].isel(step=at_end).values,
                "finals": {title: (run[name].values, ref[name].values) for name, title in finals},
                "recovered": int((state == healthy).sum()),
                "stuck": int(((state != healthy) & (ref_state == healthy)).sum()),
                "reverse": int(((state == healthy) & (ref_state != healthy)).sum()),
                "controls_healthy": int((ref_state == healthy).sum()),
                "n": len(state),
                "to_recover": [
                    steps_to_recover(t, steps, end, threshold) for t in run[trace_name].values
                ],
            }
        )
    return rows


def spread(x) -> str:
    x = np.asarray(x, float)
    return f"{x.mean():.3g} ± {x.std(ddof=1):.2g}" if len(x) > 1 else f"{x[0]:.3g}"


def markdown(workdir: str) -> str:
    """The table, one row per window setting."""
    data = results.load(workdir)
    rows = rows_of(data, workdir)  # checks the family before TRACED is read
    _, traced_label, _, finals = TRACED[families.of(data).name]
    head = [
        "setting",
        "window",
        f"{traced_label} at its end (control)",
        *(f"final {name} (control)" for _, name in finals),
        "recovered (95 % CI)",
        "stuck / controls healthy",
        "sign test p",
        "steps to recover (median)",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        ci = stats.clopper_pearson(r["recovered"], r["n"])
        times = np.asarray(r["to_recover"])
        median = "—" if np.isnan(times).any() else f"{np.median(times):g}"
        cells = [
            r["setting"],
            r["window"],
            f"{spread(r['in_window'])} ({spread(r['control_in_window'])})",
            *(f"{spread(a)} ({spread(b)})" for a, b in r["finals"].values()),
            f"{r['recovered']}/{r['n']} ({ci.low:.2f}–{ci.high:.2f})",
            f"{r['stuck']}/{r['controls_healthy']}",
            f"{stats.sign_test(r['stuck'], r['reverse']):.3g}",
            median,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir")
    print(markdown(parser.parse_args(argv).workdir))


if __name__ == "__main__":
    main()
