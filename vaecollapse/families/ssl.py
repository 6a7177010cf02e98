"""The SSL family: representation collapse in non-contrastive self-supervised learning.

A SimSiam-style siamese network (Chen & He 2021; writing side `families.ssl_train`) maps
two augmented views of an input to embeddings z and predicts one from the other; with
no negative pairs, the constant embedding solves its loss perfectly. *Complete collapse*:
every input maps to one direction. *Dimensional collapse* (Jing et al. 2022): the
embeddings span only a few directions of the d available.

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

``collapse_state`` (`state_names`): 2 complete (``std_normalized`` < 0.1), else 1
dimensional (RankMe < d/4), else 0 healthy. ``collapse_onset_step``: the first logged
step from which the ``std_normalized`` trace (train subset) stays below 0.1; −1 never.
``probe_accuracy``: a closed-form ridge linear probe on the eval embeddings with the
digit labels, fitted on the first half, scored on the second (chance ~0.1 on digits).

This module imports no JAX (the reading side imports it).
"""

from __future__ import annotations

from vaecollapse.families import Family, Figure, OrderParameter

STD_THRESHOLD = 0.1  # std_normalized below which a run counts as completely collapsed
RANKME_THRESHOLD = 1.5
SPECTRUM_THRESHOLD = 1e-3
DIMENSIONAL_FRACTION = 0.25  # RankMe below this share of d: dimensional collapse
HEALTHY, DIMENSIONAL, COMPLETE = 0, 1, 2
STATE_NAMES = {HEALTHY: "healthy", DIMENSIONAL: "dimensional", COMPLETE: "complete"}


def legend(results) -> str:
    """What the SSL family's summary columns mean."""
    d = int(results.sizes.get("rank", 0)) or "d"
    return (
        f"Data `{results.attrs['data_name']}`; SimSiam-style training, embedding dim {d}, "
        "measures on the eval split. std·√d: per-dim std of the l2-normalised embedding "
        "averaged over dims × √d (1: spread over the sphere; 0: complete collapse). RankMe: "
        "effective rank of the embedding matrix (1 … d). probe: accuracy of a ridge linear "
        "probe on the embeddings (fit on half the eval split, scored on the other; chance "
        f"~0.1). State: complete = std·√d < {STD_THRESHOLD:g}, dimensional = RankMe < "
        f"d/{round(1 / DIMENSIONAL_FRACTION)}, healthy otherwise. Onset: first logged step "
        f"from which std·√d (train subset) stays below {STD_THRESHOLD:g} (−1: never). "
        "target_gradient α: the gradient through the target branch (0: SimSiam's "
        "stop-gradient, 1: none)."
    )


def is_spectrum(results) -> bool:
    """The results hold the embedding spectrum (`ssl_plots.spectrum`)."""
    return "spectrum" in results


def result_bytes(config, dataset) -> int:
    """Bytes of one run's results: two float32 traces per logged interval, its eval
    embeddings (kept in the chunk files until `ssl_train.finish` measures them), the
    spectrum [d] and a dozen scalars (preflight's disk estimate; no JAX needed)."""
    del dataset
    num_logs = config.train.steps // config.train.log_every
    embeddings = config.train.eval_examples * config.model.latent_dim
    return 4 * (2 * num_logs + embeddings + config.model.latent_dim + 16)


FAMILY = Family(
    name="ssl",
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
    figures={"spectrum": Figure("vaecollapse.families.ssl_plots:spectrum", is_spectrum)},
    state="collapse_state",
    state_names=STATE_NAMES,
    onset="collapse_onset_step",
    legend=legend,
    variable_dims={"spectrum": ("rank",), "embeddings": ("example", "feature")},
    make_trainer="vaecollapse.families.ssl_train:make_trainer",
    check_data="vaecollapse.families.ssl_train:check_data",
    result_bytes=result_bytes,
    finish="vaecollapse.families.ssl_train:finish",
)


def dimensional_rank(latent_dim: int) -> float:
    """RankMe below which a run of embedding dim ``latent_dim`` is dimensionally collapsed."""
    return DIMENSIONAL_FRACTION * latent_dim
