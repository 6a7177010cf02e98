"""Run-steps per second of a vmapped sweep vs the same runs one by one, in one process.

Reference model: MLP VAE 64-256-16 encoder / 16-256-64 Bernoulli decoder, Adam, batch 64,
binarised 8×8 digits. For each N in --runs it measures
  (a) vmapped:    the N runs as one compiled program, each run one lax.scan, laid out
                  as `vaecollapse run` does (`sweep.map_runs`: run axis sharded over one
                  CPU device per core, runs vmapped in groups of --run-group per device);
  (b) sequential: runs one after another, each the jitted single-run train;
  (c) loop:       a Python loop over the jitted one-step function `TrainFns.step`
                  (Flax-example style: training only, no probes);
  (d) draws only: just the random numbers of (a) (minibatch indices, posterior noise,
                  context-dropout keys), laid out as in (a). Every way of training the
                  runs draws them, so (d)/(b) bounds how far (a) can beat (b).
Each mode is timed --repeats times, the modes in turn, and its best time is kept; (b)
and (c) time the first --timed-runs runs (every run costs the same). JSON records
{runs, steps, repeats, timed_runs, vmapped_run_steps_per_s, sequential_run_steps_per_s,
loop_run_steps_per_s, speedup (a/b), speedup_vs_loop (a/c),
draws_only_run_steps_per_s, speedup_ceiling (d/b), compile_s, peak_rss_mb, gflops,
peak_gflops, utilization}. FLOPs are counted from the model's matmuls (forward
2·B·in·out per dense layer, backward twice that); the peak is one large float32 matmul
timed in the same process.

    python benchmarks/sweep_throughput.py --runs 1 8 64 256 --steps 300 --json out.json
    python benchmarks/sweep_throughput.py --experiment image_phase --runs 1 8 --steps 50

With ``--experiment NAME`` the model, data and batch size of ``experiments/NAME.py``
replace the reference (no FLOP count then).
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from vaecollapse import config as config_lib
from vaecollapse import data, devices, grid, optim, sweep
from vaecollapse.families.vae import models, train


def reference_config():
    c = config_lib.base_config()
    c.model.latent_dim = 16
    c.model.encoder_hidden = (256,)
    c.model.decoder_hidden = (256,)
    c.train.batch_size = 64
    return c


def with_steps(c, steps: int):
    """``c`` trained for ``steps`` steps, logged once, at the end."""
    c = config_lib.finalize(c)
    c.train.steps, c.train.log_every = steps, steps
    return c


def flops_per_step(c) -> float | None:
    """Analytic FLOPs of one training step of the reference MLP; None for other models."""
    if c.model.name != "mlp":
        return None
    widths_enc = [64, *c.model.encoder_hidden, 2 * c.model.latent_dim]
    widths_dec = [c.model.latent_dim, *c.model.decoder_hidden, 64]
    macs = sum(a * b for w in (widths_enc, widths_dec) for a, b in itertools.pairwise(w))
    return 3 * 2 * c.train.batch_size * macs


def timed(fn, *args) -> float:
    start = time.perf_counter()
    jax.block_until_ready(fn(*args))
    return time.perf_counter() - start


def matmul_peak_gflops(size: int = 2048, repeats: int = 5) -> float:
    a = jnp.ones((size, size), jnp.float32)
    dot = jax.jit(jnp.dot)
    jax.block_until_ready(dot(a, a))
    best = min(timed(dot, a, a) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def best_times(fns: dict, repeats: int) -> dict:
    """Best of ``repeats`` wall times of each no-argument function, the functions timed in
    turn (interleaved, so a slow spell of this shared machine hits them alike)."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(timed(fn))
    return {name: min(t) for name, t in times.items()}


def measure(
    base, n: int, steps: int, dataset, peak: float, group: int, repeats: int, timed_runs: int
) -> dict:
    c = with_steps(base, steps)
    c.sweep = ml_collections.ConfigDict({"seed": tuple(range(n))})  # the config's other values
    c.sweep_chunk = n  # one chunk of all n runs
    model = models.build(c.model, dataset.meta)
    h = grid.make_grid(c).hparams
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(h["seed"]))

    runs = NamedSharding(Mesh(np.array(jax.devices()), ("runs",)), P("runs"))
    size = sweep.chunk_size(c, n, jax.device_count(), per_run=1, budget=1)
    padded_h = grid.pad_runs(h, 0, size)  # as the sweep pads the run axis
    padded = jax.device_put(
        (padded_h, jax.vmap(jax.random.PRNGKey)(jnp.asarray(padded_h["seed"]))), runs
    )
    run = train.make_train(c, model, dataset)
    start = time.perf_counter()
    vmapped = sweep.map_runs(run, runs.mesh, group).lower(*padded).compile()
    compile_s = time.perf_counter() - start
    fns = train.make_train_fns(c, model, dataset)
    draws = (
        sweep.map_runs(
            lambda _, k: jax.tree_util.tree_map(jnp.sum, fns.interval_draws(k, jnp.int32(0))),
            runs.mesh,
            group,
        )
        .lower(*padded)
        .compile()
    )

    single = jax.jit(run)
    sample = [
        jax.tree_util.tree_map(lambda x, i=i: jnp.asarray(x[i]), (h, keys))
        for i in range(timed_runs)
    ]

    train_x = optim.data_arrays(dataset.train, dataset.train_labels)
    init, step = jax.jit(fns.init), jax.jit(fns.step, donate_argnums=0)

    def sequential():
        return [single(hi, ki) for hi, ki in sample]

    def loop():
        for hi, ki in sample:
            state = init(ki)
            for _ in range(steps):
                state, _ = step(state, hi, ki, train_x)
            jax.block_until_ready(state)

    for warm in (lambda: vmapped(*padded), lambda: draws(*padded), sequential, loop):
        jax.block_until_ready(warm())
    best = best_times(
        {
            "vmapped": lambda: vmapped(*padded),
            "draws": lambda: draws(*padded),
            "sequential": sequential,
            "loop": loop,
        },
        repeats,
    )
    vm_rate = n * steps / best["vmapped"]
    seq_rate = timed_runs * steps / best["sequential"]
    loop_rate = timed_runs * steps / best["loop"]
    draws_rate = n * steps / best["draws"]
    flops = flops_per_step(c)
    gflops = None if flops is None else vm_rate * flops / 1e9
    return {
        "model": c.name if c.name != "vaecollapse" else "reference",
        "runs": n,
        "steps": steps,
        "devices": jax.device_count(),
        "run_group": group,
        "repeats": repeats,
        "timed_runs": timed_runs,
        "vmapped_run_steps_per_s": vm_rate,
        "sequential_run_steps_per_s": seq_rate,
        "loop_run_steps_per_s": loop_rate,
        "speedup": vm_rate / seq_rate,
        "speedup_vs_loop": vm_rate / loop_rate,
        "draws_only_run_steps_per_s": draws_rate,
        "speedup_ceiling": draws_rate / seq_rate,
        "compile_s": compile_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "gflops": gflops,
        "peak_gflops": peak,
        "utilization": None if gflops is None else gflops / peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument(
        "--repeats", type=int, default=3, help="each mode's time is the best of this many"
    )
    parser.add_argument(
        "--timed-runs",
        type=int,
        default=8,
        help="sequential and loop rates from the first min(N, this) runs (each run costs the same)",
    )
    parser.add_argument("--json", default="benchmarks/sweep_throughput.json")
    parser.add_argument("--cpu-devices", type=int, default=0, help="0: one per core")
    parser.add_argument(
        "--run-group", type=int, default=None, help="0: vmap all at once (default: config's)"
    )
    parser.add_argument(
        "--fast-cpu-kernels",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="devices.use_fast_cpu_kernels, as `vaecollapse run` does by default",
    )
    parser.add_argument(
        "--experiment",
        default="",
        help="measure the model/data of experiments/NAME.py instead of the reference",
    )
    args = parser.parse_args()
    devices.use_cpu_cores(args.cpu_devices or None)
    fast_kernels = args.fast_cpu_kernels and devices.use_fast_cpu_kernels()
    base = config_lib.experiment_config(args.experiment) if args.experiment else reference_config()
    dataset = data.load(base.data)
    peak = matmul_peak_gflops()
    records = []
    for n in args.runs:
        group = devices.run_group(
            base.run_group if args.run_group is None else args.run_group, jax.default_backend()
        )
        record = {
            **measure(
                base, n, args.steps, dataset, peak, group, args.repeats, min(n, args.timed_runs)
            ),
            "fast_cpu_kernels": fast_kernels,
        }
        records.append(record)
        print(
            json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in record.items()}),
            flush=True,
        )
    with open(args.json, "w") as f:
        json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
