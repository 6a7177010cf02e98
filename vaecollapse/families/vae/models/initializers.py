"""Parameter initialisers that compile to matmuls only.

jaxlib 0.10 runs LAPACK custom calls (QR, SVD, …) on XLA's CPU thread pool; several of
them in one vmapped program (one orthogonal init per LSTM, per run) can wedge that pool
on a small machine (a known jax 0.10 CPU deadlock). Initialisation runs inside the
vmapped sweep, so recurrent kernels use this matmul-only orthogonal initialiser instead
(build cells with `lstm_cell`).
"""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


def orthogonal(scale: float = 1.0, iterations: int = 40) -> jax.nn.initializers.Initializer:
    """Random (semi-)orthogonal matrix: the polar factor of a Gaussian matrix.

    For G ``[m, n]`` with i.i.d. N(0, 1) entries, the polar factor U = G (GᵀG)^{-1/2}
    (or its transpose when m < n) is Haar-distributed on the Stiefel manifold — the
    same law as `jax.nn.initializers.orthogonal` (Saxe et al. 2014) draws from QR. It is
    computed by the Newton–Schulz iteration Y ← ½ Y (3I − YᵀY) from Y₀ = G / ‖G‖_F,
    which converges quadratically once every singular value is near 1.

    Returns:
      ``init(key, shape, dtype)``: ``shape[-1]`` columns, the leading dims flattened to
      rows; rows (if fewer) or columns (if fewer) orthonormal, times ``scale``.
    """

    def init(key, shape, dtype=jnp.float32):
        rows = 1
        for n in shape[:-1]:
            rows *= n
        g = jax.random.normal(key, (rows, shape[-1]), jnp.float32)
        tall = rows >= shape[-1]
        y = g if tall else g.T
        y = y / jnp.linalg.norm(y)

        def newton_schulz(_, y):
            return 0.5 * y @ (3.0 * jnp.eye(y.shape[1], dtype=y.dtype) - y.T @ y)

        y = jax.lax.fori_loop(0, iterations, newton_schulz, y)
        q = y if tall else y.T
        return (scale * q).reshape(shape).astype(dtype)

    return init


def lstm_cell(features: int) -> nn.OptimizedLSTMCell:
    """The LSTM cell every recurrent model here uses: Flax's, with `orthogonal` above
    for the recurrent kernel (Flax's default QR-based one is what deadlocks)."""
    return nn.OptimizedLSTMCell(features, recurrent_kernel_init=orthogonal())
