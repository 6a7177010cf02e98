"""The VAE family's writing side behind the `family.Trainer` contract.

`make_trainer` wires `models.build`, `train.make_train_fns` and
`diagnostics.make_evaluate`; `check_data`, `result_bytes` and `finish` are what
`sweep.run_sweep` and `assemble.assemble` used to do for VAEs by name: the test split must
hold the pictures shown, the preflight's estimate of a run's results, and the VAE's own
additions to ``results.nc`` (the early warning and predicted end state, histogram bins,
pictures, the best z-independent reconstruction, the closed forms' spectrum). Loads JAX:
imported only when a sweep runs (`families.vae` names it by path).
"""

from __future__ import annotations

import math

import numpy as np

from vaecollapse import data, optim, results
from vaecollapse.families.vae import diagnostics, models, train, warning
from vaecollapse.family import Trace, Trainer


def trace_spec(latent_dim: int) -> dict[str, Trace]:
    """What `train.TrainFns.advance` logs per interval."""
    scalars = ("loss", "recon", "kl", "beta", "mutual_info")
    spec = {name: Trace() for name in scalars}
    spec["active_units"] = Trace(dtype="int32", fill=-1)
    for name in ("kl_per_dim", *diagnostics.Pull._fields):
        spec[name] = Trace((latent_dim,), ("latent",))
    return spec


def make_trainer(config, dataset: data.Dataset) -> Trainer:
    """The VAE's `Trainer` for one static config."""
    model = models.build(config.model, dataset.meta)
    fns = train.make_train_fns(config, model, dataset)
    evaluate = diagnostics.make_evaluate(config, model)

    def evaluate_run(state, key, hparams, traces, eval_data, steps):
        return evaluate(state.params, key, hparams, traces, eval_data, steps)

    n_eval = config.train.eval_examples
    test_labels = None if dataset.test_labels is None else dataset.test_labels[:n_eval]
    return Trainer(
        init=fns.init,
        advance=fns.advance,
        evaluate=evaluate_run,
        trace=trace_spec(config.model.latent_dim),
        evaluate_traces=("kl", "kl_per_dim"),
        train_data=optim.data_arrays(dataset.train, dataset.train_labels),
        eval_data=optim.data_arrays(dataset.test[:n_eval], test_labels),
        trace_bytes=4 * (4 + (1 + len(diagnostics.Pull._fields)) * config.model.latent_dim),
    )


def check_data(config, dataset: data.Dataset) -> None:
    """The test split must hold the `diagnostics.NUM_SHOWN` pictures the report shows."""
    if len(dataset.test) < diagnostics.NUM_SHOWN:
        raise ValueError(
            f"data {config.data.name!r} has {len(dataset.test)} test examples; the evaluation "
            f"shows {diagnostics.NUM_SHOWN} (reconstructions, interpolations): give it at least "
            f"{diagnostics.NUM_SHOWN}"
        )


def result_bytes(config, dataset: data.Dataset) -> int:
    """Bytes of one run's results (traces, per-dim values, histograms, pictures:
    preflight's disk estimate)."""
    num_logs = config.train.steps // config.train.log_every
    latent_dim, pixels = config.model.latent_dim, math.prod(dataset.meta["shape"])
    traces = num_logs * (6 + 6 * latent_dim)  # per-dim KL and `diagnostics.Pull`
    per_dim = 3 * latent_dim
    histograms = len(diagnostics.MU_EDGES) + len(diagnostics.SIGMA_EDGES)
    pictures = 3 * diagnostics.NUM_SHOWN * pixels
    return 4 * (traces + per_dim + histograms + pictures + 20)


def finish(config, dataset: data.Dataset, variables: dict) -> tuple[dict, dict, dict]:
    """The VAE's additions to ``results.nc``: the early warning of full collapse per run
    and its predicted end state (`warning.forecast` on the KL-per-dim and β traces), the
    latent and histogram-bin coordinates, the pictures' data, and the attributes the closed
    forms and the report read."""
    grid_dims = list(variables["diverged"][0])
    extra, warning_attrs = {}, {}
    if "kl_per_dim_trace" in variables:  # the early warning of full collapse, per run
        kl = variables["kl_trace"][1] if "kl_trace" in variables else None
        beta = variables["beta_trace"][1]  # the KL is carried to the final β
        f = warning.forecast(
            results.logged_steps(config),
            variables["kl_per_dim_trace"][1],
            config.train.steps,
            kl=kl,
            beta=beta,
            beta_final=warning.final_beta(beta),
        )
        extra, warning_attrs = warning.as_variables(f, grid_dims)
    centres = lambda edges: (edges[1:] + edges[:-1]) / 2  # noqa: E731
    latent = variables["kl_per_dim"][1].shape[-1]
    coords = dict(
        latent=np.arange(latent),
        mu_bin=centres(diagnostics.MU_EDGES),
        sigma_bin=centres(diagnostics.SIGMA_EDGES),
    )
    shown = dataset.test[: diagnostics.NUM_SHOWN]
    extra["eval_images"] = (["example", "pixel"], shown.reshape(len(shown), -1))
    if dataset.meta["kind"] != "tokens":
        # the best z-independent output, E[x]: what a collapsed decoder reconstructs
        extra["mean_image"] = (["pixel"], dataset.train.reshape(len(dataset.train), -1).mean(0))
    attrs = dict(
        marginal_nll=diagnostics.marginal_nll(
            dataset.train, dataset.test[: config.train.eval_examples], dataset.meta["kind"]
        ),
        **warning_attrs,
    )
    if "mi_bound" in dataset.meta:  # I(x; generating factor), e.g. log K topics
        attrs["mi_bound"] = dataset.meta["mi_bound"]
    if config.data.name == "linear_gaussian":  # the closed forms' λ_i, of the data trained on
        attrs["train_eigenvalues"] = train_eigenvalues(dataset.train)
    return extra, coords, attrs


def train_eigenvalues(x: np.ndarray) -> list[float]:
    """Eigenvalues of the covariance of ``x`` ``[N, D]``, largest first: the λ_i of the
    linear VAE's closed forms for the data it was trained on (the nominal spectrum up to
    sampling error, ~1 % at 20,000 examples)."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    return np.sort(np.linalg.eigvalsh(np.cov(flat, rowvar=False)))[::-1].tolist()
