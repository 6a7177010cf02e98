"""vaecollapse: posterior-collapse phase diagrams for VAEs, and collapse diagnostics for
any training loop.

The public API (stable names; each loaded on first use, so ``import vaecollapse`` is
light):

- `diagnose(mu, logvar)` -> `CollapseReport`: KL per dim, active units, I(x; z),
  encoder statistics and the collapse state of one set of encoder outputs.
- `CollapseMonitor(latent_dim)`: ``update(step, mu, logvar)`` in a training loop; the
  traces, the collapse ``onset``, ``plot()``, ``to_xarray()``.
- `diagnose_embeddings(z, labels=None)` -> `EmbeddingReport`: representation collapse of
  any encoder's embeddings (std of the l2-normalised embedding × √d, RankMe, spectrum,
  linear-probe accuracy, state); `EmbeddingMonitor(dim)` for a training loop.
- `diagnose_samples(samples, modes, std)` -> `SampleReport`: mode collapse of a
  generator's samples from a known Gaussian mixture (modes captured, high-quality
  fraction, reverse KL, state); `coverage(real_features, fake_features, k=5)`:
  precision, recall, density and coverage of any features; `SampleMonitor(modes, std)`
  for a training loop (``update(step, samples, real=None)``, the traces, the ``onset``).
- `diagnose_stacked_digits(samples, real=None)` -> `StackedDigitsReport`: PacGAN's
  1,000-mode measures of a generator's stacked 8×8 digits (modes captured, reverse KL,
  high-quality share, precision / coverage on the mode classifier's features).
- `run_sweep(config, workdir)` -> xarray Dataset, `load_results(workdir)`.
- `experiment_config("demo", quick=True)`: the config of ``experiments/NAME.py``.
- `estimate_boundary(results, along="beta")`: where collapse sets in (`boundary`).
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "diagnose": ("vaecollapse.families.vae.monitor", "diagnose"),
    "CollapseReport": ("vaecollapse.families.vae.monitor", "CollapseReport"),
    "CollapseMonitor": ("vaecollapse.families.vae.monitor", "CollapseMonitor"),
    "diagnose_embeddings": ("vaecollapse.families.ssl.monitor", "diagnose_embeddings"),
    "EmbeddingReport": ("vaecollapse.families.ssl.monitor", "EmbeddingReport"),
    "EmbeddingMonitor": ("vaecollapse.families.ssl.monitor", "EmbeddingMonitor"),
    "diagnose_samples": ("vaecollapse.families.gan.monitor", "diagnose_samples"),
    "SampleReport": ("vaecollapse.families.gan.monitor", "SampleReport"),
    "coverage": ("vaecollapse.families.gan.monitor", "coverage"),
    "SampleMonitor": ("vaecollapse.families.gan.monitor", "SampleMonitor"),
    "diagnose_stacked_digits": ("vaecollapse.families.gan.digits", "diagnose_stacked_digits"),
    "StackedDigitsReport": ("vaecollapse.families.gan.digits", "StackedDigitsReport"),
    "run_sweep": ("vaecollapse.sweep", "run_sweep"),
    "load_results": ("vaecollapse.results", "load"),
    "experiment_config": ("vaecollapse.config", "experiment_config"),
    "estimate_boundary": ("vaecollapse.boundary", "estimate"),
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name not in _API:
        raise AttributeError(f"module 'vaecollapse' has no attribute {name!r}")
    module, attribute = _API[name]
    return getattr(importlib.import_module(module), attribute)


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
