"""Fit the early-warning threshold on some experiments' grids, evaluate it on others.

Reads the ``results.nc`` of finished experiment workdirs (``make demo linear-phase
image-phase``). For every run: I(x; z) of the probe at 20 % of training
(`warning.warning_index`) and whether the run ended fully collapsed. Fits
`warning.fit` on the --fit workdirs, scores it (`warning.scores`) on the --held-out
ones, and prints both as JSON, for the fitted threshold and for the one
`warning.THRESHOLD` ships (fitted 2026-11-27, when "ended fully collapsed" meant no
active unit; docs/vae.md, "Early warning").

    python benchmarks/early_warning.py --fit runs/demo runs/linear_phase \\
        --held-out runs/image_phase
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from vaecollapse import results, warning


def outcomes(workdirs: list[str]):
    """(I(x; z) at the warning step, ended fully collapsed, warning step, onset) per run."""
    mi, full, onset, steps = [], [], [], set()
    for workdir in workdirs:
        r = results.load(workdir)
        index = warning.warning_index(r.sizes["step"])
        steps.add(int(r.step[index]))
        mi.append(r.mutual_info_trace.isel(step=index).values.ravel())
        full.append((r.collapse_state.values == 2).ravel())
        onset.append(r.collapse_onset_step.values.ravel())
    return np.concatenate(mi), np.concatenate(full), sorted(steps), np.concatenate(onset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", nargs="+", default=["runs/demo", "runs/linear_phase"])
    parser.add_argument("--held-out", nargs="+", default=["runs/image_phase"])
    args = parser.parse_args()
    per_workdir = {w: outcomes([w]) for w in dict.fromkeys(args.fit + args.held_out)}
    mi, full = (np.concatenate([per_workdir[w][i] for w in args.fit]) for i in (0, 1))
    threshold = warning.fit(mi, full)
    print(json.dumps({"fitted_on": args.fit, "threshold": round(threshold, 4)}))
    for label, value in (("fitted", threshold), ("shipped", warning.THRESHOLD)):
        for name, workdirs in (("fit", args.fit), ("held_out", args.held_out)):
            for workdir in workdirs:
                mi, full, steps, onset = per_workdir[workdir]
                score = warning.scores(mi < value, full, steps[0], onset)
                print(
                    json.dumps(
                        {"threshold": f"{label} {value:.4f}", "set": name, "workdir": workdir}
                        | {"warning_step": steps[0], **score}
                    )
                )


if __name__ == "__main__":
    main()
