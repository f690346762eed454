"""From what a log said to what it means: steady step time -> tokens/s -> x FLOPs per token =
achieved FLOP/s -> / peak = MFU (per device; ``achieved_flops_total`` counts every device).

Each link comes from the log, the trainer's configuration or ``--set``; when one is missing,
every figure after it is Unavailable and ``missing`` says how to supply it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mfu_advisor.facts import Maybe, Unavailable, known, value_or
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.detect import Detection
from mfu_advisor.logs.distributed import WorldHints, distributed_facts, world_hints
from mfu_advisor.logs.explain import analysis_notes, missing_figures
from mfu_advisor.logs.formats.base import (
    Figure,
    FlopsPerToken,
    LogFormat,
    Reference,
    RunView,
    from_override,
)
from mfu_advisor.logs.launch import LaunchFacts
from mfu_advisor.logs.peak import HardwareRequest, choose_peak
from mfu_advisor.logs.result import LogAnalysis, PeakChoice
from mfu_advisor.logs.sections import (
    eval_facts,
    file_facts,
    fraction,
    hardware_hints,
    log_interval,
    reference_facts,
    restart_facts,
    series_points,
    step_range,
    warmup_facts,
)
from mfu_advisor.logs.steady import Steady, find_steady, jitter, loss_facts, printed_values
from mfu_advisor.logs.timeshare import iterations_covered, time_share
from mfu_advisor.mfu import MfuFigure, mfu_against

#: Inferring the device count from the log's MFU needs it printed to 2 significant digits.
MIN_MFU_FOR_DEVICE_INFERENCE = 0.001
#: How close to a whole number the inferred device count must be (relative).
DEVICE_INFERENCE_TOLERANCE = 0.15


#: The linear-growth check (grows_with_step) needs this many timed step lines,
LINEAR_MIN_LINES = 8
#: times spanning at least this factor (10th to 90th percentile),
LINEAR_GROWTH = 4.0
#: and this correlation with the step number.
LINEAR_CORRELATION = 0.98


def analyze(
    sink: StepCollector,
    detection: Detection,
    *,
    overrides: Mapping[str, Any] | None = None,
    request: HardwareRequest | None = None,
    launch: LaunchFacts | None = None,
    world_size: int | None = None,
) -> LogAnalysis:
    """The analysis of everything ``sink`` collected, read as ``detection.format``."""
    run = RunView(sink, overrides)
    fmt = detection.format.for_run(run)
    launch = launch or LaunchFacts()
    hints_world = world_hints(sink, launch, world_size)
    request = request or HardwareRequest()
    steady = find_steady(sink)

    step_time = _step_time(sink, fmt, run, steady)
    tokens_per_step = fmt.tokens_per_step(run)
    tokens_per_s, tokens_source = _tokens_per_s(sink, fmt, steady, tokens_per_step, step_time)
    flops = fmt.flops_per_token(run)
    reference = fmt.reference(run)
    reported, reported_last, reported_source = _reported_mfu(sink, fmt, run, steady)
    placeholder_lines = int(run.meta("mfu_placeholder_lines", 0)) + int(
        run.meta("mfu_unknown_gpu_lines", 0)
    )

    total, total_source = _achieved_total(fmt, run, flops, tokens_per_s, step_time)
    devices, devices_source = _devices(fmt, run, total, reported, reference, hints_world)
    achieved, achieved_source = _achieved_per_device(
        sink, steady, total, total_source, devices, fmt, tokens_per_s, flops
    )
    if not known(total) and known(achieved) and known(devices):
        total = achieved * devices  # type: ignore[operator]

    peak = choose_peak(
        request,
        log_dtype=fmt.default_dtype(run),
        log_device=fmt.device(run),
        log_gpu_names=[str(n) for n in run.hints("gpu_name")],
    )
    implied = _implied_flops(reported, reference)
    mfu, vs_reference, mfu_rescaled = _mfu_figures(achieved, implied, peak, reference)

    share = time_share(sink, fmt, run, steady)
    eval_fraction = fraction(share.eval_ms, share.wall_ms)
    warmup = warmup_facts(sink, steady, share)
    hints = hardware_hints(sink, fmt, run, devices)
    restarts = restart_facts(sink)
    reference_detail = reference_facts(reference, hints, peak)
    series, every = series_points(sink)
    config = {key: entry.value for key, entry in sink.config.items()} | run.overrides
    sources = {key: entry.source for key, entry in sink.config.items()}
    sources |= dict.fromkeys(run.overrides, "--set")
    first, last = step_range(sink)
    gpt_config = fmt.gpt_config(run)
    distributed = distributed_facts(
        sink=sink,
        fmt=fmt,
        steady=steady,
        launch=launch,
        hints=hints_world,
        devices=devices,
        devices_source=devices_source,
        tokens_per_step=tokens_per_step,
        tokens_per_s=tokens_per_s,
        tokens_per_s_source=tokens_source,
        achieved_flops=achieved,
        peak_flops=peak.flops,
    )

    return LogAnalysis(
        format=fmt.name,
        format_title=fmt.title,
        format_variant=fmt.variant(run),
        format_confidence=detection.confidence,
        format_scores=detection.scores,
        files=tuple(file_facts(sink, fmt.name)),
        steps=sink.count,
        first_step=first,
        last_step=last,
        iterations_covered=iterations_covered(sink),
        log_interval_steps=log_interval(sink, run),
        steady_step_time_ms=_value_of(step_time),
        step_time_source=_source_of(step_time),
        warmup_steps=warmup.steps,
        warmup=warmup,
        tokens_per_step=_value_of(tokens_per_step),
        tokens_per_step_source=_source_of(tokens_per_step),
        tokens_per_s=tokens_per_s,
        tokens_per_s_scope=fmt.tokens_per_s_scope,
        tokens_per_s_source=tokens_source,
        devices=devices,
        devices_source=devices_source,
        flops_per_token=_value_of(flops),
        flops_per_token_source=_source_of(flops),
        n_params=_n_params(flops),
        flops_per_token_trainer=_trainer_flops(flops),
        achieved_flops=achieved,
        achieved_flops_source=achieved_source,
        achieved_flops_total=total,
        reported_mfu=reported,
        reported_mfu_last=reported_last,
        reported_mfu_source=reported_source,
        reported_mfu_placeholder=isinstance(reported, Unavailable) and placeholder_lines > 0,
        reported_mfu_placeholder_lines=placeholder_lines,
        reference=reference_detail.label,
        reference_flops=reference_detail.flops,
        reference_detail=reference_detail,
        achieved_flops_implied=implied,
        peak=peak,
        mfu=mfu,
        mfu_vs_reference=vs_reference,
        mfu_from_reported=mfu_rescaled,
        eval_time_fraction=eval_fraction,
        evals=eval_facts(sink, steady, share, eval_fraction),
        jitter=jitter(sink, steady),
        restarts=restarts,
        restart_count=max(0, sink.segment_count - 1),
        runs=1 + sum(1 for r in restarts if r.kind == "new run"),
        loss=loss_facts(sink),
        config=config,
        config_sources=sources,
        gpt_config={k: (v if isinstance(v, Unavailable) else v[0]) for k, v in gpt_config.items()},
        gpt_config_sources={
            k: v[1] for k, v in gpt_config.items() if not isinstance(v, Unavailable)
        },
        summary=dict(sink.summary),
        hardware_hints=hints,
        series=series,
        series_every=every,
        series_method="every step line" if every == 1 else "min/max per bucket",
        sampled=sink.stride > 1,
        missing=missing_figures(step_time, tokens_per_step, tokens_per_s, flops, peak, fmt),
        notes=analysis_notes(sink, fmt, run, reference, flops, steady, hints, mfu),
        distributed=distributed,
        tokens_per_s_scope_known=fmt.rank_tokens_scope() != "unknown",
        scope_note=fmt.scope_note or _default_scope_note(fmt),
    )


def _default_scope_note(fmt: LogFormat) -> str:
    """What a format without its own note says about the devices its figures count."""
    if fmt.tokens_per_s_scope == "device":
        return f"{fmt.title} prints tokens/s per device"
    return f"{fmt.title}'s tokens/s (printed or from the tokens per step) count the whole job"


# -- the chain ----------------------------------------------------------------------------


def grows_with_step(sink: StepCollector) -> bool:
    """True when the step lines' times grow in proportion to their step numbers: a cumulative
    clock read as a step time (logs/counters.py), which no real run's step time does."""
    sample = sink.sample.columns()
    steps, times = sample["step"], sample["step_time_ms"]
    ok = np.isfinite(steps) & np.isfinite(times) & (times > 0) & (steps > 0)
    steps, times = steps[ok], times[ok]
    if len(times) < LINEAR_MIN_LINES or sink.segment_count > 1:
        return False
    low, high = np.percentile(times, [10, 90])
    if high < LINEAR_GROWTH * low:
        return False
    correlation = np.corrcoef(steps, times)[0, 1]
    per_step = times / steps
    spread = np.percentile(per_step, 90) / max(np.percentile(per_step, 10), 1e-12)
    return bool(correlation > LINEAR_CORRELATION and spread < LINEAR_GROWTH)


def _step_time(
    sink: StepCollector, fmt: LogFormat, run: RunView, steady: Steady
) -> Figure | Unavailable:
    given = from_override(run, "step_time_ms")
    if given is not None:
        return Figure(given.value, "--set step_time_ms")
    if steady.median_ms is not None:
        if grows_with_step(sink):
            return Unavailable(
                "the step lines' times grow in proportion to the step number: they are a "
                "cumulative clock, not the time of a step; give --set step_time_ms=X"
            )
        scope = " (an evenly spaced sample)" if sink.stride > 1 else ""
        derived = run.meta("step_time_from")
        how = f"; each from {derived}" if derived else ""
        return Figure(
            steady.median_ms, f"median of {len(steady.times):,} steady step lines{scope}{how}"
        )
    summary = fmt.summary_step_time(run)
    if summary is not None:
        return summary
    if sink.count:
        return Unavailable(f"{fmt.title} step lines in this log carry no time")
    return Unavailable("the log has no step lines")


def _tokens_per_s(
    sink: StepCollector,
    fmt: LogFormat,
    steady: Steady,
    tokens_per_step: Figure | Unavailable,
    step_time: Figure | Unavailable,
) -> tuple[Maybe[float], str]:
    printed = printed_values(sink, steady, "tokens_per_s")
    if len(printed):
        scope = "per device" if fmt.tokens_per_s_scope == "device" else "all devices"
        source = f"median of the tokens/s the log printed over steady steps ({scope})"
        return float(np.median(printed)), source
    if isinstance(tokens_per_step, Unavailable):
        return Unavailable(tokens_per_step.reason), ""
    if isinstance(step_time, Unavailable):
        return Unavailable(step_time.reason), ""
    if not step_time.value > 0:  # a log that prints "time 0.00ms" (found by tests/test_fuzz.py)
        return Unavailable(f"the steady step time is {step_time.value:g} ms"), ""
    return tokens_per_step.value / (step_time.value / 1000.0), "tokens per step / steady step time"


def _achieved_total(
    fmt: LogFormat,
    run: RunView,
    flops: FlopsPerToken | Unavailable,
    tokens_per_s: Maybe[float],
    step_time: Figure | Unavailable,
) -> tuple[Maybe[float], str]:
    """Model FLOP/s of all devices together, when tokens/s count all devices."""
    stated = fmt.summary_achieved_flops(run)
    if isinstance(flops, FlopsPerToken) and known(tokens_per_s) and fmt.tokens_per_s_scope == "run":
        return flops.value * tokens_per_s, "FLOPs per token x tokens/s"  # type: ignore[operator]
    if stated is not None:
        return stated.value, stated.source
    per_step = fmt.flops_per_step(run)
    if per_step is not None and isinstance(step_time, Figure) and step_time.value > 0:
        return per_step.value / (step_time.value / 1000.0), f"{per_step.source} / steady step time"
    if isinstance(flops, Unavailable):
        return Unavailable(flops.reason), ""
    if isinstance(tokens_per_s, Unavailable):
        return Unavailable(tokens_per_s.reason), ""
    return Unavailable("tokens/s are per device; the device count is not known"), ""


def _devices(
    fmt: LogFormat,
    run: RunView,
    total: Maybe[float],
    reported: Maybe[float],
    reference: Reference,
    world: WorldHints,
) -> tuple[Maybe[int], str]:
    if world.option is not None:
        return world.option, "--world-size"
    stated = fmt.devices(run)
    if stated is not None:
        return int(stated.value), stated.source
    if world.launch is not None:
        return world.launch
    if (
        isinstance(total, (int, float))
        and isinstance(reported, (int, float))
        and reference.flops
        and reported >= MIN_MFU_FOR_DEVICE_INFERENCE
    ):
        ratio = total / (reported * reference.flops)
        whole = round(ratio)
        if whole >= 1 and abs(ratio - whole) <= DEVICE_INFERENCE_TOLERANCE * whole:
            return whole, (
                f"inferred: achieved FLOP/s / (the log's MFU x "
                f"{reference.flops / 1e12:.0f} TFLOP/s) = {ratio:.2f}"
            )
    if world.prefix_bound is not None and world.prefix_bound[0] > 1:
        return world.prefix_bound
    if fmt.tokens_per_s_scope == "device":
        return Unavailable("the log does not say how many devices ran"), "not in the log"
    return 1, "assumed: the log does not say how many devices ran"


def _achieved_per_device(
    sink: StepCollector,
    steady: Steady,
    total: Maybe[float],
    total_source: str,
    devices: Maybe[int],
    fmt: LogFormat,
    tokens_per_s: Maybe[float],
    flops: FlopsPerToken | Unavailable,
) -> tuple[Maybe[float], str]:
    if (
        fmt.tokens_per_s_scope == "device"
        and isinstance(flops, FlopsPerToken)
        and known(tokens_per_s)
    ):
        return flops.value * tokens_per_s, "FLOPs per token x tokens/s per device"  # type: ignore[operator]
    if (
        known(total)
        and isinstance(devices, int)
        and devices > 1
        and fmt.rank_tokens_scope() == "unknown"
        and len(printed_values(sink, steady, "tokens_per_s"))
    ):
        # Dividing would assume the printed rate is the job's; it may be one device's.
        return Unavailable(
            f"the log's tokens/s may count one device or all {devices} ({fmt.title} does not "
            "say), so the FLOP/s per device are not guessed (with --world-size 1 the rate is read "
            "as one device's)"
        ), ""
    if known(total) and known(devices) and devices:
        suffix = f" / {devices} devices" if devices != 1 else ""
        return total / devices, total_source + suffix  # type: ignore[operator]
    printed = printed_values(sink, steady, "flops_per_s")
    if len(printed):
        source = "median of the TFLOP/s per device the log printed over steady steps"
        return float(np.median(printed)), source
    if isinstance(total, Unavailable):
        return Unavailable(total.reason), ""
    return Unavailable("the device count is not known"), ""


def _reported_mfu(
    sink: StepCollector, fmt: LogFormat, run: RunView, steady: Steady
) -> tuple[Maybe[float], Maybe[float], str]:
    clean = printed_values(sink, steady, "reported_mfu")
    if len(clean):
        printed = sink.sample.columns()["reported_mfu"]
        last = float(printed[np.isfinite(printed)][-1])
        return float(np.median(clean)), last, "median over steady steps of the MFU the log printed"
    summary = fmt.summary_mfu(run)
    if summary is not None:
        return summary.value, summary.value, summary.source
    if run.meta("mfu_placeholder_lines") or run.meta("mfu_unknown_gpu_lines"):
        # reported_mfu_placeholder says so as a field; this reason is for people.
        reason = "every MFU the log printed is a placeholder (-100%), not a measurement"
    else:
        reason = "the log prints no MFU"
    return Unavailable(reason), Unavailable(reason), ""


def _peak_label(peak: PeakChoice) -> str | None:
    if not known(peak.flops):
        return None
    dtype = f"{peak.dtype} " if known(peak.dtype) else ""
    tflops = f"{peak.flops / 1e12:.3g} TFLOP/s"  # type: ignore[operator]
    estimated = " (estimated)" if peak.estimated else ""
    # The citation is in peak.source; the label stays short enough for one line.
    if known(peak.hardware):
        return f"{peak.hardware} {dtype}peak {tflops}{estimated}"
    return f"the {dtype}peak given, {tflops}{estimated}"


def _value_of(figure: Figure | FlopsPerToken | Unavailable) -> Maybe[float]:
    return figure if isinstance(figure, Unavailable) else figure.value


def _source_of(figure: Figure | FlopsPerToken | Unavailable) -> str:
    return "" if isinstance(figure, Unavailable) else figure.source


def _implied_flops(reported: Maybe[float], reference: Reference) -> Maybe[float]:
    """The FLOP/s the log's own MFU stands for, against its reference peak."""
    if not known(reported):
        return Unavailable("the log prints no MFU")
    if not reference.flops:
        return Unavailable(f"the log's MFU reference is not known: {reference.note}")
    return reported * reference.flops  # type: ignore[operator]


def _mfu_figures(
    achieved: Maybe[float], implied: Maybe[float], peak: PeakChoice, reference: Reference
) -> tuple[MfuFigure, MfuFigure, MfuFigure]:
    """The MFU against the chosen peak, against the log's reference, and from the log's MFU."""
    label = _peak_label(peak)
    achieved_reason = achieved.reason if isinstance(achieved, Unavailable) else ""
    peak_reason = peak.flops.reason if isinstance(peak.flops, Unavailable) else ""
    implied_reason = implied.reason if isinstance(implied, Unavailable) else ""
    achieved_flops, peak_flops = value_or(achieved, None), value_or(peak.flops, None)
    return (
        mfu_against(achieved_flops, peak_flops, label, peak_reason or achieved_reason),
        mfu_against(
            achieved_flops,
            reference.flops,
            reference.label,
            achieved_reason if reference.flops else f"no reference: {reference.note}",
        ),
        mfu_against(
            value_or(implied, None),
            peak_flops,
            f"{label}, from the log's own MFU" if label else None,
            peak_reason or implied_reason,
        ),
    )


def _n_params(flops: FlopsPerToken | Unavailable) -> Maybe[int]:
    if isinstance(flops, FlopsPerToken) and flops.n_params is not None:
        return flops.n_params
    return Unavailable("the parameter count is not known")


def _trainer_flops(flops: FlopsPerToken | Unavailable) -> Maybe[float]:
    if isinstance(flops, FlopsPerToken) and flops.trainer_value is not None:
        return flops.trainer_value
    return Unavailable("the trainer uses the same formula, or prints none")
