"""Seconds that `boundary.estimate` takes on a 30 × 30 × 8-seed grid (7,200 runs).

Synthetic results: a linear VAE's per-dim KL, ½ log(λ_i/β) above its boundary and 0
below, plus uniform noise of 0.01 nats, over β (30 log-spaced values) × a second axis
(30 values) × 8 seeds × 4 latent dims. Prints the time of each measure and the median
estimates (λ = 16, 4, 1, 0.25).

    python benchmarks/boundary_speed.py
"""

from __future__ import annotations

import json
import time

import numpy as np
import xarray as xr

from vaecollapse import boundary


def synthetic(size: int = 30, seeds: int = 8) -> xr.Dataset:
    betas = np.geomspace(0.1, 30.0, size)
    lam = np.array([16.0, 4.0, 1.0, 0.25])
    rng = np.random.default_rng(0)
    kl = np.maximum(0.0, 0.5 * np.log(lam / betas[:, None, None, None]))
    kl = kl + 0.01 * rng.random((size, size, seeds, len(lam)))
    dims = ["beta", "width", "seed"]
    data = {
        "kl_per_dim": ([*dims, "latent"], kl),
        "kl": (dims, kl.sum(-1)),
        "mutual_info": (dims, kl.sum(-1)),
        "diverged": (dims, np.zeros(kl.shape[:-1], bool)),
    }
    coords = {"beta": betas, "width": np.arange(size), "seed": np.arange(seeds)}
    return xr.Dataset(data, coords=coords, attrs={"config": json.dumps({"collapse_kl_eps": 0.05})})


def main() -> None:
    results = synthetic()
    for measure in ("mutual_info", "kl_per_dim"):
        start = time.perf_counter()
        found = boundary.estimate(results, "beta", measure)
        seconds = time.perf_counter() - start
        median = np.nanmedian(found.estimate.values.reshape(30, -1), axis=0)
        print(f"{measure}: {seconds:.3f} s for {results.kl.size} runs; median estimate {median}")


if __name__ == "__main__":
    main()
