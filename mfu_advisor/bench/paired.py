"""``bench --variant``: run and variant alternate short blocks of steps in one process, A B B A,
so each pair sees one moment of a noisy machine; the speedup is the pairs' geometric mean, its
noise their 95% interval (docs/bench.md). Pure Python: steps and clocks are passed in."""

from __future__ import annotations

import contextlib
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mfu_advisor.bench.meter import MFUMeter
from mfu_advisor.bench.progress import ProgressSink
from mfu_advisor.bench.timing import CI_TARGET_FRACTION, StepTimeStats, summarize, t_quantile_975
from mfu_advisor.facts import Maybe, Unavailable

#: Seconds of steps in one block: short enough that a pair sees one state of the machine,
#: long enough that switching arms (caches refilled) is a small part.
BLOCK_TARGET_S = 0.25

#: Pairs measured before the budget may stop the run (three give an interval worth reading).
MIN_PAIRS = 3

#: Pairs before the +-2% rule may stop the run early.
CI_MIN_PAIRS = 6


@dataclass(frozen=True)
class PairedComparison:
    """The variant arm of a paired run, and its speedup over the run measured with it."""

    changes: dict[str, Any]
    """The variant's changes, nanoGPT names (``{"batch_size": 48}``)."""
    config: dict[str, Any]
    """The variant's model and batch options, as ``config`` of the run."""
    dtype: str
    peak_dtype: str
    flops_per_token: float
    effective_batch_tokens: int
    warmup_steps: int
    warmup_step_ms: tuple[float, ...]
    compile_s: Maybe[float]
    """Duration of the variant's first step when it compiles."""
    step_time_ms: Maybe[StepTimeStats]
    """The variant's measured steps (all blocks together)."""
    tokens_per_s: Maybe[float]
    """The variant's tokens/s at its median step."""
    achieved_flops: Maybe[float]
    block_target_s: float
    """Shortest block, in seconds of steps (longer when a step of either arm is longer)."""
    pairs: int
    """Complete pairs (one block of each arm) measured."""
    pair_speedups: tuple[float, ...]
    """Each pair's variant tokens/s over the run's, in the order measured."""
    speedup: Maybe[float]
    """Geometric mean of ``pair_speedups``: the variant's tokens/s over the run's."""
    noise: Maybe[float]
    """Relative half-width of the speedup's 95% interval: speedup x (1 -+ noise)."""
    notes: tuple[str, ...] = field(default=())


@dataclass
class Arm:
    """One configuration of a paired run: how to run a step and how it is timed."""

    step: Callable[[], Any]
    """One optimizer step; returns its loss (a float or a 0-d tensor)."""
    meter: MFUMeter
    """Times the arm's steps (its own warm-up count) and gives its figures."""
    tokens_per_step: int
    setting: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext
    """Entered around each block (TF32 on or off for this arm)."""
    losses: list[float] = field(default_factory=list)

    def timed_step(self) -> float:
        """One step, timed by the meter; its seconds (the loss is read after the clock)."""
        loss = self.step()
        duration = self.meter.step(self.tokens_per_step)
        self.losses.append(float(loss))
        return duration

    @property
    def measured_steps(self) -> int:
        return len(self.meter.durations_s)

    def typical_step_s(self) -> float | None:
        """The median measured step, else the last of two or more warm-up steps (a lone one
        may be the compilation), else None."""
        measured = self.meter.durations_s
        if measured:
            return statistics.median(measured)
        warmup = self.meter.warmup_durations_s
        return warmup[-1] if len(warmup) >= 2 else None


@dataclass(frozen=True)
class PairRule:
    """When a paired run has measured enough."""

    budget_s: float
    """Seconds of measured steps of both arms together."""
    max_steps: int | None = None
    """Stop once each arm has this many measured steps."""
    min_pairs: int = MIN_PAIRS

    def reason_to_stop(self, measured_s: float, ratios: Sequence[float], steps: int) -> str | None:
        """ "max_steps", "budget" or "ci" when the run should stop, else None (``steps``: the
        measured steps of the arm that has fewer)."""
        if self.max_steps is not None and steps >= self.max_steps:
            return "max_steps"
        if measured_s >= self.budget_s and len(ratios) >= self.min_pairs:
            return "budget"
        noise = paired_speedup(ratios)[1] if len(ratios) >= CI_MIN_PAIRS else None
        return "ci" if noise is not None and noise <= CI_TARGET_FRACTION else None


def paired_speedup(ratios: Sequence[float]) -> tuple[float | None, float | None]:
    """(geometric mean, relative 95% half-width) of per-pair speedups: the interval is
    exp(mean(log r) -+ t s / sqrt(n)), the noise its larger side exp(t s / sqrt(n)) - 1;
    None for what fewer than one (mean) or two (noise) ratios cannot give."""
    logs = [math.log(r) for r in ratios if r > 0]
    if not logs:
        return None, None
    centre = statistics.fmean(logs)
    if len(logs) < 2:
        return math.exp(centre), None
    half = t_quantile_975(len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
    return math.exp(centre), math.expm1(half)


def steps_per_block(typical_step_s: float | None, block_target_s: float = BLOCK_TARGET_S) -> int:
    """Steps in a block: about ``block_target_s`` of them, at least one."""
    if typical_step_s is None or typical_step_s <= 0:
        return 1
    return max(1, round(block_target_s / typical_step_s))


def warm_up(arm: Arm) -> None:
    """Run the arm's warm-up steps (its meter counts them apart)."""
    with arm.setting():
        arm.meter.start()
        while arm.meter.in_warmup:
            arm.timed_step()


def run_block(arm: Arm, steps: int) -> float:
    """Measure ``steps`` steps of ``arm``; returns the block's tokens/s."""
    with arm.setting():
        arm.meter.start()  # the clock restarts: the other arm's time is not this arm's
        durations = sum(arm.timed_step() for _ in range(steps))
    return steps * arm.tokens_per_step / durations if durations > 0 else 0.0


def measure_pairs(
    run: Arm,
    variant: Arm,
    rule: PairRule,
    sink: ProgressSink,
) -> tuple[list[float], str]:
    """Alternate blocks A B B A ... until the rule stops; (pair speedups, why it stopped).
    Ctrl-C stops it with "interrupted"; a pair cut short is left out."""
    ratios: list[float] = []
    stopped_by = "interrupted"
    try:
        while True:
            order = (run, variant) if len(ratios) % 2 == 0 else (variant, run)
            # Both blocks last about as long, so a burst of other work may land in either.
            typical = [arm.typical_step_s() or 0.0 for arm in order]
            target = max(BLOCK_TARGET_S, *typical)
            rates = {
                id(arm): run_block(arm, steps_per_block(arm.typical_step_s(), target))
                for arm in order
            }
            if rates[id(run)] > 0 and rates[id(variant)] > 0:
                ratios.append(rates[id(variant)] / rates[id(run)])
            measured_s = sum(run.meter.durations_s) + sum(variant.meter.durations_s)
            steps = run.measured_steps + variant.measured_steps
            sink.measured(steps, measured_s, rule.budget_s)
            reason = rule.reason_to_stop(
                measured_s, ratios, min(run.measured_steps, variant.measured_steps)
            )
            if reason:
                stopped_by = reason
                break
    except KeyboardInterrupt:
        sink.phase("interrupted: reporting what was measured so far")
    return ratios, stopped_by


def comparison(
    changes: Sequence[tuple[str, Any]],
    config: dict[str, Any],
    arm: Arm,
    *,
    dtype: str,
    peak_dtype: str,
    compiles: bool,
    ratios: Sequence[float],
) -> PairedComparison:
    """The variant arm's figures and its speedup over the run, for the result's ``paired``."""
    stats = summarize(arm.meter.durations_s)
    # Every step of an arm has the same tokens: tokens/s at the median step (as the run's).
    tokens_per_s = arm.tokens_per_step / (stats.median / 1e3) if stats and stats.median else None
    achieved = tokens_per_s * arm.meter.model_flops_per_token if tokens_per_s else None
    warmups = arm.meter.warmup_durations_s
    compile_s: Maybe[float] = Unavailable("the variant does not compile")
    if compiles:
        compile_s = warmups[0] if warmups else Unavailable("interrupted before the compile step")
    speedup, noise = paired_speedup(ratios)
    no_pair = Unavailable("no complete pair of blocks was measured")
    missing = Unavailable("no step of the variant was measured")
    return PairedComparison(
        changes=dict(changes),
        config=config,
        dtype=dtype,
        peak_dtype=peak_dtype,
        flops_per_token=arm.meter.model_flops_per_token,
        effective_batch_tokens=arm.tokens_per_step,
        warmup_steps=len(warmups),
        warmup_step_ms=tuple(d * 1e3 for d in warmups),
        compile_s=compile_s,
        step_time_ms=stats or missing,
        tokens_per_s=_known(tokens_per_s, missing),
        achieved_flops=_known(achieved, missing),
        block_target_s=BLOCK_TARGET_S,
        pairs=len(ratios),
        pair_speedups=tuple(round(r, 5) for r in ratios),
        speedup=_known(speedup, no_pair),
        noise=_known(noise, Unavailable("one pair gives no interval") if ratios else no_pair),
    )


def _known(value: float | None, missing: Any) -> Any:
    return missing if value is None else value
