"""Generated data with known ground truth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import special_ortho_group

from vaecollapse.data.dataset import Dataset


def linear_gaussian(
    *,
    eigenvalues: Sequence[float],
    num_examples: int,
    seed: int,
    test_fraction: float = 0.2,
    rotate: bool = True,
) -> Dataset:
    """Zero-mean Gaussian data x = Q diag(√λ) ε with a random rotation Q (from ``seed``).

    The population covariance is Q diag(λ) Qᵀ, whose spectrum is ``eigenvalues``; the
    linear VAE's optimum on it is known in closed form (`vaecollapse.analytic`).

    Returns:
      ``Dataset`` with ``[N, D]`` float32 vectors; ``meta['eigenvalues']`` the spectrum.
    """
    eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
    if eigenvalues.ndim != 1 or eigenvalues.size == 0:
        raise ValueError(
            f"data.eigenvalues must be a non-empty 1-D sequence of positive floats, "
            f"got {eigenvalues.tolist()!r}"
        )
    if not np.all(np.isfinite(eigenvalues)) or np.any(eigenvalues <= 0):
        raise ValueError(
            f"data.eigenvalues must all be positive and finite, got {eigenvalues.tolist()!r}"
        )
    if num_examples < 2:
        raise ValueError(f"data.num_examples must be >= 2, got {num_examples!r}")
    dim = eigenvalues.size
    rng = np.random.default_rng(seed)
    basis = special_ortho_group.rvs(dim, random_state=rng) if rotate and dim > 1 else np.eye(dim)
    x = (rng.standard_normal((num_examples, dim)) * np.sqrt(eigenvalues)) @ basis.T
    num_test = max(1, round(test_fraction * num_examples))
    x = x.astype(np.float32)
    meta = {
        "name": "linear_gaussian",
        "kind": "continuous",
        "shape": (dim,),
        "eigenvalues": tuple(float(e) for e in eigenvalues),
    }
    return Dataset(x[num_test:], x[:num_test], meta)


def markov_topics(
    *,
    num_topics: int,
    vocab_size: int,
    length: int,
    num_examples: int,
    seed: int,
    concentration: float = 0.1,
    test_fraction: float = 0.2,
) -> Dataset:
    """Token sequences whose latent topic is recoverable: a mixture of Markov chains.

    Each sequence draws a topic k uniformly from ``num_topics``; topic k owns a
    transition matrix T_k over ``vocab_size`` tokens (rows ~ Dirichlet(concentration),
    so small concentrations give near-deterministic, distinct topics) and an initial
    distribution π_k. Then x_0 ~ π_k and x_t ~ T_k[x_{t−1}]. A recurrent decoder can
    model x well from its context alone after a few tokens, so a VAE over these is
    collapse-prone (Bowman et al. 2016). The latent carries at most I(x; topic) ≤
    H(topic) = log K nats about the generating factor: ``meta['mi_bound']``.

    Returns:
      ``Dataset`` of int32 tokens ``[N, length]``, topic labels, and
      ``meta['transitions']`` ``[K, V, V]`` / ``meta['initial']`` ``[K, V]``.
    """
    for name, value, low in (
        ("num_topics", num_topics, 1),
        ("vocab_size", vocab_size, 2),
        ("length", length, 2),
        ("num_examples", num_examples, 2),
    ):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"data.{name} must be an integer >= {low}, got {value!r}")
    if not concentration > 0:
        raise ValueError(f"data.concentration must be > 0, got {concentration!r}")
    rng = np.random.default_rng(seed)
    transitions = rng.dirichlet(np.full(vocab_size, concentration), size=(num_topics, vocab_size))
    initial = rng.dirichlet(np.ones(vocab_size), size=num_topics)
    topics = rng.integers(num_topics, size=num_examples)
    tokens = np.empty((num_examples, length), np.int32)
    cumulative = np.cumsum(transitions, axis=-1)
    cumulative[..., -1] = 1.0  # guard against rounding: every draw lands on a token
    tokens[:, 0] = (rng.random((num_examples, 1)) < np.cumsum(initial[topics], -1)).argmax(-1)
    for t in range(1, length):
        rows = cumulative[topics, tokens[:, t - 1]]
        tokens[:, t] = (rng.random((num_examples, 1)) < rows).argmax(-1)
    num_test = max(1, round(test_fraction * num_examples))
    meta = {
        "name": "markov_topics",
        "kind": "tokens",
        "shape": (length,),
        "vocab_size": vocab_size,
        "num_classes": num_topics,
        "mi_bound": float(np.log(num_topics)),
        "transitions": transitions,
        "initial": initial,
    }
    labels = topics.astype(np.int32)
    return Dataset(tokens[num_test:], tokens[:num_test], meta, labels[num_test:], labels[:num_test])
