"""The recovery table of an excursion grid (`experiments/recovery.py`): each run against
its control — the run of the same seed and other settings with β_peak = β, no excursion —
in final active units and in the loss: the −ELBO on the training batches of the last
logged interval (β = β again there: the objective gradient descent minimises) and, on the
eval split, the −ELBO and the importance-weighted NLL. A run is *stuck* when it ends with
fewer active units than its control; per setting: the seeds stuck with a Clopper–Pearson
interval, the exact sign test of the pairs (stuck vs more units than the control), and
each gap to the controls (mean ± sample std over seeds; positive: worse than the control).

The map: along β_peak, at every other setting (the excursion's length), the boundary of
the units that stay lost — `vaecollapse.boundary` on the final KL of each latent unit
(``kl_per_dim``, ranked per run; ε the sweep's ``collapse_kl_eps``) read as collapse
when β_peak grows: the β_peak past which the first and the second of the units the
control keeps (ranks n−1 and n−2, n = the fewest units above ε in any control) end below
ε, the median over seeds with its interval and status; and a figure (``--figure``): the
seeds stuck per β_peak × length (a phase diagram, each cell ``k/n``) beside each
setting's training −ELBO gap to its control.

    python benchmarks/recovery_table.py runs/recovery [--figure runs/recovery/map.png]
"""

from __future__ import annotations

import argparse
import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from vaecollapse import boundary, results, stats

UNITS_LOST = 2  # the boundaries reported: the first and the second unit that stays lost


def base_beta(data) -> float:
    """The β outside the excursion (``config.hparams.beta``): the controls' β_peak."""
    return json.loads(data.attrs["config"])["hparams"]["beta"]


def train_bound(data):
    """The training −ELBO of the last logged interval (at β again: the objective gradient
    descent minimises), per run."""
    return (data.recon_trace + data.kl_trace).isel(step=-1)


def recovery_rows(data) -> list[dict]:
    """One row per excursion setting (β_peak ≠ β and the other swept axes but seed) of
    the loaded results ``data`` (`vaecollapse.results.load`)."""
    beta = base_beta(data)
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
                "train_gap": train_bound(run).values - train_bound(ref).values,
                "gap": (-run.elbo.values) - (-ref.elbo.values),
                "nll_gap": run.nll_iw.values - ref.nll_iw.values,
                "stuck": int((units < ref_units).sum()),
                "better": int((units > ref_units).sum()),
                "n": len(units),
            }
        )
    return rows


def unit_boundaries(data):
    """`boundary.estimate` along β_peak of the final per-unit KL, collapse as β_peak grows,
    over the other axes and the rank of the units (0 the largest)."""
    return boundary.estimate(data, "beta_peak", "kl_per_dim", direction="increasing")


def control_units(data, threshold: float) -> int:
    """The fewest units any control run (β_peak = β) ends with above ``threshold``: the
    units an excursion can lose (rank 0 the largest; those past them collapsed anyway)."""
    return int((data.kl_per_dim.sel(beta_peak=base_beta(data)) > threshold).sum("latent").min())


def boundary_markdown(data) -> str:
    """One row per other setting: the β_peak past which the k-th of the control's units
    stays lost (rank n−k, n = `control_units`)."""
    found = unit_boundaries(data)
    alive = control_units(data, found.attrs["threshold"])
    others = [n for n in found.dims if n != "latent"]
    lost = range(1, min(UNITS_LOST, alive) + 1)
    heads = [f"unit {k} of the control's {alive} lost: β_peak (interval; status)" for k in lost]
    lines = [
        f"| {' | '.join(others) or 'setting'} | {' | '.join(heads)} | seeds |",
        "|" + "---|" * (max(len(others), 1) + len(lost) + 1),
    ]
    flat = found.stack(point=others) if others else found.expand_dims(point=[0])
    for i in range(flat.sizes["point"]):
        one = flat.isel(point=i)
        keys = [f"{one[n].values.item():g}" for n in others] or ["all"]
        cells = []
        for k in lost:
            r = one.isel(latent=alive - k)
            value = f"{float(r.estimate):.3g}" if np.isfinite(r.estimate) else "—"
            cells.append(f"{value} ({float(r.low):.3g}–{float(r.high):.3g}; {r.status.item()})")
        lines.append(f"| {' | '.join(keys)} | {' | '.join(cells)} | {int(one.seeds.max())} |")
    return "\n".join(lines)


def figure(data, path) -> None:
    """The recovery map: seeds stuck per β_peak × excursion length (cells ``k/n``, colour
    the share), and each setting's training −ELBO gap to its control against β_peak."""
    axes = sorted(d for d in results.run_dims(data) if d != "seed")
    if axes != ["beta_peak", "excursion_steps"]:
        raise ValueError(
            f"the map's figure draws beta_peak × excursion_steps; these results sweep {axes}"
        )
    beta = base_beta(data)
    lengths = data.excursion_steps.values
    peaks = data.beta_peak.values
    units = data.active_units.transpose("excursion_steps", "beta_peak", "seed").values
    ref = data.active_units.sel(beta_peak=beta).transpose("excursion_steps", "seed").values
    stuck = (units < ref[:, None, :]).sum(-1)
    n = units.shape[-1]
    train = train_bound(data)
    gap = (train - train.sel(beta_peak=beta)).transpose("excursion_steps", "beta_peak", "seed")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    image = left.imshow(stuck / n, origin="lower", cmap="Reds", vmin=0, vmax=1, aspect="auto")
    for i in range(len(lengths)):
        for j in range(len(peaks)):
            colour = "white" if stuck[i, j] > n / 2 else "black"
            left.text(j, i, f"{stuck[i, j]}/{n}", ha="center", va="center", color=colour)
    left.set_xticks(range(len(peaks)), [f"{p:g}" for p in peaks])
    left.set_yticks(range(len(lengths)), [f"{int(v):,}" for v in lengths])
    left.set_xlabel(f"β_peak (β = {beta:g} outside the excursion)")
    left.set_ylabel("excursion length (steps)")
    left.set_title("seeds ending with fewer active units than the control")
    fig.colorbar(image, ax=left, label="share stuck")
    for i, length in enumerate(lengths):
        g = gap.values[i]
        right.errorbar(
            peaks,
            g.mean(-1),
            yerr=g.std(-1, ddof=1) if n > 1 else None,
            marker="o",
            capsize=3,
            label=f"{int(length):,} steps",
        )
    right.axhline(0.0, color="grey", lw=0.8)
    right.set_xscale("log")
    right.set_xticks(peaks, [f"{v:g}" for v in peaks])
    right.minorticks_off()
    right.set_xlabel("β_peak")
    right.set_ylabel("train −ELBO − control's (nats)")
    right.set_title("the loss of the solution left behind (mean ± sd)")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def markdown(data) -> str:
    """The table, one row per excursion setting."""
    lines = [
        "| setting | active units (seeds) | control's | train −ELBO gap | eval −ELBO gap | "
        "eval IW-NLL gap | stuck (95 % CI) | sign test p |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def spread(gap):
        return f"{gap.mean():+.2f} ± {gap.std(ddof=1):.2f}" if len(gap) > 1 else f"{gap[0]:+.2f}"

    for r in recovery_rows(data):
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
    parser.add_argument("--figure", default=None, help="write the recovery map's figure here")
    args = parser.parse_args(argv)
    data = results.load(args.workdir)
    print(markdown(data))
    print()
    print(boundary_markdown(data))
    if args.figure:
        figure(data, args.figure)


if __name__ == "__main__":
    main()
