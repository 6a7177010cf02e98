"""Are two results.nc the same? For a behaviour-preserving change: every variable's values
(NaN equal to NaN), dims and dtype, and every attribute but those that name the run rather
than its numbers (the config's JSON, package versions, wall time).

    python benchmarks/compare_results.py runs_before/demo runs_after/demo [...pairs]

Exits 1 when a pair differs, naming what differs.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from vaecollapse import results

IGNORED_ATTRS = ("config", "versions", "wall_time_s")


def differences(before: str, after: str) -> list[str]:
    """What differs between two workdirs' results; empty when identical."""
    a, b = results.load(before), results.load(after)
    found = []
    if set(a.variables) != set(b.variables):
        found.append(f"variables differ: {sorted(set(a.variables) ^ set(b.variables))}")
    for name in sorted(set(a.variables) & set(b.variables)):
        x, y = a[name], b[name]
        if x.dims != y.dims or x.dtype != y.dtype:
            found.append(f"{name}: {x.dims} {x.dtype} vs {y.dims} {y.dtype}")
        elif not np.array_equal(x.values, y.values, equal_nan=x.dtype.kind in "fc"):
            found.append(f"{name}: values differ")
    for key in sorted(set(a.attrs) | set(b.attrs)):
        if key not in IGNORED_ATTRS and str(a.attrs.get(key)) != str(b.attrs.get(key)):
            found.append(f"attribute {key} differs")
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="before after [before after ...]")
    args = parser.parse_args(argv)
    if len(args.paths) % 2:
        parser.error("give the paths in pairs: before after")
    failed = False
    for before, after in zip(args.paths[::2], args.paths[1::2], strict=True):
        found = differences(before, after)
        print(f"{after}: " + ("identical" if not found else "; ".join(found)))
        failed |= bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
