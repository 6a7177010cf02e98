"""A plain Flax/optax VAE training loop, watched by vaecollapse's `CollapseMonitor`.

An MLP VAE on binarised 8×8 digits (scikit-learn, offline), in the style of the Flax VAE
example; only vaecollapse's public API is used. Every 50 steps the encoder's outputs on
a fixed batch go to the monitor, which prints the early warning of full collapse when
it comes, and the onset at the end.

    python examples/flax_loop.py --beta 10    # collapses: warns at 10 % of training
    python examples/flax_loop.py --beta 0.3   # healthy: stays quiet
"""

from __future__ import annotations

import argparse

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from sklearn.datasets import load_digits

import vaecollapse


class VAE(nn.Module):
    latent: int = 8

    @nn.compact
    def __call__(self, x, key):
        h = nn.relu(nn.Dense(128)(x))
        mu, logvar = nn.Dense(self.latent)(h), nn.Dense(self.latent)(h)
        z = mu + jnp.exp(0.5 * logvar) * jax.random.normal(key, mu.shape)
        logits = nn.Dense(64)(nn.relu(nn.Dense(128)(z)))
        return mu, logvar, logits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beta", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    x = (load_digits().data / 16.0 > 0.5).astype(np.float32)
    model, tx = VAE(), optax.adam(1e-3)
    params = model.init(jax.random.PRNGKey(0), x[:1], jax.random.PRNGKey(1))
    opt_state = tx.init(params)

    @jax.jit
    def step(params, opt_state, batch, key):
        def loss_fn(p):
            mu, logvar, logits = model.apply(p, batch, key)
            recon = optax.sigmoid_binary_cross_entropy(logits, batch).sum(-1).mean()
            kl = 0.5 * (mu**2 + jnp.exp(logvar) - logvar - 1.0).sum(-1).mean()
            return recon + args.beta * kl

        grads = jax.grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state

    # β is constant here; with a warm-up, give the final β and each update's β
    monitor = vaecollapse.CollapseMonitor(8, total_steps=args.steps, beta_final=args.beta)
    probe, rng, warned = x[:256], np.random.default_rng(0), False
    for i in range(1, args.steps + 1):
        batch = x[rng.integers(0, len(x), 64)]
        params, opt_state = step(params, opt_state, batch, jax.random.PRNGKey(i))
        if i % 50 == 0:
            mu, logvar, _ = model.apply(params, probe, jax.random.PRNGKey(0))
            report = monitor.update(i, np.asarray(mu), np.asarray(logvar), beta=args.beta)
            if monitor.warning is not None and not warned:
                warned = True
                print(f"step {i}: WARNING: this run is heading for full posterior collapse")
    print(report)
    print(f"collapse onset: {monitor.onset}")


if __name__ == "__main__":
    main()
