"""Step-time statistics: warm-up, the steady state, jitter, stalls, evaluation cost, loss.

Warm-up: per run segment, the steps up to the last of the first ``max(5, 5%)`` that took over
:data:`WARMUP_FACTOR` x the steady median, plus the trainer's own burn-in. Steady: the other
timed steps without an evaluation or pause; over :data:`STALL_FACTOR` x median is a stall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.collect import (
    FLAG_AFTER_EVAL,
    FLAG_AFTER_PAUSE,
    FLAG_LOSS_NAN,
    FLAG_WARMUP,
    StepCollector,
)
from mfu_advisor.logs.result import JitterFacts, LossFacts, StallPoint

#: A step slower than this multiple of the steady median, at the start of a run, is warm-up.
WARMUP_FACTOR = 1.5
#: Warm-up is looked for among the first max(WARMUP_MIN_ROWS, WARMUP_SHARE x segment) steps.
WARMUP_MIN_ROWS = 5
WARMUP_SHARE = 0.05
#: A steady step slower than this multiple of the median is a stall.
STALL_FACTOR = 3.0
#: Relative change of the loss between the first and last fifth that counts as a trend.
LOSS_TREND = 0.02

_EXCLUDED = FLAG_AFTER_EVAL | FLAG_AFTER_PAUSE | FLAG_WARMUP


@dataclass(frozen=True)
class Steady:
    """The steady-state step rows and the warm-up rows, from the collector's sample and heads
    (both hold rows in arrival order, so in order of ``g``, segment and position)."""

    warmup_g: np.ndarray
    """Global row numbers of warm-up rows, ascending."""
    clean: np.ndarray
    """Mask over the sample: neither warm-up nor flagged."""
    times: np.ndarray
    """Steady step times (ms) in the sample."""
    median_ms: float | None


def _median(values: np.ndarray) -> float | None:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else None


def find_steady(sink: StepCollector) -> Steady:
    """Warm-up rows and the steady state (see the module docstring)."""
    sample = sink.sample.columns()
    head = sink.head.columns()
    flags = sample["flags"]
    times = sample["step_time_ms"]
    plain = ((flags & _EXCLUDED) == 0) & (sample["pos"] > 0)
    reference = _median(times[plain]) or _median(times[(flags & _EXCLUDED) == 0]) or _median(times)
    warmup: set[int] = set(head["g"][(head["flags"] & FLAG_WARMUP) != 0].tolist())
    warmup.update(sample["g"][(flags & FLAG_WARMUP) != 0].tolist())
    if reference is not None:
        warmup.update(_leading_slow(sink, head, reference))
    warmup_g = np.array(sorted(warmup), dtype=np.int64)
    in_warmup = np.isin(sample["g"], warmup_g)
    clean = ~in_warmup & ((flags & _EXCLUDED) == 0)
    steady_times = times[clean & np.isfinite(times)]
    if not len(steady_times):
        # Every timed step is flagged (e.g. a two-line paste): fall back to all non-warm-up steps.
        steady_times = times[~in_warmup & np.isfinite(times)]
    median = float(np.median(steady_times)) if len(steady_times) else None
    return Steady(warmup_g, clean, steady_times, median)


def _leading_slow(sink: StepCollector, head: dict[str, np.ndarray], reference: float) -> list[int]:
    """Rows at the start of each segment up to the last slow one within the look-ahead window."""
    out: list[int] = []
    if not len(head["g"]):
        return out
    threshold = WARMUP_FACTOR * reference
    for seg in np.unique(head["seg"]).tolist():
        rows = np.flatnonzero(head["seg"] == seg)
        length = sink.segments[seg].rows if seg < len(sink.segments) else len(rows)
        window = max(WARMUP_MIN_ROWS, math.ceil(WARMUP_SHARE * length))
        pos, times, flags = head["pos"][rows], head["step_time_ms"][rows], head["flags"][rows]
        eligible = (pos < window) & np.isfinite(times) & (times > threshold)
        eligible &= (pos == 0) | ((flags & (FLAG_AFTER_EVAL | FLAG_AFTER_PAUSE)) == 0)
        if eligible.any():
            last = int(pos[np.flatnonzero(eligible)[-1]])
            out.extend(head["g"][rows][pos <= last].tolist())
    return out


def printed_values(sink: StepCollector, steady: Steady, column: str) -> np.ndarray:
    """The values the log printed in ``column`` on steady steps; on every step if none are."""
    values = sink.sample.columns()[column]
    finite = np.isfinite(values)
    steady_values = values[steady.clean & finite]
    return steady_values if len(steady_values) else values[finite]


def jitter(sink: StepCollector, steady: Steady) -> JitterFacts:
    """Spread of steady step times, and the stalls among them."""
    times = steady.times
    if len(times) < 2 or steady.median_ms is None:
        reason = "fewer than two steady step times in the log"
        return JitterFacts(
            Unavailable(reason),
            _or(steady.median_ms, reason),
            Unavailable(reason),
            Unavailable(reason),
            Unavailable(reason),
            0,
            (),
            len(times),
        )
    mean = float(np.mean(times))
    p50, p90 = (float(v) for v in np.percentile(times, [50, 90]))
    threshold = STALL_FACTOR * steady.median_ms
    sample = sink.sample.columns()
    mask = steady.clean & np.isfinite(sample["step_time_ms"])
    slow = np.flatnonzero(mask & (sample["step_time_ms"] > threshold))
    order = slow[np.argsort(-sample["step_time_ms"][slow])][:5]
    worst = tuple(
        StallPoint(
            step=_finite(sample["step"][i]),
            line=int(sample["line"][i]),
            file=sink.files[int(sample["file"][i])].name,
            step_time_ms=float(sample["step_time_ms"][i]),
        )
        for i in order.tolist()
    )
    return JitterFacts(
        cv=float(np.std(times)) / mean if mean > 0 else Unavailable("mean step time is zero"),
        p50_ms=p50,
        p90_ms=p90,
        p90_over_p50=p90 / p50 if p50 > 0 else Unavailable("median step time is zero"),
        stall_threshold_ms=threshold,
        stalls=len(slow) * sink.stride,
        worst=worst,
        steps_used=len(times),
    )


def loss_facts(sink: StepCollector) -> LossFacts:
    """First, last and lowest loss, and whether it is falling."""
    sample, head = sink.sample.columns(), sink.head.columns()
    nan_steps = int(np.count_nonzero(sample["flags"] & FLAG_LOSS_NAN)) * sink.stride
    losses = sample["loss"][np.isfinite(sample["loss"])]
    head_losses = head["loss"][np.isfinite(head["loss"])]
    first = (
        float(head_losses[0]) if len(head_losses) else (float(losses[0]) if len(losses) else None)
    )
    last = sink.last_loss if math.isfinite(sink.last_loss) else None
    pool = np.concatenate([losses, head_losses])
    lowest = float(pool.min()) if len(pool) else None
    reason = "the log prints no loss"
    if len(losses) < 4:
        trend = "unknown"
    elif float(losses.max()) == float(losses.min()):
        trend = "constant"
    else:
        fifth = max(1, len(losses) // 5)
        early, late = float(np.median(losses[:fifth])), float(np.median(losses[-fifth:]))
        change = (late - early) / abs(early) if early else 0.0
        trend = "falling" if change < -LOSS_TREND else "rising" if change > LOSS_TREND else "flat"
    return LossFacts(
        first=_or(first, reason),
        last=_or(last, reason),
        min=_or(lowest, reason),
        trend=trend,
        nan_steps=nan_steps,
    )


def _or(value: float | None, reason: str) -> float | Unavailable:
    return Unavailable(reason) if value is None else value


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
