#!/usr/bin/env bash
# The accelerator table of docs/performance.md, on whatever GPU/TPU this machine has (< 5 min on one
# H200): reference-model throughput at N = 1, 64, 1,024, 8,192 runs (vmapped vs sequential
# vs the jitted step loop) and the image_phase wall time. Writes JSON and a log to OUT.
#   bash benchmarks/accelerator.sh OUT_DIR
set -euo pipefail
out="${1:?usage: bash benchmarks/accelerator.sh OUT_DIR}"
mkdir -p "$out"
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
{
  date -u
  "$PY" -c "import jax; print(jax.__version__, jax.devices())"
  "$PY" benchmarks/sweep_throughput.py --runs 1 64 1024 8192 --steps 300 --timed-runs 4 \
    --json "$out/sweep_throughput.json"
  "$PY" -m vaecollapse run experiments/image_phase.py --workdir "$out/image_phase" \
    --noprogress --overwrite
  "$PY" -c "import xarray as xr; r = xr.load_dataset('$out/image_phase/results.nc'); \
print('image_phase wall_time_s', r.attrs['wall_time_s'], r.attrs['device_kind'])"
} 2>&1 | tee "$out/accelerator.log"
