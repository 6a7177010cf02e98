"""The collapse states: the codes of ``collapse_state`` in ``results.nc`` and their names.

`diagnostics.collapse_state` writes them, the report reads them; they live here, with no
JAX, so reading a results file needs nothing of the training engine.
"""

from __future__ import annotations

HEALTHY, PARTIAL, FULL = 0, 1, 2  # no unit collapsed (VAE: KL of a dim below ε), some, all
STATE_NAMES = {HEALTHY: "healthy", PARTIAL: "partial", FULL: "full"}


def of_units(below, units):
    """The state code of runs with ``below`` of their ``units`` (counted units, NumPy or
    xarray) collapsed: healthy when none, full when every one (of at least one), partial
    in between."""
    full = (below == units) & (units > 0)
    return (below > 0).astype(int) * PARTIAL + full.astype(int) * (FULL - PARTIAL)
