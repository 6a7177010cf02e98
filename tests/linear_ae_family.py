"""A family from outside the package: a linear autoencoder whose code collapses under
weight decay (`tests/test_families.py` maps it with the unchanged engine).

Model: code z = Eᵀx (k units), reconstruction D z, loss E‖x − D Eᵀx‖² + β(‖E‖² + ‖D‖²).
Along an eigen-direction of the data with variance λ, with e = d = a the loss is
λ(1 − a²)² + 2βa², minimised by a² = 1 − β/λ when λ > β and by a = 0 otherwise: the
code's variance along it is λ − β above the boundary β = λ and 0 past it. The order
parameters are the code's total variance and its variance along each principal
direction of the code (the per-unit form: the code covariance's eigenvalues).
Registered on import: configs name it with ``family = "linear_ae"``,
``family_module = "linear_ae_family"``.
"""

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from vaecollapse import families, states

EPS = 0.05  # code variance below which a unit (or the whole code) counts as collapsed


class State(NamedTuple):
    params: Any
    opt_state: Any
    step: jax.Array
    diverged: jax.Array
    diverged_step: jax.Array


def make_trainer(config, dataset) -> families.Trainer:
    dim, units = dataset.train.shape[1], config.model.latent_dim
    batch, log_every = config.train.batch_size, config.train.log_every
    tx = optax.scale_by_adam()

    def init(key):
        k_e, k_d = jax.random.split(key)
        params = {
            "E": 0.3 * jax.random.normal(k_e, (dim, units)),
            "D": 0.3 * jax.random.normal(k_d, (dim, units)),
        }
        return State(params, tx.init(params), jnp.int32(0), jnp.bool_(False), jnp.int32(-1))

    def loss(params, x, beta):
        recon = x - (x @ params["E"]) @ params["D"].T
        decay = jnp.sum(params["E"] ** 2) + jnp.sum(params["D"] ** 2)
        return jnp.mean(jnp.sum(recon**2, axis=1)) + beta * decay

    def code_variance(params, x):
        """The code covariance's eigenvalues, largest first: the variance along each of
        its principal directions (the units themselves may mix them: a rotation of the
        code is as good)."""
        return jnp.linalg.eigvalsh(jnp.cov(x @ params["E"], rowvar=False))[::-1]

    def advance(state, hparams, key, x):
        def one(state, _):
            rows = jax.random.randint(jax.random.fold_in(key, state.step), (batch,), 0, len(x))
            value, grads = jax.value_and_grad(loss)(state.params, x[rows], hparams["beta"])
            updates, opt_state = tx.update(grads, state.opt_state)
            params = jax.tree.map(
                lambda p, u: p - hparams["learning_rate"] * u, state.params, updates
            )
            return State(
                params, opt_state, state.step + 1, state.diverged, state.diverged_step
            ), value

        state, losses = jax.lax.scan(one, state, None, length=log_every)
        power = jnp.sum(code_variance(state.params, x[:256]))
        return state, {"loss": jnp.mean(losses), "code_power": power}

    def evaluate(state, key, hparams, traces, x, steps):
        del key, hparams
        per_unit = code_variance(state.params, x)
        rank = jnp.sum(per_unit > EPS).astype(jnp.int32)
        return {
            "code_power": jnp.sum(per_unit),
            "code_variance": per_unit,
            "rank": rank,
            "collapse_state": jnp.where(rank == 0, 2, jnp.where(rank < units, 1, 0)),
            "collapse_onset_step": states.collapse_onset_step(traces["code_power"], steps, EPS),
        }

    n_eval = config.train.eval_examples
    return families.Trainer(
        init=init,
        advance=advance,
        evaluate=evaluate,
        trace={"loss": families.Trace(), "code_power": families.Trace()},
        evaluate_traces=("code_power",),
        train_data=jnp.asarray(dataset.train, jnp.float32),
        eval_data=jnp.asarray(dataset.test[:n_eval], jnp.float32),
        trace_bytes=8,
    )


FAMILY = families.register(
    families.Family(
        name="linear_ae",
        order_parameters={
            "code_power": families.OrderParameter("code variance", EPS),
            "code_variance": families.OrderParameter("code variance per unit", EPS, "unit"),
        },
        panels=(
            ("code_power", "code variance"),
            ("rank", "rank of the code"),
            ("collapse_state", "collapse state (0 healthy, 2 full)"),
        ),
        summary_columns=(
            ("code_power", "code variance", "{:.3f}"),
            ("rank", "rank", "{:d}"),
            ("collapse_state", "state", None),
            ("collapse_onset_step", "onset", "{:d}"),
            ("diverged", "diverged", None),
        ),
        seed_columns=(("code_power", "code variance"), ("rank", "rank")),
        variable_dims={"code_variance": ("unit",)},
        hparams=("beta",),  # the weight decay; seed and learning_rate every family reads
        make_trainer=make_trainer,
    )
)
