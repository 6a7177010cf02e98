"""The SSL family: representation collapse in joint-embedding self-supervised learning.

A siamese network (writing side `families.ssl.trainer`) maps two augmented views of an
input to embeddings z; its objective (``config.model.ssl_loss``) is SimSiam's (Chen & He
2021: a predictor and a stop-gradient, no negative pairs, so the constant embedding solves
it perfectly), BYOL's (Grill et al. 2020: the same with an EMA target network),
VICReg's (Bardes et al. 2022), InfoNCE's or Barlow Twins' (Zbontar et al. 2021).
*Complete collapse*: every input maps to one direction. *Dimensional collapse* (Jing et
al. 2022): the embeddings span only a few directions of the d available.

Order parameters (each falls to ~0, or to its floor, at collapse):

- ``std_normalized`` (main): the std over inputs of each dimension of the l2-normalised
  embedding z/‖z‖, averaged over dims, times √d (Chen & He 2021, §4.1, who plot the
  std without the √d): 1 for embeddings spread isotropically over the sphere, 0 when
  every input gets the same direction. Threshold 0.1: an embedding collapsed onto a
  line through the origin (z = ±s·u, rank one) scores ‖u‖₁/√d ≥ 1/√d, above 0.1 for any
  d < 100, so only a collapse onto (nearly) one point of the sphere — complete collapse,
  not dimensional — falls below it; it is also 10× below what healthy runs reach on
  digits (0.6–0.9), far above float round-off of a collapsed run (~1e-3).
- ``rankme``: RankMe (Garrido et al. 2023), the effective rank of the ``N × d`` eval
  embedding matrix Z (uncentred): p_k = σ_k(Z)/‖σ(Z)‖₁ + 1e-7, exp(−Σ_k p_k log p_k);
  between 1 (rank one, or complete collapse) and d. Threshold 1.5: past it the
  embeddings carry more than one direction. Its floor is 1, not 0: a boundary of
  RankMe asks where it falls to 1.5.
- ``spectrum`` (per unit over ``rank``): the singular values of the centred eval
  embeddings divided by the largest, largest first — the "embedding spectrum" of
  Jing et al. (2022); rank k counts as collapsed below 1e-3 (the float32 floor of a
  spectrum computed from embeddings of O(1) size is ~1e-6). It sees dimensional
  collapse; at complete collapse the centred embeddings are round-off and their spectrum,
  normalised by its own largest value, is not meaningful (rank 0 is 1 by definition).

``collapse_state`` (`state_names`; `collapse_state`, the one rule that
`ssl.monitor` applies too): 2 complete (``std_normalized`` < 0.1), else 1
dimensional (RankMe < ¼·min(N, d), or any of the first min(N − 1, d) spectrum entries
below 1e-3: a direction with no variance, Jing et al.'s collapsed dimension), else 0
healthy. Why ¼: an isotropic Gaussian sample reads RankMe ≥ 0.8·min(N, d)
(Marchenko–Pastur; `tests/test_embeddings.py`), trained healthy SimSiam embeddings on
digits 0.42·d (13–14 of 32, docs/ssl.md), collapsed ones 1.5–1.8. RankMe is not the
complete test: it counts directions, not their size (a constant vector plus 1 % isotropic
noise reads RankMe ≈ 1.5 in d = 32, std_normalized 0.01). ``collapse_onset_step``: the
first logged step from which the ``std_normalized`` trace (train subset) stays below 0.1;
−1 never. ``probe_accuracy``: `ssl.monitor`' closed-form ridge linear probe on the eval
embeddings with the labels (ridge relative to their scale, a seeded random half fit, the
other scored; chance ~0.1 on digits); NaN for data without labels. Every measure is
`ssl.monitor`' (`ssl.trainer.finish`), the public API's one implementation.

This module imports no JAX (the reading side imports it).
"""

from __future__ import annotations

import json

from vaecollapse.family import Family, Figure, OrderParameter

STD_THRESHOLD = 0.1  # std_normalized below which a run counts as completely collapsed
RANKME_THRESHOLD = 1.5
SPECTRUM_THRESHOLD = 1e-3
DIMENSIONAL_FRACTION = 0.25  # RankMe below this share of min(N, d): dimensional collapse
HEALTHY, DIMENSIONAL, COMPLETE = 0, 1, 2
# config.model.ssl_loss (static): the objective, and its name in the legend
LOSS_NAMES = {
    "simsiam": "SimSiam-style",
    "vicreg": "VICReg",
    "infonce": "InfoNCE",
    "barlow": "Barlow Twins",
    "byol": "BYOL",
}
STATE_NAMES = {HEALTHY: "healthy", DIMENSIONAL: "dimensional", COMPLETE: "complete"}


def legend(results) -> str:
    """What the SSL family's summary columns mean."""
    d = int(results.sizes.get("rank", 0)) or "d"
    model = json.loads(results.attrs.get("config", "{}")).get("model", {})
    loss = LOSS_NAMES.get(model.get("ssl_loss", "simsiam"), model.get("ssl_loss"))
    return (
        f"Data `{results.attrs['data_name']}`; {loss} training, embedding dim {d}, "
        "measures on the eval split. std·√d: per-dim std of the l2-normalised embedding "
        "averaged over dims × √d (1: spread over the sphere; 0: complete collapse). RankMe: "
        "effective rank of the embedding matrix (1 … d). probe: accuracy of a ridge linear "
        "probe on the embeddings (fit on a random half of the eval split, scored on the "
        "other; chance "
        f"~0.1). State: complete = std·√d < {STD_THRESHOLD:g}, dimensional = RankMe < "
        f"min(N, d)/{round(1 / DIMENSIONAL_FRACTION)} or a spectrum value < "
        f"{SPECTRUM_THRESHOLD:g}, healthy otherwise. Onset: first logged step "
        f"from which std·√d (train subset) stays below {STD_THRESHOLD:g} (−1: never). "
        "target_gradient α (SimSiam): the gradient through the target branch (0: SimSiam's "
        "stop-gradient, 1: none)."
    )


def is_spectrum(results) -> bool:
    """The results hold the embedding spectrum (`ssl.plots.spectrum`)."""
    return "spectrum" in results


def result_bytes(config, dataset) -> int:
    """Bytes of one run's results: two float32 traces per logged interval, its eval
    embeddings (kept in the chunk files until `ssl.trainer.finish` measures them), the
    spectrum [d] and a dozen scalars (preflight's disk estimate; no JAX needed)."""
    del dataset
    num_logs = config.train.steps // config.train.log_every
    embeddings = config.train.eval_examples * config.model.latent_dim
    return 4 * (2 * num_logs + embeddings + config.model.latent_dim + 16)


def states_at(results, measure, threshold):
    """Each run's state by `collapse_state` with one of its thresholds moved to
    ``threshold``: the complete-collapse line for ``std_normalized``, the spectrum floor
    for ``spectrum``; None for ``rankme`` (its 1.5 is not in the state rule) or results
    without the measures or ``eval_examples`` (the engine then reads the order parameter
    alone)."""
    import xarray as xr  # the reading side's; this module imports nothing heavy at load

    names = ("std_normalized", "rankme", "spectrum")
    n = results.attrs.get("eval_examples", results.sizes.get("example"))  # N, or the kept
    if measure not in ("std_normalized", "spectrum") or n is None:
        return None
    if any(name not in results for name in names):
        return None
    n, d = int(n), results.sizes["rank"]
    smallest = results["spectrum"].isel(rank=slice(0, spectrum_ranks(n, d))).min("rank")
    lines = {"std_threshold" if measure == "std_normalized" else "spectrum_threshold": threshold}
    codes = collapse_state(
        results["std_normalized"], results["rankme"], smallest, n, d, where=xr.where, **lines
    )
    return codes.astype(int)


FAMILY = Family(
    name="ssl",
    config="vaecollapse.families.ssl.config",
    hparams=("window_start", "window_steps"),  # the remedy window (`optim.window_hparams`)
    order_parameters={
        "std_normalized": OrderParameter("std of l2-normalised embedding × √d", STD_THRESHOLD),
        "rankme": OrderParameter("RankMe (effective rank)", RANKME_THRESHOLD),
        "spectrum": OrderParameter(
            "embedding singular values / largest", SPECTRUM_THRESHOLD, "rank"
        ),
    },
    panels=(
        ("std_normalized", "std·√d of normalised embedding"),
        ("rankme", "RankMe"),
        ("probe_accuracy", "linear probe accuracy"),
        ("collapse_state", "collapse state (0 healthy, 1 dim., 2 complete)"),
    ),
    summary_columns=(
        ("std_normalized", "std·√d", "{:.3f}"),
        ("rankme", "RankMe", "{:.2f}"),
        ("probe_accuracy", "probe", "{:.3f}"),
        ("loss", "loss", "{:.3f}"),
        ("collapse_state", "state", None),
        ("collapse_onset_step", "onset", "{:d}"),
        ("diverged", "diverged", None),
    ),
    seed_columns=(
        ("std_normalized", "std·√d"),
        ("rankme", "RankMe"),
        ("probe_accuracy", "probe"),
        ("loss", "loss"),
        ("collapse_onset_step", "onset"),
    ),
    figures={"spectrum": Figure("vaecollapse.families.ssl.plots:spectrum", is_spectrum)},
    state="collapse_state",
    state_names=STATE_NAMES,
    onset="collapse_onset_step",
    legend=legend,
    variable_dims={"spectrum": ("rank",), "embeddings": ("example", "feature")},
    make_trainer="vaecollapse.families.ssl.trainer:make_trainer",
    check_data="vaecollapse.families.ssl.trainer:check_data",
    result_bytes=result_bytes,
    finish="vaecollapse.families.ssl.trainer:finish",
    states_at=states_at,
)


def digits_config():
    """`config.base_config` set up for the SSL family on 8×8 digits in grey levels: an MLP
    encoder 64-256-256-32 with batch statistics, batch 256, Adam 3e-3 (at 1e-3 SimSiam's
    collapse without stop-gradient only crossed std·√d = 0.1 at step ~2,000; at 3e-3 by
    step ~700), 2,000 steps logged every 50, the whole 360-example test split evaluated
    (the digits experiments' shared setting)."""
    from vaecollapse import config

    c = config.base_config("ssl")
    c.data.binarize = False  # grey levels in [0, 1]
    c.model.encoder_hidden = (256, 256)
    c.model.latent_dim = 32
    c.model.norm = "batch"
    c.model.output_affine = False  # SimSiam's projector ends in BatchNorm1d(affine=False)
    c.model.ema_schedule = "cosine"  # BYOL's τ schedule (Grill et al. 2020)
    c.train.steps = 2000
    c.train.log_every = 50
    c.train.batch_size = 256
    c.train.eval_examples = 512  # digits: the whole 360-example test split
    c.hparams.learning_rate = 3e-3
    return c


def dimensional_rank(n: int, d: int) -> float:
    """RankMe below which ``n`` embeddings of dim ``d`` are dimensionally collapsed."""
    return DIMENSIONAL_FRACTION * min(n, d)


def spectrum_ranks(n: int, d: int) -> int:
    """How many leading entries of the centred spectrum of ``n`` embeddings of dim ``d``
    can be non-zero: min(n − 1, d) (at least 1); past n − 1 it is 0 by construction."""
    return max(1, min(n - 1, d))


def smallest_spectrum(spectrum, n: int):
    """The smallest of the first `spectrum_ranks` entries of a ``spectrum [d]`` of ``n``
    embeddings."""
    return spectrum[: spectrum_ranks(n, spectrum.shape[-1])].min()


def _where(condition, a, b):
    return a if condition else b


def collapse_state(
    std,
    rank,
    smallest,
    n: int,
    d: int,
    where=_where,
    std_threshold: float = STD_THRESHOLD,
    spectrum_threshold: float = SPECTRUM_THRESHOLD,
):
    """The state code (`STATE_NAMES`) from std_normalized ``std``, RankMe ``rank`` and the
    `smallest_spectrum` ``smallest`` of ``n`` embeddings of dim ``d`` — the one rule of the
    family and of `ssl.monitor` (module docstring); `states_at` moves one of its
    lines. Python or NumPy scalars with the default ``where``; arrays with an array
    ``where`` (``xr.where``; then ``|`` combines them)."""
    dimensional = (rank < dimensional_rank(n, d)) | (smallest < spectrum_threshold)
    return where(std < std_threshold, COMPLETE, where(dimensional, DIMENSIONAL, HEALTHY))
