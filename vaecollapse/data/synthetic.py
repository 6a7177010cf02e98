"""Generated data with known ground truth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import logsumexp
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
    linear VAE's optimum on it is known in closed form (`vaecollapse.families.vae.analytic`).

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
    topic_weight: float = 1.0,
    test_fraction: float = 0.2,
) -> Dataset:
    """Token sequences from a mixture of Markov chains, one per latent topic.

    Each sequence draws a topic k uniformly from ``num_topics``. A chain shared by all
    topics (transition matrix S, rows ~ Dirichlet(concentration), initial distribution
    σ) is the backbone; topic k's own chain (T_k, π_k, drawn alike) shifts it by
    ``topic_weight`` w ∈ [0, 1]:

        x_0 ~ (1 − w)·σ + w·π_k,    x_t ~ (1 − w)·S[x_{t−1}] + w·T_k[x_{t−1}].

    w = 1 gives K distinct chains, which a recurrent decoder tells apart after a few
    tokens; a small w is a weak global signal over strong local structure that every
    sentence shares, as topic or sentiment is in natural text (the setting where Bowman
    et al. (2016) saw an LSTM VAE collapse). The latent carries at most H(topic) = log K
    nats about the topic (``meta['mi_bound']``); ``meta['topic_information']`` is
    I(x; topic) itself, exact per sequence (the chains give p(x | k) in closed form) and
    averaged over the sequences drawn: log K − E[H(topic | x)].

    Returns:
      ``Dataset`` of int32 tokens ``[N, length]``, topic labels, and
      ``meta['transitions']`` ``[K, V, V]`` / ``meta['initial']`` ``[K, V]`` (each
      topic's mixed chain).
    """
    _check_sizes(num_topics, vocab_size, length, num_examples)
    if not concentration > 0:
        raise ValueError(f"data.concentration must be > 0, got {concentration!r}")
    if not 0.0 <= topic_weight <= 1.0:
        raise ValueError(f"data.topic_weight must be in [0, 1], got {topic_weight!r}")
    rng = np.random.default_rng(seed)
    own = rng.dirichlet(np.full(vocab_size, concentration), size=(num_topics, vocab_size))
    own_initial = rng.dirichlet(np.ones(vocab_size), size=num_topics)
    topics = rng.integers(num_topics, size=num_examples)
    if topic_weight < 1.0:  # drawn only when used: w = 1 keeps the data of older versions
        shared = rng.dirichlet(np.full(vocab_size, concentration), size=vocab_size)
        shared_initial = rng.dirichlet(np.ones(vocab_size))
        own = (1 - topic_weight) * shared + topic_weight * own
        own_initial = (1 - topic_weight) * shared_initial + topic_weight * own_initial
    transitions, initial = own, own_initial
    tokens = np.empty((num_examples, length), np.int32)
    cumulative = np.cumsum(transitions, axis=-1)
    cumulative[..., -1] = 1.0  # guard against rounding: every draw lands on a token
    tokens[:, 0] = (rng.random((num_examples, 1)) < np.cumsum(initial[topics], -1)).argmax(-1)
    for t in range(1, length):
        rows = cumulative[topics, tokens[:, t - 1]]
        tokens[:, t] = (rng.random((num_examples, 1)) < rows).argmax(-1)
    return _topic_dataset(
        "markov_topics",
        tokens,
        topics,
        num_topics,
        vocab_size,
        test_fraction,
        topic_information=topic_information(tokens, topics, transitions, initial),
        transitions=transitions,
        initial=initial,
    )


def topic_information(
    tokens: np.ndarray, topics: np.ndarray, transitions: np.ndarray, initial: np.ndarray
) -> float:
    """I(x; topic) in nats, estimated on sequences drawn from the model: the mean over
    ``tokens`` ``[N, L]`` (topics ``[N]``) of log p(x | k) − log (1/K) Σ_k' p(x | k'),
    with log p(x | k) = log π_k[x_0] + Σ_t log T_k[x_{t−1}, x_t] exact."""
    with np.errstate(divide="ignore"):  # a topic that cannot emit x has log p(x | k) = −inf
        log_px_k = np.log(initial[:, tokens[:, 0]]) + np.log(
            transitions[:, tokens[:, :-1], tokens[:, 1:]]
        ).sum(-1)  # [K, N]
    log_px = logsumexp(log_px_k, axis=0) - np.log(len(initial))
    return float(np.mean(log_px_k[topics, np.arange(len(topics))] - log_px))


def lstm_mixture(
    *,
    num_topics: int,
    vocab_size: int,
    length: int,
    num_examples: int,
    seed: int,
    hidden: int = 100,
    z_scale: float = 1.0,
    test_fraction: float = 0.2,
) -> Dataset:
    """Sentences from a randomly initialised LSTM language model driven by a latent z
    (He et al. 2019, "Lagging inference networks", their synthetic data).

    z ∈ R² is drawn from an equal mixture of ``num_topics`` unit Gaussians whose means lie
    on the circle of radius 2√2 (for 4 topics: (±2, ±2)). The language model, weights
    uniform in ±1, starts from c₀ = W_c z, h₀ = tanh c₀; its input at t is the previous
    token's embedding with z appended, and z adds W' z (W' uniform in ±3) to every logit:

        x_0 ~ uniform,   x_t ~ softmax(W_o h_t + b + W' z),   h_t = LSTM(h_{t−1}, [e(x_{t−1}); z]).

    ``z_scale`` multiplies every path of z (1: He et al.'s). An LSTM VAE trained on these
    is known to collapse although z shapes every sentence. ``meta['mi_bound']`` = log K
    bounds I(x; topic).

    Returns:
      ``Dataset`` of int32 tokens ``[N, length]``, topic labels, and ``meta['z']``
      ``[N, 2]`` (train then test order as in the splits).
    """
    _check_sizes(num_topics, vocab_size, length, num_examples)
    if not isinstance(hidden, int) or hidden < 1:
        raise ValueError(f"data.hidden must be an integer >= 1, got {hidden!r}")
    rng = np.random.default_rng(seed)
    uniform = lambda *shape, scale=1.0: rng.uniform(-scale, scale, shape)  # noqa: E731
    embed = uniform(vocab_size, hidden)
    gates = uniform(hidden + 2 + hidden, 4 * hidden)  # [input; z; h] -> i, f, g, o
    bias = uniform(4 * hidden)
    w_c, w_out, b_out = uniform(2, hidden), uniform(hidden, vocab_size), uniform(vocab_size)
    w_z = uniform(2, vocab_size, scale=3.0)
    angles = 2 * np.pi * (np.arange(num_topics) + 0.5) / num_topics
    centres = 2 * np.sqrt(2) * np.stack([np.cos(angles), np.sin(angles)], -1)
    topics = rng.integers(num_topics, size=num_examples)
    z = (centres[topics] + rng.standard_normal((num_examples, 2))) * z_scale
    c = z @ w_c
    h = np.tanh(c)
    tokens = np.empty((num_examples, length), np.int32)
    tokens[:, 0] = rng.integers(vocab_size, size=num_examples)
    for t in range(1, length):
        pre = np.concatenate([embed[tokens[:, t - 1]], z, h], -1) @ gates + bias
        i, f, g, o = np.split(pre, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        logits = h @ w_out + b_out + z @ w_z
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        cumulative = np.cumsum(probs / probs.sum(-1, keepdims=True), -1)
        cumulative[:, -1] = 1.0
        tokens[:, t] = (rng.random((num_examples, 1)) < cumulative).argmax(-1)
    num_test = _num_test(test_fraction, num_examples)
    z = np.concatenate([z[num_test:], z[:num_test]]).astype(np.float32)
    return _topic_dataset(
        "lstm_mixture", tokens, topics, num_topics, vocab_size, test_fraction, z=z
    )


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _check_sizes(num_topics: int, vocab_size: int, length: int, num_examples: int) -> None:
    for name, value, low in (
        ("num_topics", num_topics, 1),
        ("vocab_size", vocab_size, 2),
        ("length", length, 2),
        ("num_examples", num_examples, 2),
    ):
        if not isinstance(value, int) or value < low:
            raise ValueError(f"data.{name} must be an integer >= {low}, got {value!r}")


def _num_test(test_fraction: float, num_examples: int) -> int:
    return max(1, round(test_fraction * num_examples))


def _topic_dataset(
    name: str,
    tokens: np.ndarray,
    topics: np.ndarray,
    num_topics: int,
    vocab_size: int,
    test_fraction: float,
    **meta,
) -> Dataset:
    """Token sequences ``[N, L]`` and their topics ``[N]`` (of ``num_topics``) split into
    test (the first ``test_fraction``) and train (the rest), with the token data's
    ``meta`` (``mi_bound`` = log K) and the extra entries ``meta``."""
    num_test = _num_test(test_fraction, len(tokens))
    meta = {
        "name": name,
        "kind": "tokens",
        "shape": tokens.shape[1:],
        "vocab_size": vocab_size,
        "num_classes": num_topics,
        "mi_bound": float(np.log(num_topics)),
        **meta,
    }
    labels = topics.astype(np.int32)
    return Dataset(tokens[num_test:], tokens[:num_test], meta, labels[num_test:], labels[:num_test])


def gaussian_mixture_2d(
    *,
    name: str,
    means: np.ndarray,
    std: float,
    num_examples: int,
    seed: int,
    test_fraction: float = 0.2,
) -> Dataset:
    """Samples of an equal-weight mixture of isotropic 2-D Gaussians (the mode-collapse
    benchmarks of VEEGAN and PacGAN: `ring`, `grid`).

    Returns:
      ``Dataset`` of ``[N, 2]`` float32 points with the mode labels; ``meta['modes']``
      the means ``[K, 2]`` (as nested tuples), ``meta['mode_std']`` the std, the ground
      truth a GAN trainer draws fresh samples from on device.
    """
    if not (isinstance(std, int | float) and std > 0):
        raise ValueError(f"data.mode_std={std!r} is invalid: must be > 0")
    if num_examples < 2:
        raise ValueError(f"data.num_examples={num_examples!r} is invalid: must be >= 2")
    means = np.asarray(means, np.float64)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(means), num_examples)
    x = (means[labels] + std * rng.standard_normal((num_examples, 2))).astype(np.float32)
    num_test = _num_test(test_fraction, num_examples)
    meta = {
        "name": name,
        "kind": "continuous",
        "shape": (2,),
        "num_classes": len(means),
        "modes": tuple(tuple(float(v) for v in m) for m in means),
        "mode_std": float(std),
    }
    labels = labels.astype(np.int32)
    return Dataset(x[num_test:], x[:num_test], meta, labels[num_test:], labels[:num_test])


def ring_modes(num_modes: int = 8, radius: float = 1.0) -> np.ndarray:
    """``[K, 2]`` means evenly spaced on a circle (PacGAN's ring: 8 modes, radius 1)."""
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_modes(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """``[side², 2]`` means on a square grid centred at 0 (PacGAN's grid: 5 × 5, spacing
    2, means {−4, −2, 0, 2, 4}²)."""
    axis = spacing * (np.arange(side) - (side - 1) / 2)
    return np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
