"""Objectives against closed forms, Monte-Carlo estimates and NumPy references."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import scipy.special
import scipy.stats
from absl.testing import absltest

from vaecollapse.families.vae import objectives


class GaussianKLTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_zero_at_prior(self):
        kl = self.variant(objectives.gaussian_kl)(jnp.zeros((3, 5)), jnp.zeros((3, 5)))
        chex.assert_shape(kl, (3, 5))
        chex.assert_trees_all_close(kl, jnp.zeros((3, 5)))

    @chex.variants(with_jit=True, without_jit=True)
    def test_matches_general_gaussian_kl(self):
        rng = np.random.default_rng(0)
        mean, log_var = rng.normal(size=(2, 4, 6)).astype(np.float32)
        # KL(N(m1, v1) || N(m2, v2)) with m2 = 0, v2 = 1, written independently.
        v1 = np.exp(log_var)
        expected = np.log(1.0 / np.sqrt(v1)) + (v1 + mean**2) / 2.0 - 0.5
        kl = self.variant(objectives.gaussian_kl)(mean, log_var)
        chex.assert_tree_all_finite(kl)
        np.testing.assert_allclose(kl, expected, rtol=1e-5, atol=1e-6)

    def test_matches_monte_carlo(self):
        mean, log_var = jnp.array([0.7, -1.2]), jnp.array([-0.5, 0.8])
        std = jnp.exp(0.5 * log_var)
        z = mean + std * jax.random.normal(jax.random.PRNGKey(0), (400_000, 2))
        log_q = jax.scipy.stats.norm.logpdf(z, mean, std)
        log_p = jax.scipy.stats.norm.logpdf(z)
        mc = jnp.mean(log_q - log_p, axis=0)
        np.testing.assert_allclose(objectives.gaussian_kl(mean, log_var), mc, atol=1e-2)


class LikelihoodTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_bernoulli(self):
        logits = jnp.array([[-3.0, 0.0, 2.5]])
        x = jnp.array([[0.0, 1.0, 1.0]])
        p = scipy.special.expit(np.asarray(logits))
        expected = x * np.log(p) + (1 - x) * np.log1p(-p)
        out = self.variant(objectives.bernoulli_log_likelihood)(logits, x)
        np.testing.assert_allclose(out, expected, rtol=1e-5)

    @chex.variants(with_jit=True, without_jit=True)
    def test_gaussian(self):
        x, mean, log_var = jnp.array([0.3, -2.0]), jnp.array([0.0, 1.0]), jnp.array([0.5, -1.0])
        expected = scipy.stats.norm.logpdf(x, mean, np.exp(0.5 * log_var))
        out = self.variant(objectives.gaussian_log_likelihood)(x, mean, log_var)
        np.testing.assert_allclose(out, expected, rtol=1e-5)

    @chex.variants(with_jit=True, without_jit=True)
    def test_categorical(self):
        logits = jnp.array([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]])
        labels = jnp.array([1, 2])
        expected = scipy.special.log_softmax(np.asarray(logits), axis=-1)[[0, 1], [1, 2]]
        out = self.variant(objectives.categorical_log_likelihood)(logits, labels)
        np.testing.assert_allclose(out, expected, rtol=1e-5)


class FreeBitsTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_value_and_gradient(self):
        mean = jnp.array([[0.05, 2.0], [0.0, 1.0]])
        log_var = jnp.zeros((2, 2))
        free_bits = jnp.float32(0.5)

        def fb(m):
            return objectives.free_bits_kl(objectives.gaussian_kl(m, log_var), free_bits)

        def plain(m):
            return jnp.sum(jnp.mean(objectives.gaussian_kl(m, log_var), axis=0))

        value = self.variant(fb)(mean)
        kl_dim = np.mean(0.5 * np.asarray(mean) ** 2, axis=0)
        np.testing.assert_allclose(value, np.sum(np.maximum(0.5, kl_dim)), rtol=1e-6)
        grad_fb, grad_plain = jax.grad(fb)(mean), jax.grad(plain)(mean)
        np.testing.assert_allclose(grad_fb[:, 0], 0.0)  # dim 0 below λ: free
        np.testing.assert_allclose(grad_fb[:, 1], grad_plain[:, 1])  # dim 1 above λ

    def test_vmaps_over_lambda(self):
        kl = jnp.array([[0.1, 1.0]])
        out = jax.vmap(objectives.free_bits_kl, in_axes=(None, 0))(kl, jnp.array([0.0, 0.5, 2.0]))
        np.testing.assert_allclose(out, [1.1, 1.5, 4.0], rtol=1e-6)


class IWAETest(chex.TestCase):
    """Toy model z ~ N(0,1), x|z ~ N(z, 1): log p(x) = log N(x; 0, 2) exactly."""

    def _log_weights(self, k, x, key):
        q_mean, q_std = 0.3 * x, 1.2  # a deliberately imperfect proposal
        z = q_mean + q_std * jax.random.normal(key, (k, x.shape[0]))
        log_joint = jax.scipy.stats.norm.logpdf(z) + jax.scipy.stats.norm.logpdf(x, z, 1.0)
        log_q = jax.scipy.stats.norm.logpdf(z, q_mean, q_std)
        return log_joint, log_q

    @chex.variants(with_jit=True, without_jit=True)
    def test_k1_is_elbo(self):
        x = jnp.array([0.5, -1.0, 2.0])
        log_joint, log_q = self._log_weights(1, x, jax.random.PRNGKey(1))
        out = self.variant(objectives.iwae_bound)(log_joint, log_q)
        chex.assert_shape(out, (3,))
        np.testing.assert_allclose(out, (log_joint - log_q)[0], rtol=1e-6)

    def test_increases_with_k_towards_log_px(self):
        x = jnp.linspace(-2.0, 2.0, 64)
        exact = jnp.mean(jax.scipy.stats.norm.logpdf(x, 0.0, jnp.sqrt(2.0)))
        bounds = []
        for k in (1, 10, 1000):
            keys = jax.random.split(jax.random.PRNGKey(2), 200)
            per_key = jax.vmap(lambda kk, k=k: objectives.iwae_bound(*self._log_weights(k, x, kk)))
            bounds.append(float(jnp.mean(per_key(keys))))
        self.assertLess(bounds[0], bounds[1])
        self.assertLess(bounds[1], bounds[2])
        self.assertLessEqual(bounds[2], float(exact) + 1e-3)
        self.assertAlmostEqual(bounds[2], float(exact), delta=0.01)

    def test_log_mean_exp_stable(self):
        x = jnp.array([[1000.0], [1000.0]])
        np.testing.assert_allclose(objectives.log_mean_exp(x), [1000.0])


class VQTest(chex.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    def test_assignment_and_losses(self):
        rng = np.random.default_rng(0)
        z_e = rng.normal(size=(7, 3)).astype(np.float32)
        codebook = rng.normal(size=(5, 3)).astype(np.float32)
        z_q, cb, commit, idx = self.variant(objectives.vq_losses)(z_e, codebook, 0.25)
        expected_idx = np.argmin(((z_e[:, None] - codebook[None]) ** 2).sum(-1), axis=1)
        np.testing.assert_array_equal(idx, expected_idx)
        np.testing.assert_allclose(z_q, codebook[expected_idx], rtol=1e-5, atol=1e-6)
        sq = ((z_e - codebook[expected_idx]) ** 2).sum(-1)
        np.testing.assert_allclose(cb, sq, rtol=1e-5)
        np.testing.assert_allclose(commit, 0.25 * sq, rtol=1e-5)

    def test_stop_gradients(self):
        z_e = jnp.array([[0.2, -0.1], [1.5, 0.9]])
        codebook = jnp.array([[0.0, 0.0], [1.0, 1.0], [-3.0, 3.0]])

        def part(i):
            return lambda e, c: jnp.sum(objectives.vq_losses(e, c, 0.25)[i])

        # codebook loss moves only the codebook; commitment only the encoder.
        g_e, g_c = jax.grad(part(1), argnums=(0, 1))(z_e, codebook)
        np.testing.assert_allclose(g_e, 0.0)
        self.assertGreater(float(jnp.abs(g_c).sum()), 0.0)
        g_e, g_c = jax.grad(part(2), argnums=(0, 1))(z_e, codebook)
        np.testing.assert_allclose(g_c, 0.0)
        self.assertGreater(float(jnp.abs(g_e).sum()), 0.0)
        # straight-through: d(sum w·z_q)/dz_e = w, and nothing reaches the codebook.
        w = jnp.array([[1.0, 2.0], [3.0, 4.0]])
        g_e, g_c = jax.grad(lambda e, c: jnp.sum(w * objectives.vq_losses(e, c, 0.25)[0]), (0, 1))(
            z_e, codebook
        )
        np.testing.assert_allclose(g_e, w)
        np.testing.assert_allclose(g_c, 0.0)

    def test_ema_update_by_hand(self):
        counts = jnp.array([1.0, 1.0])
        sums = jnp.array([[1.0, 0.0], [0.0, 1.0]])
        z_e = jnp.array([[2.0, 2.0], [4.0, 0.0], [0.0, 6.0]])
        idx = jnp.array([0, 0, 1])
        new_counts, new_sums, codebook = objectives.vq_ema_update(
            counts, sums, z_e, idx, decay=0.5, epsilon=0.0
        )
        np.testing.assert_allclose(new_counts, [0.5 + 1.0, 0.5 + 0.5])
        np.testing.assert_allclose(new_sums, [[0.5 + 3.0, 1.0], [0.0, 0.5 + 3.0]])
        np.testing.assert_allclose(codebook, [[3.5 / 1.5, 1.0 / 1.5], [0.0, 3.5]], rtol=1e-6)
        np.testing.assert_array_equal(
            objectives.dead_codes(jnp.array([0.0, 2.0]), threshold=1e-3), [True, False]
        )

    @chex.variants(with_jit=True, without_jit=True)
    def test_dead_code_restart_revives_unused_codes(self):
        codebook = jnp.array([[0.0, 0.0], [9.0, 9.0], [1.0, 1.0]])
        counts = jnp.array([3.0, 0.0, 1.0])  # code 1 is dead
        sums = codebook * counts[:, None]
        z_e = jnp.array([[0.1, 0.2], [1.1, 0.9], [0.3, -0.2]])
        restart = self.variant(
            lambda c, n, s, z, k, on: objectives.restart_dead_codes(c, n, s, z, k, enabled=on)
        )
        key = jax.random.PRNGKey(0)
        new_cb, new_counts, new_sums = restart(codebook, counts, sums, z_e, key, 1.0)
        # the dead code now sits on one of the encoder outputs; the live ones are untouched
        assert any(np.allclose(new_cb[1], z) for z in np.asarray(z_e))
        np.testing.assert_allclose(np.asarray(new_cb)[[0, 2]], np.asarray(codebook)[[0, 2]])
        np.testing.assert_allclose(new_counts, [3.0, 4.0 / 3.0, 1.0], rtol=1e-6)
        np.testing.assert_allclose(new_sums[1], new_cb[1] * 4.0 / 3.0, rtol=1e-6)
        # and, restarted, it wins the nearest-code assignment of that output
        _, _, _, idx = objectives.vq_losses(z_e, new_cb, 0.25)
        assert 1 in np.asarray(idx)
        off = restart(codebook, counts, sums, z_e, key, 0.0)
        chex.assert_trees_all_close(off, (codebook, counts, sums))


if __name__ == "__main__":
    absltest.main()
