"""Runtime set-up: one JAX device per CPU core, XLA:CPU kernel choice, and the
persistent compilation cache.

XLA runs the small, batched matmuls of a vmapped sweep on one core per device, so a
2-core host with one CPU device leaves a core idle. Splitting the host into one CPU
device per core lets the sweep shard its runs over the cores exactly as it shards them
over accelerators (measured: 1.7× on the 2-core reference machine). Accelerators are
unaffected: the setting only shapes the CPU client.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax
import jaxlib

# XLA:CPU in jaxlib 0.10 hands dots, with the reductions and elementwise ops around them,
# to YNNPACK fusions. For a sweep's small batched matmuls (64×64×256 per run) XLA's own
# loop fusions around plain YNNPACK dots are faster: 1.2× on the vmapped reference model
# in interleaved process pairs (docs/performance.md). The flag is experimental, and
# XLA aborts on a flag it does not know, so it is set only on the jaxlib it was measured on.
FAST_CPU_FLAGS = {(0, 10): "--xla_cpu_experimental_ynn_fusion_type=individual_dot"}


def use_fast_cpu_kernels() -> bool:
    """Add this jaxlib's entry of `FAST_CPU_FLAGS` to ``XLA_FLAGS`` before JAX starts,
    unless ``XLA_FLAGS`` already names that option. Returns whether the flag is in force.
    Accelerators ignore it. Must run before the first JAX computation."""
    flag = FAST_CPU_FLAGS.get(tuple(int(p) for p in jaxlib.__version__.split(".")[:2]))
    current = os.environ.get("XLA_FLAGS", "")
    if flag is None:
        return False
    if flag.split("=")[0] not in current:
        os.environ["XLA_FLAGS"] = f"{current} {flag}".strip()
    return flag in os.environ["XLA_FLAGS"]


# Runs vmapped together per device when ``config.run_group`` is -1 (automatic). On CPU,
# groups of 2–8 keep a group's parameters and Adam state in cache (measured within noise
# of each other; all 32 runs of a device at once 10–30 % slower, docs/performance.md).
# Accelerators want every run of a device in one batched kernel: 0, no grouping.
CPU_RUN_GROUP = 4


def run_group(requested: int, platform: str) -> int:
    """The group size `sweep.map_runs` uses: ``requested`` unless it is -1 (automatic),
    then `CPU_RUN_GROUP` on ``platform`` "cpu" and 0 (all at once) on accelerators."""
    if requested != -1:
        return requested
    return CPU_RUN_GROUP if platform == "cpu" else 0


def use_cpu_cores(count: int | None = None) -> None:
    """Split the CPU into ``count`` devices (default: every core) before JAX starts.

    Does nothing when ``XLA_FLAGS`` already forces a host device count (tests do) or
    when ``count`` is 1. Must run before the first JAX computation.
    """
    if "xla_force_host_platform_device_count" in os.environ.get("XLA_FLAGS", ""):
        return
    count = count or os.cpu_count() or 1
    if count > 1:
        jax.config.update("jax_num_cpu_devices", count)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vaecollapse" / "jax"


def enable_compile_cache(path: str | Path | None = None) -> Path:
    """Keep XLA executables on disk (JAX's persistent compilation cache), so a re-run of
    the same experiment skips compiling. Returns the cache directory."""
    path = Path(path) if path else default_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    return path
