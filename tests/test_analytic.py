"""The linear-VAE closed form against a direct numerical optimum of the population loss."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize
from absl.testing import absltest, parameterized

from vaecollapse.families.vae import analytic

jax.config.update("jax_enable_x64", False)


def population_loss(flat, eigenvalues, sigma2, beta, d):
    """E_x[ E_q ‖x − Wz‖²/(2σ²) + β KL(q(z|x) ‖ N(0,I)) ] for x ~ N(0, diag λ), up to a constant."""
    D = eigenvalues.shape[0]
    W = flat[: D * d].reshape(D, d)
    V = flat[D * d : 2 * D * d].reshape(d, D)
    log_s2 = flat[2 * D * d :]
    s2 = jnp.exp(log_s2)
    cov = jnp.diag(eigenvalues)
    resid = jnp.eye(D) - W @ V
    recon = (jnp.trace(resid @ cov @ resid.T) + jnp.sum(s2 * jnp.sum(W**2, axis=0))) / (2 * sigma2)
    kl = 0.5 * jnp.sum(jnp.diag(V @ cov @ V.T) + s2 - log_s2 - 1.0)
    return recon + beta * kl, (V, cov, s2, log_s2)


def numerical_kl_per_dim(eigenvalues, sigma2, beta, d, seed=0):
    eigenvalues = jnp.asarray(eigenvalues, jnp.float32)
    D = eigenvalues.shape[0]
    x0 = np.random.default_rng(seed).normal(scale=0.3, size=2 * D * d + d)

    def f(x):
        return population_loss(x, eigenvalues, sigma2, beta, d)[0]

    val_grad = jax.jit(jax.value_and_grad(f))
    res = scipy.optimize.minimize(
        lambda x: tuple(np.asarray(v, np.float64) for v in val_grad(jnp.asarray(x, jnp.float32))),
        x0,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 20000, "gtol": 1e-9, "ftol": 1e-14},
    )
    _, (V, cov, s2, log_s2) = population_loss(
        jnp.asarray(res.x, jnp.float32), eigenvalues, sigma2, beta, d
    )
    return np.asarray(0.5 * (jnp.diag(V @ cov @ V.T) + s2 - log_s2 - 1.0))


class LinearVAEClosedFormTest(parameterized.TestCase):
    @parameterized.product(
        spectrum=((4.0, 1.5, 0.3), (9.0, 2.0, 0.8, 0.1)),
        beta=(0.5, 2.0),
    )
    def test_matches_numerical_optimum(self, spectrum, beta):
        sigma2 = 1.0
        expected = np.asarray(analytic.linear_vae_kl_per_dim(np.array(spectrum), sigma2, beta))
        learned = numerical_kl_per_dim(spectrum, sigma2, beta, d=len(spectrum))
        np.testing.assert_allclose(np.sort(learned)[::-1], np.sort(expected)[::-1], atol=2e-3)
        collapsed = np.asarray(analytic.linear_vae_collapsed(np.array(spectrum), sigma2, beta))
        np.testing.assert_array_equal(collapsed, expected == 0)
        self.assertTrue(collapsed.any() and not collapsed.all())  # the grid crosses the boundary

    def test_values(self):
        kl = analytic.linear_vae_kl_per_dim(jnp.array([4.0, 1.0, 0.5]), 0.5, 2.0)
        np.testing.assert_allclose(kl, [0.5 * np.log(4.0), 0.0, 0.0], rtol=1e-6)
        chex.assert_shape(kl, (3,))

    def test_broadcasts_over_beta(self):
        betas = np.array([0.5, 2.0, 8.0])
        kl = analytic.linear_vae_kl_per_dim(np.array([4.0, 1.0]), 1.0, betas[:, None])
        chex.assert_shape(kl, (3, 2))
        np.testing.assert_allclose(kl[:, 0], 0.5 * np.log(4.0 / betas).clip(0), rtol=1e-6)
        self.assertEqual(kl.dtype, np.float32)  # as the learned KL it is compared with


if __name__ == "__main__":
    absltest.main()
