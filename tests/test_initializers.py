"""The matmul-only orthogonal initialiser against the polar factor from NumPy's SVD."""

import chex
import jax
import numpy as np
import pytest
from absl.testing import parameterized

from vaecollapse.families.vae.models.initializers import orthogonal


class OrthogonalTest(parameterized.TestCase):
    @chex.variants(with_jit=True, without_jit=True)
    @parameterized.parameters((64, 256), (256, 64), (64, 64), (4, 3, 5))
    def test_is_the_polar_factor_of_the_gaussian_draw(self, *shape):
        key = jax.random.PRNGKey(7)
        q = self.variant(lambda k: orthogonal(scale=2.0)(k, shape))(key)
        chex.assert_shape(q, shape)
        chex.assert_tree_all_finite(q)
        g = np.asarray(jax.random.normal(key, (int(np.prod(shape[:-1])), shape[-1])))
        u, _, vt = np.linalg.svd(g, full_matrices=False)
        np.testing.assert_allclose(q.reshape(g.shape), 2.0 * u @ vt, atol=2e-5)


@pytest.mark.parametrize("shape", [(64, 256), (256, 64), (64, 64)])
def test_orthonormal_for_many_keys(shape):
    qs = jax.vmap(lambda k: orthogonal()(k, shape))(jax.random.split(jax.random.PRNGKey(0), 64))
    small = min(shape)
    gram = (
        np.einsum("bij,bkj->bik", qs, qs)
        if shape[0] == small
        else np.einsum("bji,bjk->bik", qs, qs)
    )
    np.testing.assert_allclose(gram, np.broadcast_to(np.eye(small), gram.shape), atol=1e-5)
    assert not np.allclose(qs[0], qs[1])
