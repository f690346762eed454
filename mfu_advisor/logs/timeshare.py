"""Where the wall time went: steady median x iterations covered + warm-up, evaluation and
pause excess over the median (docs/analyze.md, "The analysis").

Evaluation time by ``LogFormat.eval_timing``: "spike" (the next step's excess; a run's first
step is costed at the median of the others), "stated" (printed durations), "untimed".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mfu_advisor.facts import Maybe, Unavailable, value_or
from mfu_advisor.logs.collect import FLAG_AFTER_EVAL, FLAG_AFTER_PAUSE, StepCollector, usual_delta
from mfu_advisor.logs.formats.base import LogFormat, RunView
from mfu_advisor.logs.steady import Steady


@dataclass(frozen=True)
class TimeShare:
    """Estimated wall time and the parts of it spent outside steady steps (all in ms)."""

    wall_ms: Maybe[float]
    warmup_ms: Maybe[float]
    eval_ms: Maybe[float]
    eval_method: str


def iterations_covered(sink: StepCollector) -> Maybe[int]:
    """Training iterations spanned by the step lines, summed over run segments."""
    total = 0
    for segment in sink.segments:
        if not (np.isfinite(segment.first_step) and np.isfinite(segment.last_step)):
            return Unavailable("the step lines are not numbered")
        total += int(segment.last_step - segment.first_step) + 1
    return total if sink.segments else Unavailable("the step lines are not numbered")


def time_share(sink: StepCollector, fmt: LogFormat, run: RunView, steady: Steady) -> TimeShare:
    """Wall time, warm-up and evaluation time (see the module docstring)."""
    median = steady.median_ms
    if median is None:
        return _without_step_times(sink, fmt, run)
    covered = value_or(iterations_covered(sink), sink.count)
    base = median * covered
    # A step line that averages its time over the interval since the previous line spreads an
    # evaluation or pause over that interval: its excess times the interval is the cost.
    span = 1
    if fmt.step_time_span == "interval" and sink.deltas:
        span = usual_delta(sink)
    eval_rows = sink.eval_rows.columns()
    in_warmup = np.isin(eval_rows["g"], steady.warmup_g)
    excess = np.maximum(eval_rows["step_time_ms"] - median, 0.0) * span
    finite = np.isfinite(excess)
    clean = excess[finite & ~in_warmup]
    per_eval = float(np.median(clean)) if len(clean) else None
    # Warm-up excess, less the evaluation cost of warm-up steps that also ran an evaluation.
    head = sink.head.columns()
    is_warm = np.isin(head["g"], steady.warmup_g)
    warm_times = head["step_time_ms"][is_warm]
    warm_flags = head["flags"][is_warm]
    warm_excess = np.maximum(warm_times - median, 0.0)
    warm_evals = int(np.count_nonzero((warm_flags & FLAG_AFTER_EVAL) != 0))
    warmup_ms = float(np.nansum(warm_excess))
    sample = sink.sample.columns()
    pause = ((sample["flags"] & FLAG_AFTER_PAUSE) != 0) & ((sample["flags"] & FLAG_AFTER_EVAL) == 0)
    pause_excess = np.maximum(sample["step_time_ms"][pause] - median, 0.0) * span
    pause_ms = float(np.nansum(pause_excess)) * sink.stride

    eval_ms: Maybe[float]
    if fmt.eval_timing == "spike":
        scale = sink.eval_rows_count / max(1, len(excess))
        if per_eval is not None:
            eval_ms = float(clean.sum()) * scale + per_eval * warm_evals
            warmup_ms = max(0.0, warmup_ms - per_eval * warm_evals)
        elif len(excess) and finite.any():
            eval_ms = Unavailable(
                "every evaluation ran in a warm-up step (the first of a run), where its time "
                "cannot be told apart from compilation and other start-up costs"
            )
        elif sink.eval_count:
            eval_ms = Unavailable(
                "no timed step follows an evaluation line, so its duration is not in the log"
            )
        else:
            eval_ms = 0.0
    elif fmt.eval_timing == "stated":
        eval_ms = sink.eval_time_ms_total if sink.eval_timed_count else 0.0
    else:
        eval_ms = 0.0 if sink.eval_count == 0 else Unavailable(fmt.eval_untimed_reason)
    wall = base + warmup_ms + pause_ms + (eval_ms if isinstance(eval_ms, float) else 0.0)
    runtime = run.summary("train_runtime")
    if fmt.eval_timing == "stated" and isinstance(runtime, float) and runtime > 0:
        wall = runtime * 1000.0
    return TimeShare(wall, warmup_ms, eval_ms, fmt.eval_timing)


def _without_step_times(sink: StepCollector, fmt: LogFormat, run: RunView) -> TimeShare:
    """Logs with only an end-of-run summary (HF Trainer): stated eval time over train_runtime."""
    reason = "the log gives no per-step times"
    runtime = run.summary("train_runtime")
    wall: Maybe[float] = (
        runtime * 1000.0 if isinstance(runtime, float) and runtime > 0 else Unavailable(reason)
    )
    if fmt.eval_timing == "stated" and sink.eval_timed_count:
        return TimeShare(wall, Unavailable(reason), sink.eval_time_ms_total, "stated")
    if sink.eval_count == 0:
        return TimeShare(wall, Unavailable(reason), 0.0, fmt.eval_timing)
    return TimeShare(
        wall, Unavailable(reason), Unavailable(fmt.eval_untimed_reason), fmt.eval_timing
    )
