"""The GAN family: mode collapse of a generator on mixtures of 2-D Gaussians, and on
stacked digits (1,000 modes, PacGAN's Stacked MNIST at 8×8: data ``stacked_digits``,
modes read by a digit classifier, `gan.digits`; the measures below then count modes by
the classifier, over `gan.digits.EVAL_SAMPLES` samples, `gan.digits` says how).

An MLP generator (noise → R²) and an MLP discriminator trained against each other
(writing side `families.gan.trainer`) on the benchmarks of VEEGAN (Srivastava et al. 2017)
and PacGAN (Lin et al. 2018): a ring of 8 Gaussians (radius 1, std 0.01) and a 5 × 5
grid of 25 (means {−4, −2, 0, 2, 4}², std 0.05), data ``ring`` / ``grid``. *Mode
collapse*: the generator puts its mass on a few of the K modes, a degenerate solution
that locally satisfies the adversarial objective.

Measures of one run, from `EVAL_SAMPLES` generated samples (VEEGAN's and PacGAN's rules):

- a sample is *high quality* if it lies within `HQ_STDS` = 3 standard deviations of its
  nearest mode; ``high_quality``: the share of such samples;
- a mode is *captured* if it is the nearest mode of at least one high-quality sample;
  ``modes_captured``: how many of the K; ``modes_fraction``: that over K;
- ``reverse_kl``: KL(p ‖ uniform) of the histogram p of the high-quality samples over
  the modes (log(8/5) when 5 of 8 modes are used evenly; 0 when all are); with no
  high-quality sample it is log K, the value of a histogram on one mode (the most
  collapsed histogram there is);
- ``mode_mass[mode]``: per mode, its high-quality samples as a multiple of its fair
  share N/K (1 for every mode of a perfect generator; 0 for a dropped one);
- ``precision`` and ``coverage`` (Naeem et al. 2020; k = 5 nearest-neighbour balls
  around `PRDC_POINTS` real points, against as many generated ones): the share of
  generated points inside some real point's ball, and the share of real points whose
  ball holds a generated point;
- ``collapse_state`` (`state_names`): 2 full (``modes_captured`` ≤ 1: one mode or
  none), 1 partial (fewer than `HEALTHY_FRACTION` = 90 % of the K modes: on the grid
  ≤ 22 of 25, on the ring ≤ 7 of 8), 0 healthy (the rest: ≥ 23 of 25, 8 of 8 — the
  criterion the issue's "remedy works" uses);
- ``collapse_onset_step``: the first logged step from which the traced mode fraction
  (`TRACE_SAMPLES` generated samples per logged interval) stays below 0.9; −1 never.
  A run that never covers the modes collapses "from the first logged step".

Order parameters (each falls at collapse): ``modes_fraction`` (main; threshold 0.9, the
healthy/partial line of ``collapse_state``, so a boundary of it is where runs stop
covering 90 % of the modes), ``coverage`` (threshold 0.5: below it half the real
data's neighbourhoods hold no generated point — a perfect generator scores ~0.97 with
500 points and k = 5), and the per-unit ``mode_mass`` over ``mode`` (threshold 0.1: a
mode holding under a tenth of its fair share counts as dropped; the engine ranks the
modes of each run, so rank k's boundary is where the k-th most used mode dies).

This module imports no JAX (the reading side imports it).
"""

from __future__ import annotations

from vaecollapse.families.gan.config import LOSSES as LOSSES  # model.gan_loss
from vaecollapse.family import Family, Figure, OrderParameter

EVAL_SAMPLES = 2500  # generated samples the mode measures count (VEEGAN, PacGAN)
HQ_STDS = 3.0  # a sample within this many stds of its nearest mode is high quality
PRDC_POINTS = 500  # real and generated points of precision / coverage
PRDC_K = 5  # nearest neighbours of the precision / coverage balls (Naeem et al. 2020)
TRACE_SAMPLES = EVAL_SAMPLES  # generated samples of the mode trace per logged interval
PLOT_SAMPLES = 500  # generated samples kept per run for the scatter figure
DIGITS_TRACE_SAMPLES = 10_000  # stacked digits: samples classified per logged interval
PLOT_DIGITS = 64  # stacked digits: generated images kept per run for the sample grid
HEALTHY_FRACTION = 0.9  # a run covering at least this share of the modes is healthy
COVERAGE_THRESHOLD = 0.5
MODE_MASS_THRESHOLD = 0.1
HEALTHY, PARTIAL, FULL = 0, 1, 2
STATE_NAMES = {HEALTHY: "healthy", PARTIAL: "partial", FULL: "full"}


def legend(results) -> str:
    """What the GAN family's summary columns mean."""
    k = int(results.sizes.get("mode", 0)) or "K"
    if results.attrs.get("data_name") == "stacked_digits":
        n = int(results.attrs.get("digit_eval_samples", 0)) or "N"
        accuracy = float(results.attrs.get("classifier_accuracy", float("nan")))
        return (
            f"Data `stacked_digits` (three 8×8 digits as channels, {k} modes); measures of "
            f"{n} generated stacks, each channel's digit read by the mode classifier "
            f"({accuracy:.1%} held-out accuracy; `gan.digits`). modes: modes with ≥ 1 "
            "sample (PacGAN); rKL: KL(histogram of all samples over the 1,000 modes ‖ "
            "uniform); HQ: share of samples whose three channels are each classified with "
            f"confidence ≥ 0.5; precision / coverage: Naeem et al. (2020), k = {PRDC_K}, "
            f"{PRDC_POINTS} real test stacks vs {PRDC_POINTS} generated, on the "
            f"classifier's features. State: full = ≤ 1 mode, partial = < "
            f"{HEALTHY_FRACTION:.0%} of the modes, healthy otherwise. Onset: first logged "
            f"step from which the traced mode fraction ({DIGITS_TRACE_SAMPLES} samples) "
            f"stays below {HEALTHY_FRACTION:g} (−1: never)."
        )
    return (
        f"Data `{results.attrs['data_name']}` ({k} modes); measures of "
        f"{EVAL_SAMPLES} generated samples. modes: modes captured (nearest mode of ≥ 1 "
        f"high-quality sample); HQ: share of samples within {HQ_STDS:g} std of their "
        "nearest mode; rKL: KL(histogram of high-quality samples over the modes ‖ "
        f"uniform) (log K when none is high quality); precision / coverage: Naeem et al. "
        f"(2020), k = {PRDC_K}, {PRDC_POINTS} real vs {PRDC_POINTS} generated points. "
        f"State: full = ≤ 1 mode, partial = < {HEALTHY_FRACTION:.0%} of the modes, "
        f"healthy otherwise. Onset: first logged step from which the traced mode "
        f"fraction ({TRACE_SAMPLES} samples) stays below {HEALTHY_FRACTION:g} (−1: never)."
    )


def has_samples(results) -> bool:
    """The results hold generated samples and the modes (`gan.plots.samples`)."""
    return "eval_samples" in results and "mode_centres" in results


def has_digits(results) -> bool:
    """The results hold generated stacked digits (`gan.plots.digit_samples`)."""
    return "eval_digits" in results


def has_mode_trace(results) -> bool:
    """The results hold the per-mode trace (`gan.plots.mode_trace`)."""
    return "mode_mass_trace" in results


def result_bytes(config, dataset) -> int:
    """Bytes of one run's results: three float32 traces and the per-mode trace per
    logged interval, the eval samples, the per-mode mass and a dozen scalars."""
    k = len(dataset.meta.get("modes", ())) or dataset.meta.get("num_modes", 1)
    num_logs = config.train.steps // config.train.log_every
    if "modes" not in dataset.meta:  # stacked digits: features and a few images per run
        return 4 * (num_logs * (3 + k) + PRDC_POINTS * 384 + PLOT_DIGITS * 192 + 3 * k + 16)
    return 4 * (num_logs * (3 + k) + 2 * EVAL_SAMPLES + 2 * k + 16)


def base_config():
    """`config.base_config` of the GAN family (`families.gan.config.defaults`): the grid,
    noise dim 2, MLP G and D of 128-128, the non-saturating loss, no remedy, Adam (β₁ 0.5)
    at 1e-3 for both players with a cosine decay to 0, batch 64, 12,000 generator steps
    logged every 200."""
    from vaecollapse import config

    return config.base_config("gan")


def healthy_modes(num_modes: int) -> float:
    """The fewest modes captured of ``num_modes`` that count as healthy (not strict:
    ``captured >= 0.9·K``)."""
    return HEALTHY_FRACTION * num_modes


def collapse_state(captured: int, num_modes: int) -> int:
    """The state code (`STATE_NAMES`) of a run capturing ``captured`` of ``num_modes``
    modes: 0 healthy (at least `healthy_modes`), else 2 full (≤ 1), else 1 partial — the
    one rule of the family's sweep and of `gan.monitor` (healthy is read first, so
    a one-mode mixture captured reads healthy)."""
    if captured >= healthy_modes(num_modes):
        return HEALTHY
    return FULL if captured <= 1 else PARTIAL


def states_at(results, measure, threshold):
    """Each run's state by `collapse_state` with the healthy line at ``threshold`` ×  K
    modes (``modes_fraction`` only: None for another measure, whose own reading the
    engine then uses): healthy when at least that share is captured, else full at ≤ 1
    mode, else partial."""
    if measure != "modes_fraction" or "modes_captured" not in results:
        return None
    captured, fraction = results["modes_captured"], results["modes_fraction"]
    healthy = fraction >= threshold
    return (~healthy).astype(int) * (PARTIAL + (captured <= 1).astype(int) * (FULL - PARTIAL))


FAMILY = Family(
    name="gan",
    config="vaecollapse.families.gan.config",
    hparams=("window_start", "window_steps"),  # the remedy window (`optim.window_hparams`)
    order_parameters={
        "modes_fraction": OrderParameter("modes captured / K", HEALTHY_FRACTION),
        "coverage": OrderParameter("coverage (Naeem et al. 2020)", COVERAGE_THRESHOLD),
        "mode_mass": OrderParameter(
            "high-quality samples on the mode / fair share", MODE_MASS_THRESHOLD, "mode"
        ),
    },
    panels=(
        ("modes_fraction", "modes captured / K"),
        ("high_quality", "high-quality share"),
        ("reverse_kl", "reverse KL to uniform over modes"),
        ("collapse_state", "collapse state (0 healthy, 1 partial, 2 full)"),
    ),
    summary_columns=(
        ("modes_captured", "modes", "{:d}"),
        ("high_quality", "HQ", "{:.3f}"),
        ("reverse_kl", "rKL", "{:.3f}"),
        ("precision", "precision", "{:.3f}"),
        ("coverage", "coverage", "{:.3f}"),
        ("collapse_state", "state", None),
        ("collapse_onset_step", "onset", "{:d}"),
        ("diverged", "diverged", None),
    ),
    seed_columns=(
        ("modes_captured", "modes"),
        ("high_quality", "HQ"),
        ("reverse_kl", "rKL"),
        ("precision", "precision"),
        ("coverage", "coverage"),
    ),
    figures={
        "samples": Figure("vaecollapse.families.gan.plots:samples", has_samples),
        "digit_samples": Figure("vaecollapse.families.gan.plots:digit_samples", has_digits),
        "mode_trace": Figure("vaecollapse.families.gan.plots:mode_trace", has_mode_trace),
    },
    state="collapse_state",
    state_names=STATE_NAMES,
    onset="collapse_onset_step",
    legend=legend,
    variable_dims={
        "mode_mass": ("mode",),
        "eval_samples": ("sample", "xy"),
        "eval_mode_counts": ("mode",),
        "eval_features": ("sample", "feature"),
        "eval_digits": ("image", "pixel"),
    },
    make_trainer="vaecollapse.families.gan.trainer:make_trainer",
    check_data="vaecollapse.families.gan.trainer:check_data",
    result_bytes=result_bytes,
    finish="vaecollapse.families.gan.trainer:finish",
    states_at=states_at,
)
