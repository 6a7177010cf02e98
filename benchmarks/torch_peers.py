"""Run-steps per second of each family's vmapped grid, of the same runs one by one, and of
the same model, loss and optimiser in a plain PyTorch loop, in one process.

Families and their models (the configs the experiments train, their step counts aside):

- ``vae``: the reference model of `sweep_throughput.py` (MLP VAE 64-256-16 encoder /
  16-256-64 Bernoulli decoder, Adam 1e-3, batch 64, binarised 8×8 digits, β = 1);
- ``ssl``: ``experiments/ssl_collapse.py``, SimSiam on grey 8×8 digits (encoder
  64-256-256-32, each layer Dense → batch norm (→ ReLU), predictor 32-16-32, two views
  each with 25 % of the pixels masked and noise of std 0.2, the symmetric negative
  cosine with the target branch's gradient α = 0, Adam 3e-3, batch 256);
- ``gan``: ``experiments/gan_modes.py``'s plain GAN on the 5 × 5 grid (generator 2-128-128-2
  ReLU, discriminator 2-128-128-1 LeakyReLU(0.2), non-saturating loss, one D update then
  one G update per step, Adam β₁ 0.5 at 1e-3 for G and 5e-3 for D, cosine decay, batch 64,
  real samples drawn from the mixture at every update; no remedy).

For each family and each N in --runs it times

  (a) vmapped:    the N runs as one compiled program laid out as `vaecollapse run` lays it
                  out (`sweep.map_runs`: the run axis sharded over one CPU device per core,
                  runs vmapped in groups of `devices.run_group`), each run the family's
                  ``init`` then its ``advance`` (`families.Trainer`) in a ``lax.scan``;
  (b) sequential: the same runs one after another, each the jitted single run;
  (c) torch:      the same model, loss and optimiser in plain PyTorch (``torch.nn``
                  modules, ``torch.optim.Adam(fused=True)``, eager mode, a Python loop over
                  steps, one run after another) with the ``--torch-threads`` setting
                  (``torch.set_num_threads``; default: 1 or one per core) that trains
                  fastest in a short trial (`TRIAL_STEPS` steps per run, its warm-up).

All three run the same number of steps at the same batch size. (b) and (c) are timed on the
first min(N, --timed-runs) runs (every run costs the same); (b) and (c) do not depend on N,
so each family times them once, interleaved with its vmapped grids. Every mode is timed
--repeats times, the modes in turn (`sweep_throughput.best_times`), and its best time is
kept; compile time is measured apart (``compile_s``), never inside a rate. Rates are
run-steps per second: a step is one optimisation step of the VAE and of SimSiam, one
discriminator update plus one generator update of the GAN.

What differs between (a)/(b) and (c), all small next to the step's matmuls:

- random numbers: JAX's threefry (``fold_in(key, step)`` per step) vs PyTorch's CPU
  generator; the same distributions, not the same numbers;
- initialisation: Flax's (LeCun normal, zero biases) vs PyTorch's defaults; the same
  parameter counts (``tests/test_benchmarks_torch.py``), the speed is not affected;
- (a)/(b) also do the engine's bookkeeping, which (c) skips: a finiteness check of the
  loss and gradients at every step, and the family's probe at the end of each logged
  interval (here one interval, at the end: the VAE's active units and I(x; z) on 256
  examples, SimSiam's std of the normalised embedding of 256 examples, the GAN's mode
  measures of 2,500 samples). JAX pays for them; PyTorch does not;
- SimSiam's batch norm: both normalise by the statistics of the batch itself
  (``BatchNorm1d(track_running_stats=False)``, eps 1e-5, a learned scale and shift);
  weight decay is 0 in the config, so ``torch.optim.Adam`` without it is the update
  vaecollapse writes as p ← p − lr·(u + 0·p); the predictor's rate factor is 1, a
  parameter group of its own;
- the GAN's Adam: vaecollapse writes its own (β₁ an array, β₂ 0.999, ε 1e-8), PyTorch's
  ``Adam(betas=(0.5, 0.999))``; the discriminator's update uses G's samples made under
  ``torch.no_grad``, the generator's backward pass stops at G's parameters
  (``backward(inputs=...)``), as JAX differentiates only with respect to one player;
- the cosine schedule: a ``LambdaLR`` stepped after every update.

PyTorch gets its fastest plain settings: ``fused=True`` Adam (one kernel per step; 1.3×
the default per-parameter Adam on the VAE in a quick check), ``zero_grad(set_to_none=True)``,
no ``.item()`` per step, and the faster of 1 thread and one per core (on a busy machine its
2-thread pool ran 10× slower than 1 thread). No ``torch.compile``: the loop is the
eager loop people write.

    python benchmarks/torch_peers.py                       # 3.5 min on 2 CPU cores
    python benchmarks/torch_peers.py --families vae --runs 8 --steps 50 --repeats 1

Needs PyTorch (the optional ``bench`` extra: ``pip install -e '.[bench]'``,
``make bench-torch``). Prints one JSON line per (family, mode, N) and writes all of them,
with versions and the machine, to --json.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import itertools
import json
import math
import os
import platform
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import sweep_throughput
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from vaecollapse import config as config_lib
from vaecollapse import data, devices, families, grid, sweep

FAMILIES = ("vae", "ssl", "gan")
TRIAL_STEPS = 30  # steps per run of PyTorch's thread-count trial


# ------------------------------------------------------------------------------ configs


def family_config(family: str) -> ml_collections.ConfigDict:
    """The config whose model, data and batch the family's runs use."""
    if family == "vae":
        return sweep_throughput.reference_config()
    if family == "ssl":
        return config_lib.experiment_config("ssl_collapse")  # target_gradient 0: SimSiam
    if family == "gan":
        c = config_lib.experiment_config("gan_modes")
        c.variants = ()  # the plain GAN: no remedy, no penalty compiled
        return c
    raise ValueError(f"family={family!r} is invalid: allowed: {', '.join(FAMILIES)}")


def grid_config(base, n: int, steps: int) -> ml_collections.ConfigDict:
    """``base`` as ``n`` runs (seeds 0..n-1) of ``steps`` steps, logged once, one chunk."""
    c = sweep_throughput.with_steps(base, steps)
    c.sweep = ml_collections.ConfigDict({"seed": tuple(range(n))})
    c.sweep_chunk = n
    return c


# ----------------------------------------------------------------------- JAX's side


def whole_run(trainer: families.Trainer, num_logs: int):
    """``run(hparams, key, train_data) -> (state, trace)``: the family's init, then
    ``num_logs`` logged intervals of its advance, as `sweep.ChunkRunner` chains them."""

    def run(hparams, key, train_data):
        state = trainer.init(key)
        return jax.lax.scan(
            lambda s, _: trainer.advance(s, hparams, key, train_data),
            state,
            None,
            length=num_logs,
        )

    return run


def jax_param_counts(c, dataset) -> dict[str, int]:
    """Parameters per part (``encoder``, ``decoder``, ``predictor``, ``generator``, …) of
    the family's model for ``c`` (shapes only, nothing computed)."""
    trainer = families.of_config(c).trainer(c, dataset)
    params = jax.eval_shape(trainer.init, jax.random.PRNGKey(0)).params
    if set(params) == {"params"}:  # a Flax variables dict (the VAE)
        params = params["params"]
    return {
        part: sum(math.prod(x.shape) for x in jax.tree_util.tree_leaves(tree))
        for part, tree in params.items()
    }


def jax_vmapped(c, dataset):
    """(a): a no-argument function training the runs of the grid config ``c`` as one
    compiled program laid out as the sweep lays it out, and its compile time in seconds."""
    n = len(c.sweep.seed)
    trainer = families.of_config(c).trainer(c, dataset)
    run = whole_run(trainer, c.train.steps // c.train.log_every)
    mesh = Mesh(np.array(jax.devices()), ("runs",))
    runs, replicated = NamedSharding(mesh, P("runs")), NamedSharding(mesh, P())
    size = sweep.chunk_size(c, n, jax.device_count(), per_run=1, budget=1)
    padded_h = grid.pad_runs(grid.make_grid(c).hparams, 0, size)  # as the sweep pads runs
    args = (
        *jax.device_put(
            (padded_h, jax.vmap(jax.random.PRNGKey)(jnp.asarray(padded_h["seed"]))), runs
        ),
        jax.device_put(trainer.train_data, replicated),
    )
    group = devices.run_group(c.run_group, jax.default_backend())
    start = time.perf_counter()
    vmapped = sweep.map_runs(run, mesh, group, shared=1).lower(*args).compile()
    return (lambda: vmapped(*args)), time.perf_counter() - start


def jax_sequential(c, dataset, timed_runs: int):
    """(b): a no-argument function training the first ``timed_runs`` runs of ``c`` one
    after another, each the jitted single run, and its compile time in seconds."""
    trainer = families.of_config(c).trainer(c, dataset)
    run = whole_run(trainer, c.train.steps // c.train.log_every)
    h = grid.make_grid(c).hparams
    train_data = jax.device_put(trainer.train_data, jax.devices()[0])
    sample = [
        (
            jax.tree_util.tree_map(lambda x, i=i: jnp.asarray(x[i]), h),
            jax.random.PRNGKey(int(h["seed"][i])),
        )
        for i in range(timed_runs)
    ]
    start = time.perf_counter()
    single = jax.jit(run).lower(*sample[0], train_data).compile()
    compile_s = time.perf_counter() - start
    return (lambda: [single(hi, ki, train_data) for hi, ki in sample]), compile_s


# --------------------------------------------------------------------- PyTorch's side


# the settings the PyTorch side writes (anything else: refused, not silently different)
TORCH_SETTINGS = {
    "vae": {"model.name": "mlp", "model.likelihood": "bernoulli", "model.bottleneck": "gaussian"},
    "ssl": {
        "model.ssl_loss": "simsiam",
        "model.encoder": "mlp",
        "model.norm": "batch",
        "model.aug_shift": 0,
        "model.noise_from": 0,
        "hparams.weight_decay": 0.0,
    },
    "gan": {
        "model.gan_loss": "ns",
        "model.d_steps": 1,
        "model.pack": 1,
        "model.spectral_norm": False,
        "model.minibatch_std": False,
        "model.unroll": 0,
        "hparams.r1_gamma": 0.0,
        "hparams.gp_lambda": 0.0,
    },
}
DEFAULT_FIELDS = {"model.ssl_loss": "simsiam", "model.encoder": "mlp", "model.norm": "batch"}


def check_torch_settings(family: str, c) -> None:
    """Raise ValueError if ``c`` sets something the PyTorch side does not write."""
    for field, want in TORCH_SETTINGS[family].items():
        section, name = field.split(".")
        have = c[section].get(name, DEFAULT_FIELDS.get(field, want))
        if have != want:
            raise ValueError(f"config.{field}={have!r}: the PyTorch peer writes only {want!r}")


def torch_models(family: str, c, dataset) -> dict:
    """The family's networks for ``c`` as ``torch.nn`` modules, part -> module, named as
    the JAX model's parameter groups (`jax_param_counts`)."""
    from torch import nn

    check_torch_settings(family, c)
    m = c.model
    if family == "vae":
        features = math.prod(dataset.meta["shape"])

        def mlp(widths):
            layers = []
            for a, b in itertools.pairwise(widths):
                layers += [nn.Linear(a, b), nn.ReLU()]
            return nn.Sequential(*layers[:-1])

        return {
            "encoder": mlp([features, *m.encoder_hidden, 2 * m.latent_dim]),
            "decoder": mlp([m.latent_dim, *m.decoder_hidden, features]),
        }
    if family == "ssl":
        features = math.prod(dataset.meta["shape"])

        def norm(width):  # batch statistics of the batch itself, a learned scale and shift
            return nn.BatchNorm1d(width, eps=1e-5, track_running_stats=False)

        layers, width = [], features
        for hidden in m.encoder_hidden:
            layers += [nn.Linear(width, hidden), norm(hidden), nn.ReLU()]
            width = hidden
        layers += [nn.Linear(width, m.latent_dim), norm(m.latent_dim)]
        bottleneck = max(1, m.latent_dim // 2)
        predictor = nn.Sequential(
            nn.Linear(m.latent_dim, bottleneck),
            norm(bottleneck),
            nn.ReLU(),
            nn.Linear(bottleneck, m.latent_dim),
        )
        return {"encoder": nn.Sequential(*layers), "predictor": predictor}
    if family == "gan":

        def mlp(widths, act):
            layers = []
            for a, b in itertools.pairwise(widths):
                layers += [nn.Linear(a, b), act()]
            return nn.Sequential(*layers[:-1])

        return {
            "generator": mlp([m.latent_dim, *m.generator_hidden, 2], nn.ReLU),
            "discriminator": mlp(
                [2 * m.pack, *m.discriminator_hidden, 1], lambda: nn.LeakyReLU(0.2)
            ),
        }
    raise ValueError(f"family={family!r} is invalid: allowed: {', '.join(FAMILIES)}")


def torch_param_counts(family: str, c, dataset) -> dict[str, int]:
    return {
        part: sum(p.numel() for p in module.parameters())
        for part, module in torch_models(family, c, dataset).items()
    }


def torch_run(family: str, c, dataset, seed: int, steps: int) -> None:
    """One run of ``steps`` training steps in plain PyTorch (module docstring)."""
    import torch
    from torch.nn import functional as nnf

    torch.manual_seed(seed)
    nets = torch_models(family, c, dataset)
    h, batch = c.hparams, c.train.batch_size
    if family == "vae":
        x_all = torch.as_tensor(dataset.train.reshape(len(dataset.train), -1), dtype=torch.float32)
        enc, dec = nets["encoder"], nets["decoder"]
        d = c.model.latent_dim
        opt = torch.optim.Adam(
            [*enc.parameters(), *dec.parameters()], lr=h.learning_rate, fused=True
        )
        for _ in range(steps):
            x = x_all[torch.randint(0, len(x_all), (batch,))]
            mean, log_var = enc(x).split(d, dim=-1)
            z = mean + torch.exp(0.5 * log_var) * torch.randn(batch, d)
            logits = dec(z)
            recon = -(x * logits - nnf.softplus(logits)).sum(-1).mean()
            kl = (0.5 * (mean**2 + log_var.exp() - log_var - 1)).mean(0)
            loss = recon + h.beta * torch.clamp(kl, min=h.free_bits).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return
    if family == "ssl":
        x_all = torch.as_tensor(dataset.train.reshape(len(dataset.train), -1), dtype=torch.float32)
        enc, pred = nets["encoder"], nets["predictor"]
        keep_prob = 1 - float(c.model.mask_prob)
        noise, alpha = h.aug_noise, h.target_gradient
        opt = torch.optim.Adam(
            [
                {"params": enc.parameters()},
                {"params": pred.parameters(), "lr": h.learning_rate * h.predictor_lr},
            ],
            lr=h.learning_rate,
            fused=True,
        )

        def view(x):
            mask = torch.rand(x.shape) < keep_prob
            return torch.where(mask, x, 0.0) + noise * torch.randn(x.shape)

        def neg_cos(p, z):
            target = alpha * z + (1 - alpha) * z.detach()
            return -(nnf.normalize(p, dim=-1) * nnf.normalize(target, dim=-1)).sum(-1).mean()

        for _ in range(steps):
            x = x_all[torch.randint(0, len(x_all), (batch,))]
            z1, z2 = enc(view(x)), enc(view(x))
            loss = 0.5 * neg_cos(pred(z1), z2) + 0.5 * neg_cos(pred(z2), z1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return
    # gan
    gen, disc = nets["generator"], nets["discriminator"]
    means = torch.as_tensor(np.asarray(dataset.meta["modes"]), dtype=torch.float32)
    std, latent = float(dataset.meta["mode_std"]), c.model.latent_dim
    betas = (h.adam_b1, 0.999)
    opt_g = torch.optim.Adam(gen.parameters(), lr=h.learning_rate, betas=betas, fused=True)
    opt_d = torch.optim.Adam(
        disc.parameters(), lr=h.learning_rate * h.d_lr_ratio, betas=betas, fused=True
    )
    total = c.train.steps
    factor = (
        (lambda s: 0.5 * (1 + math.cos(math.pi * s / total)))
        if c.train.get("lr_schedule", "constant") == "cosine"
        else (lambda s: 1.0)
    )
    schedules = [torch.optim.lr_scheduler.LambdaLR(o, factor) for o in (opt_g, opt_d)]
    for _ in range(steps):
        real = means[torch.randint(0, len(means), (batch,))] + std * torch.randn(batch, 2)
        with torch.no_grad():
            fake = gen(torch.randn(batch, latent))
        d_loss = nnf.softplus(-disc(real)).mean() + nnf.softplus(disc(fake)).mean()
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        g_loss = nnf.softplus(-disc(gen(torch.randn(batch, latent)))).mean()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward(inputs=list(gen.parameters()))
        opt_g.step()
        for s in schedules:
            s.step()


# --------------------------------------------------------------------------- measure


def measure_family(
    family: str,
    ns: list[int],
    steps: int,
    repeats: int,
    timed_runs: int,
    torch_threads: list[int],
) -> list[dict]:
    """Records of (a) per N, and of (b) and (c) on the first min(max N, ``timed_runs``)
    runs, all timed in turn; (c) with the thread count of ``torch_threads`` that ran a short
    trial (`TRIAL_STEPS` steps per run) fastest."""
    import torch

    base = family_config(family)
    dataset = data.load(base.data)
    timed = min(max(ns), timed_runs)
    fns, compile_s = {}, {}
    for n in ns:
        fns["vmapped", n, None], compile_s["vmapped", n, None] = jax_vmapped(
            grid_config(base, n, steps), dataset
        )
    c = grid_config(base, timed, steps)
    key = ("sequential", timed, None)
    fns[key], compile_s[key] = jax_sequential(c, dataset, timed)

    def torch_loop(threads: int, num_steps: int = steps):
        torch.set_num_threads(threads)
        for seed in range(timed):
            torch_run(family, c, dataset, seed, num_steps)

    torch_loop(torch_threads[0], 5)  # warm up
    trial = {}  # PyTorch's thread counts tried on a short run; the fastest is timed
    for threads in torch_threads:
        start = time.perf_counter()
        torch_loop(threads, TRIAL_STEPS)
        trial[threads] = timed * TRIAL_STEPS / (time.perf_counter() - start)
    threads = max(trial, key=trial.get)
    fns["torch", timed, threads] = functools.partial(torch_loop, threads)
    compile_s["torch", timed, threads] = None
    for key, fn in fns.items():  # warm up: first calls, allocators, caches
        if key[0] != "torch":
            jax.block_until_ready(fn())
    best = sweep_throughput.best_times(fns, repeats)
    rate = {key: key[1] * steps / t for key, t in best.items()}
    seq = rate["sequential", timed, None]
    torch_rate = rate["torch", timed, threads]
    records = []
    for key, r in rate.items():
        mode, n, threads = key
        record = {
            "family": family,
            "mode": mode,
            "runs": n,
            "steps": steps,
            "batch_size": c.train.batch_size,
            "repeats": repeats,
            "run_steps_per_s": r,
            "best_s": best[key],
            "compile_s": compile_s[key],
        }
        if mode == "torch":
            record["torch_threads"] = threads
            record["torch_threads_trial"] = {str(t): v for t, v in trial.items()}
        if mode == "vmapped":
            record["vs_sequential"] = r / seq
            record["vs_torch"] = r / torch_rate
        records.append(record)
    return records


def versions() -> dict:
    import jaxlib
    import torch

    return {
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES)
    parser.add_argument("--runs", type=int, nargs="+", default=[8, 32])
    parser.add_argument(
        "--steps",
        type=int,
        default=0,
        help="steps per run; 0: each family's default (vae 300, ssl 100, gan 300)",
    )
    parser.add_argument("--repeats", type=int, default=3, help="best of this many timings")
    parser.add_argument(
        "--timed-runs",
        type=int,
        default=4,
        help="sequential and torch rates from the first min(N, this) runs",
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        nargs="+",
        default=[1, 0],
        help="PyTorch's intra-op thread counts to try (0: one per core); the fastest is timed",
    )
    parser.add_argument("--json", default="benchmarks/torch_peers.json")
    args = parser.parse_args()
    devices.use_cpu_cores()
    fast_kernels = devices.use_fast_cpu_kernels()
    threads = sorted({t or os.cpu_count() or 1 for t in args.torch_threads})
    default_steps = {"vae": 300, "ssl": 100, "gan": 300}
    records = []
    for family in args.families:
        steps = args.steps or default_steps[family]
        for record in measure_family(
            family, args.runs, steps, args.repeats, args.timed_runs, threads
        ):
            record["fast_cpu_kernels"] = fast_kernels
            records.append(record)
            print(
                json.dumps(
                    {k: round(v, 3) if isinstance(v, float) else v for k, v in record.items()}
                ),
                flush=True,
            )
    out = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "jax_devices": jax.device_count(),
            "torch_threads": threads,
        },
        "versions": versions(),
        "records": records,
    }
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
