"""What the report says in words: figures that are missing and how to supply them, and notes
(placeholders seen, formula differences, sampling, input problems)."""

from __future__ import annotations

import numpy as np

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.logs.collect import StepCollector, usual_delta
from mfu_advisor.logs.formats.base import Figure, FlopsPerToken, LogFormat, Reference, RunView
from mfu_advisor.logs.peak import HOW_TO_GIVE
from mfu_advisor.logs.result import HardwareHints, MissingFigure, PeakChoice
from mfu_advisor.logs.steady import Steady
from mfu_advisor.mfu import MfuFigure


def missing_figures(
    step_time: Figure | Unavailable,
    tokens_per_step: Figure | Unavailable,
    tokens_per_s: Maybe[float],
    flops: FlopsPerToken | Unavailable,
    peak: PeakChoice,
    fmt: LogFormat,
) -> tuple[MissingFigure, ...]:
    """Each link of the MFU chain that is absent, with how to give it."""
    missing: list[MissingFigure] = []
    if isinstance(step_time, Unavailable):
        missing.append(
            MissingFigure("step time", step_time.reason, "analyze a log with timed step lines")
        )
    if isinstance(tokens_per_s, Unavailable) and isinstance(tokens_per_step, Unavailable):
        missing.append(
            MissingFigure("tokens per step", tokens_per_step.reason, "--set tokens_per_step=N")
        )
    if isinstance(flops, Unavailable):
        missing.append(
            MissingFigure(
                "FLOPs per token (model size)",
                flops.reason,
                "--set flops_per_token=X or the model shape keys",
            )
        )
    if isinstance(peak.flops, Unavailable):
        missing.append(MissingFigure("hardware peak", peak.flops.reason, HOW_TO_GIVE))
    return tuple(missing)


def analysis_notes(
    sink: StepCollector,
    fmt: LogFormat,
    run: RunView,
    reference: Reference,
    flops: FlopsPerToken | Unavailable,
    steady: Steady,
    hints: HardwareHints,
    mfu: MfuFigure,
) -> tuple[str, ...]:
    """What a reader of the figures should know about how they were read."""
    notes: list[str] = []
    if mfu.value is not None and mfu.value > 1:
        notes.append(
            f"the MFU is {mfu.value:.0%}, over 100%: the peak divided by is below what the run "
            "achieved per device; check --hardware, --dtype and the device count"
        )
    for record in sink.files:
        stats = record.stats
        notes.extend(f"{record.name}: {note}" for note in stats.notes)
        if stats.long_lines_cut:
            notes.append(f"{record.name}: {stats.long_lines_cut} lines longer than 64 KiB were cut")
        if stats.nul_bytes:
            notes.append(f"{record.name} holds NUL bytes: parts of it are probably not text")
    repeated = sink.repeated_steps
    if repeated:
        notes.append(
            f"{repeated} step lines repeat the step number of the line before: probably several "
            "ranks printing without a rank label; each is counted as a step line, and the "
            "figures are those of whichever rank printed each line"
        )
    sample = sink.sample.columns()
    if fmt.rank_tokens_scope() == "unknown" and bool(np.isfinite(sample["tokens_per_s"]).any()):
        notes.append(
            f"whether the tokens/s in this {fmt.title} count one device or the whole job is not "
            "known: they are used as printed, never multiplied by a device count"
        )
    placeholders = run.meta("mfu_placeholder_lines")
    if placeholders:
        notes.append(
            f"{placeholders} step lines print nanoGPT's -100.00% MFU placeholder (the first "
            "iterations of a process, before it measures); they are read as missing, not as -100%"
        )
    unknown_gpu = run.meta("mfu_unknown_gpu_lines")
    if unknown_gpu:
        notes.append(
            f"{unknown_gpu} step lines print -100.0% MFU: llm.c does not know this GPU, "
            "so its MFU is unknown, not negative"
        )
    if isinstance(flops, FlopsPerToken) and flops.trainer_value:
        change = flops.trainer_value / flops.value - 1
        notes.append(
            f"FLOPs per token follow nanoGPT's formula; {flops.trainer_formula} gives "
            f"{flops.trainer_value:,.0f} ({change:+.1%}), so the trainer's own MFU differs "
            "by that much"
        )
    if sink.stride > 1:
        notes.append(
            f"{sink.count:,} step lines: medians, percentiles and stall counts come from an "
            f"evenly spaced sample of every {sink.stride}th line; counts are exact"
        )
    if sink.series.width > 1:
        notes.append(
            f"the chart series keeps, of every {sink.series.width:,} step lines, the fastest and "
            "the slowest step and any evaluation step, so stalls and evaluation spikes show"
        )
    if fmt.tokens_per_s_scope == "device":
        notes.append("tokens/s and FLOP/s are per device, as the trainer prints them")
    if reference.kind == "fallback":
        notes.append(
            "the trainer did not know the GPU and computed its MFU against an A100: "
            + reference.note
        )
    if fmt.name == "nanogpt" and sink.eval_rows_count and run.meta("mfu_printed"):
        notes.append(
            "train.py's MFU is a running average that takes in the iterations that ran an "
            "evaluation, so it reads low for a while after each one; mfu_vs_reference recomputes "
            "it from the steady steps"
        )
    every_step = usual_delta(sink) == 1
    if hints.device in ("cuda", "xpu") and every_step and fmt.name in ("nanogpt", "litgpt"):
        notes.append(
            "the log prints every iteration: each print reads the loss back from the GPU "
            "(a sync), which costs time on fast GPUs"
        )
    if (
        len(sample["g"])
        and not np.isfinite(sample["step_time_ms"]).any()
        and steady.median_ms is None
    ):
        notes.append(
            "the step lines carry no times; the step time comes from the end-of-run summary"
        )
    return tuple(notes)
