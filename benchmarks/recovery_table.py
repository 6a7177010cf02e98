"""The recovery table of an excursion grid (`experiments/recovery.py`): each run against
its control — the run of the same seed and other settings with β_peak = β, no excursion —
in final active units and −ELBO. A run is *stuck* when it ends with fewer active units
than its control; per setting: the seeds stuck with a Clopper–Pearson interval, the exact
sign test of the pairs (stuck vs more units than the control), and the −ELBO gap to the
controls (mean ± sample std over seeds).

    python benchmarks/recovery_table.py runs/recovery
"""

from __future__ import annotations

import argparse
import json

from vaecollapse import results, stats


def recovery_rows(workdir: str) -> list[dict]:
    """One row per excursion setting (β_peak ≠ β and the other swept axes but seed)."""
    data = results.load(workdir)
    beta = json.loads(data.attrs["config"])["hparams"]["beta"]
    if "beta" in data.dims:
        raise ValueError("recovery_table reads grids at one β (config.hparams.beta)")
    axes = [d for d in results.run_dims(data) if d != "seed"]
    control = data.sel(beta_peak=beta)
    rows = []
    stacked = data.stack(setting=axes)
    for i in range(stacked.sizes["setting"]):
        run = stacked.isel(setting=i)
        if float(run.beta_peak) == beta:
            continue
        ref = control.sel({d: run[d].values for d in axes if d != "beta_peak"})
        units, ref_units = run.active_units.values, ref.active_units.values
        rows.append(
            {
                "setting": ", ".join(f"{d}={run[d].values.item():g}" for d in axes),
                "units": units,
                "control_units": ref_units,
                "gap": (-run.elbo.values) - (-ref.elbo.values),
                "stuck": int((units < ref_units).sum()),
                "better": int((units > ref_units).sum()),
                "n": len(units),
            }
        )
    return rows


def markdown(workdir: str) -> str:
    """The table, one row per excursion setting."""
    lines = [
        "| setting | active units (seeds) | control's | −ELBO − control's (nats) | "
        "stuck (95 % CI) | sign test p |",
        "|---|---|---|---|---|---|",
    ]
    for r in recovery_rows(workdir):
        ci = stats.clopper_pearson(r["stuck"], r["n"])
        gap = r["gap"]
        spread = f"{gap.mean():.2f} ± {gap.std(ddof=1):.2f}" if r["n"] > 1 else f"{gap.mean():.2f}"
        lines.append(
            f"| {r['setting']} | {' '.join(str(int(u)) for u in r['units'])} | "
            f"{' '.join(str(int(u)) for u in r['control_units'])} | {spread} | "
            f"{r['stuck']}/{r['n']} ({ci.low:.2f}–{ci.high:.2f}) | "
            f"{stats.sign_test(r['stuck'], r['better']):.3g} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir")
    print(markdown(parser.parse_args(argv).workdir))


if __name__ == "__main__":
    main()
