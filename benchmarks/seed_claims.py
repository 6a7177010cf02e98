"""The docs' "k of n seeds" claims, recomputed from a workdir's results.nc: for each value
of one axis (a variant, say), how many seeds satisfy a claim, with its Clopper–Pearson
95 % interval and Fisher's one-sided exact test against a baseline value.

    python benchmarks/seed_claims.py runs/gan_grid --by variant --baseline gan \\
        --claim "modes_captured >= 23 and high_quality > 0.5"
    python benchmarks/seed_claims.py runs/ssl_collapse --by target_gradient \\
        --claim "collapse_state == 2" --where "predictor_lr == 1"

``--claim`` and ``--where`` are `pandas.DataFrame.query` expressions over the runs'
scalar variables (one row per run, as runs.csv).
"""

from __future__ import annotations

import argparse
import sys

from vaecollapse import results, stats


def _same_number(a, b) -> bool:
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def claim_table(workdir: str, by: str, claim: str, baseline=None, where: str | None = None):
    """Rows of (value, k, n, interval, p against the baseline) for each value of ``by``."""
    data = results.load(workdir)
    grid = set(results.run_dims(data))  # the swept axes and seed
    per_run = [name for name, v in data.data_vars.items() if set(v.dims) == grid]
    runs = data[per_run].to_dataframe().reset_index()
    if where:
        runs = runs.query(where)
    runs["claim"] = runs.eval(claim)
    counts = {value: (int(group["claim"].sum()), len(group)) for value, group in runs.groupby(by)}
    if baseline is not None:
        matches = [v for v in counts if str(v) == str(baseline) or _same_number(v, baseline)]
        if not matches:
            raise ValueError(f"--baseline={baseline!r} is invalid: allowed: {list(counts)}")
        baseline = counts[matches[0]]
    rows = []
    for value, (k, n) in counts.items():
        low, high = stats.clopper_pearson(k, n)
        p = None if baseline is None else stats.fisher_greater(k, n, *baseline)
        rows.append((value, k, n, low, high, p))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir")
    parser.add_argument("--by", required=True, help="the axis whose values are the rows")
    parser.add_argument("--claim", required=True, help="a query over one run's variables")
    parser.add_argument("--baseline", default=None, help="the value of --by to test against")
    parser.add_argument("--where", default=None, help="a query selecting the runs first")
    args = parser.parse_args(argv)
    rows = claim_table(args.workdir, args.by, args.claim, args.baseline, args.where)
    print(f"claim: {args.claim}" + (f"  (runs where {args.where})" if args.where else ""))
    print(f"| {args.by} | k/n | 95 % CI (Clopper–Pearson) | Fisher p vs {args.baseline} |")
    print("|---|---|---|---|")
    for value, k, n, low, high, p in rows:
        shown = "—" if p is None else f"{p:.3g}"
        print(f"| {value} | {k}/{n} | {low:.2f}–{high:.2f} | {shown} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
