"""The report's sections built from what was collected: files, warm-up, evaluations, restarts,
series, hardware hints and the reference of the log's own MFU."""

from __future__ import annotations

import math

from mfu_advisor.facts import Maybe, Unavailable, known
from mfu_advisor.logs.collect import StepCollector, usual_delta
from mfu_advisor.logs.formats.base import LogFormat, Reference, RunView
from mfu_advisor.logs.result import (
    EvalFacts,
    EvalPoint,
    FileFacts,
    HardwareHints,
    PeakChoice,
    ReferenceFacts,
    RestartFacts,
    SeriesPoint,
    WarmupFacts,
)
from mfu_advisor.logs.steady import Steady
from mfu_advisor.logs.timeshare import TimeShare


def reference_facts(reference: Reference, hints: HardwareHints, peak: PeakChoice) -> ReferenceFacts:
    applies: Maybe[bool]
    if reference.kind == "none":
        applies = Unavailable("the log prints no MFU")
    elif reference.kind in ("printed", "table") and reference.flops:
        applies = True
    elif reference.kind == "fallback":
        applies = False
    elif reference.keyed_to:
        key = reference.keyed_to.lower()
        names = [str(n).lower() for n in hints.gpu_names]
        if known(peak.hardware) and peak.hardware_source != "--peak-tflops":
            names.append(str(peak.hardware).lower())
        if known(hints.device) and hints.device in ("cpu", "mps"):
            applies = False
        elif names:
            applies = all(key in name for name in names)
        else:
            applies = Unavailable("the log does not name the device the run used")
    else:
        applies = Unavailable("the reference device is not known")
    return ReferenceFacts(
        label=reference.label or Unavailable(reference.note),
        flops=reference.flops or Unavailable(reference.note),
        kind=reference.kind,
        keyed_to=reference.keyed_to or Unavailable("not keyed to one device"),
        applies_to_run=applies,
        note=reference.note,
    )


def hardware_hints(
    sink: StepCollector, fmt: LogFormat, run: RunView, devices: Maybe[int]
) -> HardwareHints:
    device = fmt.device(run)
    peaks = [p for p in run.hints("peak_flops") if isinstance(p, (int, float))]
    precisions = run.hints("precision")
    evidence = tuple(f"{sink.files[h.file].name}:{h.line}: {h.text}" for h in sink.hints[:20])
    return HardwareHints(
        device=device or Unavailable("the log does not say which device it ran on"),
        gpu_names=tuple(str(n) for n in run.hints("gpu_name")),
        printed_peak_flops=float(peaks[-1]) if peaks else Unavailable("the log prints no peak"),
        precision=str(precisions[-1])
        if precisions
        else Unavailable("the log does not print the precision"),
        devices=devices,
        evidence=evidence,
    )


def restart_facts(sink: StepCollector) -> tuple[RestartFacts, ...]:
    out = []
    for previous, segment in zip(sink.segments, sink.segments[1:], strict=False):
        to_step = segment.first_step if math.isfinite(segment.first_step) else None
        kind = "new run" if segment.new_run or (to_step is not None and to_step <= 1) else "resumed"
        out.append(
            RestartFacts(
                file=sink.files[segment.file].name,
                line=segment.first_line,
                from_step=previous.last_step if math.isfinite(previous.last_step) else None,
                to_step=to_step,
                kind=kind,
            )
        )
    return tuple(out)


def warmup_facts(sink: StepCollector, steady: Steady, share: TimeShare) -> WarmupFacts:
    first_time = sink.head.columns()["step_time_ms"][:1]
    first: Maybe[float] = (
        float(first_time[0])
        if len(first_time) and math.isfinite(first_time[0])
        else Unavailable("the first step line has no time")
    )
    ratio: Maybe[float] = Unavailable("no steady median")
    if known(first) and steady.median_ms:
        ratio = first / steady.median_ms  # type: ignore[operator]
    return WarmupFacts(
        steps=len(steady.warmup_g),
        first_step_time_ms=first,
        first_over_steady=ratio,
        time_ms=share.warmup_ms,
        wall_time_fraction=fraction(share.warmup_ms, share.wall_ms),
        method=(
            "leading steps slower than 1.5x the steady median among the first max(5, 5%) steps "
            "of each run, and steps the trainer calls burn-in"
        ),
    )


def eval_facts(
    sink: StepCollector, steady: Steady, share: TimeShare, fraction: Maybe[float]
) -> EvalFacts:
    rows = sink.eval_rows.columns()
    by_step: dict[float, float] = {}
    if steady.median_ms is not None:
        for step, time in zip(rows["step"].tolist(), rows["step_time_ms"].tolist(), strict=True):
            if math.isfinite(step) and math.isfinite(time):
                by_step.setdefault(step, max(0.0, time - steady.median_ms))
    points = []
    for record in sink.evals:
        time = record.time_ms if math.isfinite(record.time_ms) else by_step.get(record.step)
        points.append(
            EvalPoint(
                file=sink.files[record.file].name,
                line=record.line,
                step=record.step if math.isfinite(record.step) else None,
                values={
                    k: v
                    for k, v in record.values.items()
                    if isinstance(v, float) and math.isfinite(v)
                },
                time_ms=time,
            )
        )
    return EvalFacts(
        count=sink.eval_count,
        time_ms=share.eval_ms,
        time_fraction=fraction,
        method=share.eval_method,
        points=tuple(points),
    )


def series_points(sink: StepCollector) -> tuple[tuple[SeriesPoint, ...], int]:
    """The chart series the collector kept, in line order, and its bucket width in step lines."""
    rows = sink.series_columns()
    names = ("step", "loss", "step_time_ms", "tokens_per_s", "reported_mfu")
    cells = zip(*(rows[name].tolist() for name in names), strict=True)
    points = tuple(SeriesPoint(*(v if math.isfinite(v) else None for v in row)) for row in cells)
    return points, sink.series.width


def file_facts(sink: StepCollector, fmt_name: str) -> list[FileFacts]:
    return [
        FileFacts(
            name=record.name,
            format=fmt_name,
            lines=record.stats.lines,
            step_lines=record.step_lines,
            lines_not_understood=record.not_understood,
            not_understood_examples=tuple(record.examples),
            long_lines_cut=record.stats.long_lines_cut,
            binary=record.stats.nul_bytes,
            truncated=record.stats.truncated_gzip,
        )
        for record in sink.files
    ]


def step_range(sink: StepCollector) -> tuple[Maybe[float], Maybe[float]]:
    steps = [
        s for seg in sink.segments for s in (seg.first_step, seg.last_step) if math.isfinite(s)
    ]
    if not steps:
        reason = "the step lines are not numbered" if sink.count else "no step lines"
        return Unavailable(reason), Unavailable(reason)
    return steps[0], steps[-1]


def log_interval(sink: StepCollector, run: RunView) -> Maybe[int]:
    if sink.deltas:
        return usual_delta(sink)
    interval = run.number("log_interval")
    if interval:
        return int(interval)
    return Unavailable("fewer than two numbered step lines")


def fraction(part: Maybe[float], whole: Maybe[float]) -> Maybe[float]:
    if isinstance(part, Unavailable):
        return Unavailable(part.reason)
    if isinstance(whole, Unavailable):
        return Unavailable(whole.reason)
    if not whole:
        return Unavailable("the wall time is zero")
    return min(1.0, part / whole)
