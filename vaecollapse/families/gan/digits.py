"""Stacked digits' mode classifier and its 1,000-mode measures (PacGAN's Stacked MNIST
protocol, Lin et al. 2018, on scikit-learn's 8×8 digits: data ``stacked_digits``).

The classifier: a one-hidden-layer MLP (64 grey levels → `HIDDEN` ReLU units → 10
logits), trained once on the digits' train split (`data.embedded.digits`, grey levels,
the split of ``split_seed``: the same train digits the GAN's stacks are drawn from; never
on a test digit) by full-batch AdamW (`LEARNING_RATE`, `WEIGHT_DECAY`, `TRAIN_STEPS`
steps) from `SEED`, deterministic; cached as ``.npz`` under `cache_dir` (a few seconds to
retrain). Its held-out accuracy on the test digits is in the cache and in
`Classifier.accuracy` (98.6 % at split_seed 0, test fraction 0.2: 354 of 359).

Its parameters are plain arrays and its forward pass is written once against an array
namespace ``xp`` (`classify`): NumPy for `diagnose_stacked_digits` (this module imports no
JAX at import time; training imports it), ``jax.numpy`` inside the GAN trainer's compiled
program.

Applied per channel: a sample's mode is ``100·a + 10·b + c`` of the three channels'
predicted labels. Measures, as PacGAN's Table 2 (`mode_measures`):

``modes_captured``
    modes (of 1,000) with at least one sample;
``reverse_kl``
    KL(p_gen ‖ uniform) = Σ_{k: p_k>0} p_k log(p_k · 1000) of the mode histogram of *all*
    samples (PacGAN's and VEEGAN's evaluation code counts every sample): 0 when all
    1,000 modes get equal shares, log(1000/m) when m modes share the samples evenly;
``high_quality``
    the share of samples whose three channels are each classified with confidence (the
    largest softmax probability) at least `CONFIDENCE` = 0.5: the predicted label holds
    the majority of the channel's probability. The threshold is ours (PacGAN, VEEGAN and
    Unrolled GAN report no quality filter on Stacked MNIST, only modes and KL), read off
    the classifier on real held-out data: 98.4 % of 2,600 real test stacks pass it (at
    0.9 only 80 % would; `Classifier.real_high_quality`, at split_seed 0);
``precision`` / ``coverage``
    Naeem et al. (2020) on the classifier's hidden features (the three channels' ReLU
    units concatenated, ``[N, 3·HIDDEN]``), k = 5, against real test stacks (`gan.prdc`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

import numpy as np

from vaecollapse.families import gan
from vaecollapse.families.gan.monitor import mode_state, reverse_kl
from vaecollapse.families.gan.prdc import as_points, coverage

NUM_DIGITS = 10
CHANNELS = 3
NUM_MODES = NUM_DIGITS**CHANNELS  # 1,000
SIDE = 8  # the digits are 8×8
HIDDEN = 128  # the classifier's hidden ReLU units
TRAIN_STEPS = 1000  # full-batch AdamW steps
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-4
SEED = 0
CONFIDENCE = 0.5  # every channel's largest softmax probability at least this: high quality
EVAL_SAMPLES = 26_000  # samples PacGAN scores per run (Table 2)
MIN_ACCURACY = 0.97  # the held-out accuracy the classifier must reach
VERSION = 1  # bump when the classifier's recipe changes: the cache key holds it
MODE_WEIGHTS = np.array([100, 10, 1])  # a triple's mode: 100·a + 10·b + c


def cache_dir() -> Path:
    """``$VAECOLLAPSE_CACHE`` or ``~/.cache/vaecollapse``."""
    return Path(os.environ.get("VAECOLLAPSE_CACHE") or Path.home() / ".cache" / "vaecollapse")


@dataclasses.dataclass(frozen=True)
class Classifier:
    """The digit classifier: ``params`` (``w1 [64, HIDDEN]``, ``b1``, ``w2 [HIDDEN, 10]``,
    ``b2``, float32 NumPy), its held-out ``accuracy`` on the test digits, and
    ``real_high_quality``, the share of real test stacks that pass `CONFIDENCE`."""

    params: dict
    accuracy: float
    real_high_quality: float
    split_seed: int
    test_fraction: float


def forward(params, x, xp=np):
    """The classifier's MLP on single digits ``x [M, 64]`` in namespace ``xp``: the hidden
    ReLU units ``[M, HIDDEN]`` and the logits ``[M, 10]`` (`classify`, and the loss
    `train_classifier` minimises)."""
    h = xp.maximum(x @ params["w1"] + params["b1"], 0.0)
    return h, h @ params["w2"] + params["b2"]


def classify(params, images, xp=np):
    """The classifier on every channel of ``images`` ``[N, 8, 8, C]`` (or ``[N, 64·C]``,
    flattened in that order) in namespace ``xp``: ``labels [N, C]`` (argmax),
    ``confidence [N, C]`` (the largest softmax probability) and ``features [N, C·HIDDEN]``
    (the hidden ReLU units, channel after channel)."""
    n = images.shape[0]
    x = images.reshape(n, SIDE * SIDE, -1)  # [N, 64, C]
    channels = x.shape[-1]
    x = xp.swapaxes(x, 1, 2).reshape(n * channels, SIDE * SIDE)
    h, logits = forward(params, x, xp)
    shifted = logits - xp.max(logits, axis=-1, keepdims=True)
    probs = xp.exp(shifted) / xp.sum(xp.exp(shifted), axis=-1, keepdims=True)
    labels = xp.argmax(logits, axis=-1).reshape(n, channels)
    confidence = xp.max(probs, axis=-1).reshape(n, channels)
    return labels, confidence, h.reshape(n, channels * h.shape[-1])


def modes_of(labels, xp=np):
    """``[N]`` the mode ``100·a + 10·b + c`` of each triple of labels ``[N, 3]``."""
    return xp.sum(labels * xp.asarray(MODE_WEIGHTS), axis=-1)


def mode_measures(counts) -> tuple[int, float]:
    """``(modes_captured, reverse_kl)`` of a mode histogram ``counts [K]`` (PacGAN): the
    modes with at least one sample, and KL(p ‖ uniform) of p = counts / Σ counts
    (`gan.monitor.reverse_kl`; log K for an empty histogram).

    Raises:
      ValueError: counts not 1-D, negative or non-finite.
    """
    counts = np.asarray(counts, np.float64)
    if counts.ndim != 1 or not np.all(np.isfinite(counts) & (counts >= 0)):
        raise ValueError(
            f"counts of shape {counts.shape} is invalid: must be [K] finite counts >= 0"
        )
    return int((counts > 0).sum()), reverse_kl(counts)


# --------------------------------------------------------------------------- classifier


def _key(split_seed: int, test_fraction: float) -> str:
    recipe = f"{VERSION}-{HIDDEN}-{TRAIN_STEPS}-{LEARNING_RATE}-{WEIGHT_DECAY}-{SEED}"
    recipe += f"-{split_seed}-{test_fraction}"
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def train_classifier(split_seed: int = 0, test_fraction: float = 0.2) -> Classifier:
    """Train the classifier on the train digits of ``(split_seed, test_fraction)``
    (deterministic: `SEED`, full batch); its accuracy on the test digits."""
    import jax
    import jax.numpy as jnp
    import optax

    from vaecollapse.data import embedded

    plain = embedded.digits(binarize=False, test_fraction=test_fraction, split_seed=split_seed)
    x = jnp.asarray(plain.train.reshape(len(plain.train), -1))
    y = jnp.asarray(plain.train_labels)
    k1, k2 = jax.random.split(jax.random.key(SEED))
    d = SIDE * SIDE
    params = {
        "w1": jax.random.normal(k1, (d, HIDDEN)) * np.sqrt(2 / d),
        "b1": jnp.zeros(HIDDEN),
        "w2": jax.random.normal(k2, (HIDDEN, NUM_DIGITS)) * np.sqrt(1 / HIDDEN),
        "b2": jnp.zeros(NUM_DIGITS),
    }
    opt = optax.adamw(LEARNING_RATE, weight_decay=WEIGHT_DECAY)

    def loss(p):
        _, logits = forward(p, x, jnp)
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, y))

    @jax.jit
    def fit(params):
        def step(carry, _):
            p, s = carry
            updates, s = opt.update(jax.grad(loss)(p), s, p)
            return (optax.apply_updates(p, updates), s), None

        return jax.lax.scan(step, (params, opt.init(params)), None, length=TRAIN_STEPS)[0][0]

    params = {k: np.asarray(v, np.float32) for k, v in fit(params).items()}
    test = plain.test.reshape(len(plain.test), -1)
    labels, _, _ = classify(params, test[:, :, None])
    accuracy = float(np.mean(labels[:, 0] == plain.test_labels))
    stacks = embedded.stacked_digits(
        num_examples=2, num_test=2600, test_fraction=test_fraction, split_seed=split_seed
    ).test
    _, confidence, _ = classify(params, stacks)
    real_hq = float(np.mean(np.all(confidence >= CONFIDENCE, axis=1)))
    return Classifier(params, accuracy, real_hq, split_seed, float(test_fraction))


def load_classifier(split_seed: int = 0, test_fraction: float = 0.2) -> Classifier:
    """The classifier of the digits' split ``(split_seed, test_fraction)``: from the
    cache (`cache_dir`) or trained (`train_classifier`) and cached."""
    path = cache_dir() / f"digit_classifier-{_key(split_seed, test_fraction)}.npz"
    if path.exists():
        with np.load(path) as f:
            params = {k: f[k] for k in ("w1", "b1", "w2", "b2")}
            return Classifier(
                params,
                float(f["accuracy"]),
                float(f["real_high_quality"]),
                split_seed,
                float(test_fraction),
            )
    clf = train_classifier(split_seed, test_fraction)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **clf.params, accuracy=clf.accuracy, real_high_quality=clf.real_high_quality)
        os.replace(tmp, path)
    except OSError:  # a read-only home: retrained next time
        pass
    return clf


# --------------------------------------------------------------------------- the API


@dataclasses.dataclass(frozen=True)
class StackedDigitsReport:
    """The 1,000-mode measures of N generated stacked digits (`diagnose_stacked_digits`)."""

    modes_captured: int  # modes (of 1,000) with >= 1 sample
    num_modes: int  # 1,000
    reverse_kl: float  # KL(p_gen ‖ uniform) of the mode histogram of all samples
    high_quality: float  # share of samples with every channel's confidence >= CONFIDENCE
    mode_counts: np.ndarray  # [1000] samples per mode
    num_samples: int
    state: str  # healthy (>= 900 modes), partial, full (<= 1)
    precision: float  # Naeem et al. on the classifier's features; NaN without real
    coverage: float
    classifier_accuracy: float  # the classifier's held-out accuracy

    def __str__(self) -> str:
        return "\n".join(
            [
                f"state:          {self.state}",
                f"modes captured: {self.modes_captured} of {self.num_modes}"
                f" ({self.num_samples} samples)",
                f"reverse KL:     {self.reverse_kl:.4f} nats (0: modes used evenly; "
                f"log {self.num_modes} = {np.log(self.num_modes):.3f}: one mode)",
                f"high quality:   {100 * self.high_quality:.1f} % (every channel's "
                f"confidence >= {CONFIDENCE:g})",
                f"precision:      {self.precision:.3f}",
                f"coverage:       {self.coverage:.3f}",
                f"classifier:     {100 * self.classifier_accuracy:.1f} % held-out accuracy",
            ]
        )

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["mode_counts"] = self.mode_counts.tolist()
        return out


def _images(name: str, images) -> np.ndarray:
    """``images`` as ``[N, 192]`` float64 (from ``[N, 8, 8, 3]`` or ``[N, 192]``)."""
    arr = np.asarray(images, np.float64)
    per = SIDE * SIDE * CHANNELS
    if arr.ndim == 4 and arr.shape[1:] != (SIDE, SIDE, CHANNELS):
        raise ValueError(f"{name} has shape {arr.shape}: must be [N, 8, 8, 3] or [N, 192]")
    flat = arr.reshape(len(arr), -1) if arr.ndim == 4 else arr
    return as_points(name, flat, "N images", dim=("a stacked digit (8·8·3)", per))


def diagnose_stacked_digits(
    samples, real=None, *, classifier: Classifier | None = None, k: int = gan.PRDC_K
) -> StackedDigitsReport:
    """PacGAN's Stacked MNIST measures of a generator's ``samples`` of stacked digits.

    Args:
      samples: ``[N, 8, 8, 3]`` (or ``[N, 192]``) grey levels in [0, 1], channel c one
        digit (NumPy, JAX, or anything `np.asarray` takes). PacGAN scores 26,000.
      real: optional real stacks, as ``samples`` (e.g. ``stacked_digits``' test split):
        then precision and coverage (Naeem et al., k = ``k``) on the classifier's
        features; NaN without.
      classifier: `load_classifier`'s (default: split seed 0, test fraction 0.2).

    Raises:
      ValueError: samples or real not [N, 8, 8, 3] / [N, 192], empty or non-finite, k not
        in [1, rows − 1].
    """
    x = _images("samples", samples)
    clf = classifier or load_classifier()
    labels, confidence, features = classify(clf.params, x)
    counts = np.bincount(modes_of(labels), minlength=NUM_MODES)
    captured, rkl = mode_measures(counts)
    precision = cover = float("nan")
    if real is not None:
        _, _, real_features = classify(clf.params, _images("real", real))
        m = min(len(real_features), len(features))
        prdc = coverage(real_features[:m], features[:m], k=k)
        precision, cover = prdc["precision"], prdc["coverage"]
    return StackedDigitsReport(
        modes_captured=captured,
        num_modes=NUM_MODES,
        reverse_kl=rkl,
        high_quality=float(np.mean(np.all(confidence >= CONFIDENCE, axis=1))),
        mode_counts=counts,
        num_samples=len(x),
        state=mode_state(captured, NUM_MODES),
        precision=float(precision),
        coverage=float(cover),
        classifier_accuracy=clf.accuracy,
    )
