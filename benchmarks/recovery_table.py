"""The recovery table of an excursion grid (`experiments/recovery.py`): each run against
its control — the run of the same seed and other settings with β_peak = β, no excursion —
in final active units and in the loss: the −ELBO on the training batches of the last
logged interval (β = β again there: the objective gradient descent minimises) and, on the
eval split, the −ELBO and the importance-weighted NLL. A run is *stuck* when it ends with
fewer active units than its control; per setting: the seeds stuck with a Clopper–Pearson
interval, the exact sign test of the pairs (stuck vs more units than the control), and
each gap to the controls (mean ± sample std over seeds; positive: worse than the control).

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
        train = lambda r: (r.recon_trace + r.kl_trace).isel(step=-1).values  # noqa: E731
        rows.append(
            {
                "setting": ", ".join(f"{d}={run[d].values.item():g}" for d in axes),
                "units": units,
                "control_units": ref_units,
                "train_gap": train(run) - train(ref),
                "gap": (-run.elbo.values) - (-ref.elbo.values),
                "nll_gap": run.nll_iw.values - ref.nll_iw.values,
                "stuck": int((units < ref_units).sum()),
                "better": int((units > ref_units).sum()),
                "n": len(units),
            }
        )
    return rows


def markdown(workdir: str) -> str:
    """The table, one row per excursion setting."""
    lines = [
        "| setting | active units (seeds) | control's | train −ELBO gap | eval −ELBO gap | "
        "eval IW-NLL gap | stuck (95 % CI) | sign test p |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def spread(gap):
        return f"{gap.mean():+.2f} ± {gap.std(ddof=1):.2f}" if len(gap) > 1 else f"{gap[0]:+.2f}"

    for r in recovery_rows(workdir):
        ci = stats.clopper_pearson(r["stuck"], r["n"])
        lines.append(
            f"| {r['setting']} | {' '.join(str(int(u)) for u in r['units'])} | "
            f"{' '.join(str(int(u)) for u in r['control_units'])} | {spread(r['train_gap'])} | "
            f"{spread(r['gap'])} | {spread(r['nll_gap'])} | "
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
