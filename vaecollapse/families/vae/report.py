"""The VAE family's own parts of a report: the summary's sections after the engine's
tables (the early warning against the outcome, the gap to the linear VAE's closed form,
token sequences as text) and the closed-form boundaries the boundary table is checked
against. Reading side: NumPy, xarray, matplotlib (through `plots`), no JAX.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from vaecollapse import plots, states
from vaecollapse.families.vae import plots as vae_plots
from vaecollapse.families.vae import warning


def sections(results: xr.Dataset) -> str:
    """Markdown after the engine's tables: `warning_note`, `analytic_note` and, for
    token data, `text_samples`."""
    text = warning_note(results) + analytic_note(results)
    if results.attrs.get("data_kind") == "tokens":
        text += text_samples(results)
    return text


def reference_boundaries(results: xr.Dataset, along: str):
    """For linear-Gaussian data along β: ``("kl_per_dim", λ_i/σ² per rank)``, the linear
    VAE's closed-form boundary of each latent dim (`vae_plots.analytic_boundaries`); None
    otherwise."""
    closed = vae_plots.analytic_boundaries(results) if along == "beta" else []
    if not closed:
        return None
    ranks = np.arange(results.sizes["latent"])
    values = [closed[r] if r < len(closed) else np.nan for r in ranks]
    return "kl_per_dim", xr.DataArray(values, coords={"latent": ranks}, dims=["latent"])


def _as_text(tokens: np.ndarray) -> str:
    """Token ids as letters (a = 0, …) when the vocabulary fits, else numbers."""
    ids = [int(t) for t in tokens]
    if max(ids) < 26:
        return "".join(chr(ord("a") + i) for i in ids)
    return " ".join(map(str, ids))


def analytic_note(results: xr.Dataset) -> str:
    """Markdown: the largest gap between learned and optimal KL per dim (linear data)."""
    optimal = vae_plots.analytic_kl(results)
    if optimal is None:
        return ""
    gap = np.abs(vae_plots.learned_kl_sorted(results) - optimal)
    worst = gap.where(gap == gap.max(), drop=True)
    where = ", ".join(f"{d}={plots.fmt_value(worst[d].values[0])}" for d in worst.dims)
    return (
        "\n## Against the closed form (Lucas et al. 2019)\n\n"
        f"Largest |learned − optimal| KL per dim over every run and dim: "
        f"**{float(gap.max()):.4f} nats** (at {where}); mean {float(gap.mean()):.4f} nats. "
        "See `analytic_kl.png`.\n"
    )


def text_samples(results: xr.Dataset) -> str:
    """Markdown: per grid point (first seed), the eval sequences, their reconstructions,
    the interpolation and prior samples as text (drawn with the same noise everywhere,
    so a decoder that ignores z repeats one line)."""
    lines = ["", "## Sequences as text (a = token 0, b = token 1, …)", ""]
    data = [_as_text(row) for row in results.eval_images.values]
    for label, run in plots.iter_runs(plots.first_seed(results), limit=16):
        lines += [f"### {label}", "", "| data | reconstruction | interpolation | prior sample |"]
        lines.append("|---|---|---|---|")
        columns = [data] + [
            [_as_text(row) for row in run[v].values]
            for v in ("recon_examples", "interpolation", "prior_samples")
        ]
        lines += [
            "| " + " | ".join(f"`{c}`" for c in row) + " |" for row in zip(*columns, strict=True)
        ]
        lines.append("")
    return "\n".join(lines)


def with_forecast(results: xr.Dataset, total_steps: int) -> xr.Dataset:
    """``results`` with today's early warning (`warning.forecast`) computed from its KL
    traces, in the sweep's form (`warning.as_variables`; for a ``results.nc`` written
    before the rule, whose own warning variables it replaces)."""
    trace = results.kl_per_dim_trace.transpose(..., "step", "latent")
    kl = results.kl_trace.transpose(..., "step") if "kl_trace" in results else None
    beta = (
        results.beta_trace.transpose(*trace.dims[:-1]).values if "beta_trace" in results else None
    )
    f = warning.forecast(
        results.step.values,
        trace.values,
        total_steps,
        kl=None if kl is None else kl.values,
        beta=beta,
        beta_final=warning.final_beta(beta),
    )
    variables, attrs = warning.as_variables(f, trace.dims[:-2])
    out = results.assign(variables)
    out.attrs = {**results.attrs, **attrs}
    return out


def warning_note(results: xr.Dataset) -> str:
    """Markdown: the early warning (`warning.forecast`, as the sweep wrote it
    into ``results.nc``) and its predicted end states against the outcome."""
    total = (
        json.loads(results.attrs["config"])["train"]["steps"] if "config" in results.attrs else None
    )
    stale = results.attrs.get("early_warning_rule") != warning.RULE  # an earlier rule wrote it
    if stale and "kl_per_dim_trace" in results and total:
        results = with_forecast(results, total)  # today's rule, from its traces
    if "early_warning" not in results or "predicted_state" not in results:
        return ""
    step = int(results.attrs.get("early_warning_read_step", -1))
    threshold = results.attrs.get("early_warning_threshold", warning.TOTAL_THRESHOLD)
    dim_threshold = results.attrs.get("early_warning_dim_threshold", warning.THRESHOLD)
    if step < 0:
        return (
            "\n## Early warning\n\nNo logged step at or past "
            f"{warning.FRACTION:.0%} of training: no warning read.\n"
        )
    warned = results.early_warning.values
    end = results.collapse_state.values
    predicted = results.predicted_state.values
    s = warning.scores(warned, end == states.FULL, step, results.collapse_onset_step.values, total)
    where = f"{100 * step / total:.0f} % of training" if total else "the warning step"
    lead = f"{s['median_lead_steps']:g} steps"
    if total and not np.isnan(s["median_lead_steps"]):
        lead += f" ({s['median_lead_pct']:.0f} % of training)"
    return (
        f"\n## Early warning\n\nAt step {step} ({where}), the latent dims' KL carried to the "
        f"final β (`warning.at_final_beta`), floored at 0 and summed, below {threshold:g} nats "
        f"warned of full collapse in {s['warned']} of {s['runs']} runs; "
        f"{s['ended_full']} ended fully collapsed. Accuracy {s['accuracy']:.2f}, false alarms "
        f"{s['false_alarm_rate']:.2f}, missed {s['missed_rate']:.2f}, median lead {lead} "
        f"(onset − warning step). The predicted end state (full where warned, else partial or "
        f"healthy by whether some dim's carried KL is below {dim_threshold:g} nats) matched "
        f"the measured one in {(predicted == end).mean():.0%} "
        'of the runs. Held-out figures of the rule: docs/vae.md, "Early warning".\n'
    )
