"""Speedup of a variant over the baseline, with its noise interval and verdict (the noise model
is docs/diagnose.md's "Noise and verdicts")."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mfu_advisor.bench.paired import PairedComparison
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.timing import StepTimeStats, t_quantile_975
from mfu_advisor.experiments.result import Verdict
from mfu_advisor.facts import Unavailable

#: The smallest noise a speedup is given: the bench stops measuring once the
#: mean step time is known to +-2% (bench/timing.py CI_TARGET_FRACTION), so no
#: comparison is trusted to better than that.
NOISE_FLOOR = 0.02

#: Run-to-run noise assumed when the baseline could be run only once. The
#: bench's default budget is sized so that three runs agree within 5%
#: (bench/resolve.py DEFAULT_BUDGET_S, benchmarks/bench_repeatability.py).
ASSUMED_RUN_TO_RUN = 0.05

#: Between-run drift of an interleaved speedup: how much the same variant's speedup
#: moves from one diagnosis to the next, beyond its own pairs' interval. Four
#: default diagnoses in a row on the 2-core Zen 3 development VM (issue 16's table:
#: autocast-bf16 1.04-1.13x, batch-x2 1.06-1.14x, compile 1.03-1.12x, batch-x4
#: 1.02-1.22x) moved by a relative standard deviation of 3-9%, median about 4.5%:
#: the pairs of one process see one speed state of the machine, the next run
#: another. Folded into every interleaved speedup's noise in quadrature.
BETWEEN_RUNS = 0.05

#: A run's own noise when it has too few steps to estimate one (a single step).
SINGLE_STEP_NOISE = 0.25

#: p90 - p10 of a normal distribution in standard deviations (2 x 1.2816).
_P10_P90_SIGMAS = 2.5631
#: Standard error of the median over that of the mean for a normal sample: sqrt(pi/2).
_MEDIAN_SE_FACTOR = math.sqrt(math.pi / 2)


@dataclass(frozen=True)
class RunMeasure:
    """What one bench run measured, reduced to what a comparison needs."""

    tokens_per_s: float
    noise: float
    """Relative half-width of the 95% interval of the median step time."""
    steps: int
    """Measured steps (warm-up excluded)."""
    step_time_ms: float | None = None
    """Median step time in milliseconds."""


@dataclass(frozen=True)
class BaselineEstimate:
    """The baseline's tokens/s over its runs, with its noise and the run-to-run spread."""

    tokens_per_s: float
    """Mean tokens/s over the baseline runs."""
    noise: float
    """Relative half-width of the interval of ``tokens_per_s`` from the runs' own noise."""
    run_to_run: float | None
    """Relative spread (max - min) / mean between baseline runs; None with one run."""
    runs_tokens_per_s: tuple[float, ...]


@dataclass(frozen=True)
class Comparison:
    """A variant against the baseline."""

    speedup: float
    """Variant tokens/s over baseline tokens/s."""
    noise: float
    """Relative half-width of the speedup's (conservative) interval."""
    verdict: Verdict
    pair_noise: float | None = None
    """Interleaved: the half-width from its own pairs of blocks alone; else None."""


def median_noise(stats: StepTimeStats) -> float | None:
    """Relative 95% half-width of a run's median step time; None with fewer than 2 steps.

    The bench's distribution-free interval when it gives one, else the p10-p90 spread
    read as a normal sample's, with Student's t for n - 1 degrees of freedom.
    """
    given = stats.median_ci95_halfwidth_fraction
    if given is not None and given >= 0:
        return given
    if stats.steps < 2 or stats.median <= 0:
        return None
    sigma = max(stats.p90 - stats.p10, 0.0) / _P10_P90_SIGMAS
    spread = _MEDIAN_SE_FACTOR * sigma / math.sqrt(stats.steps) / stats.median
    return t_quantile_975(stats.steps - 1) * spread


def measure_of(run: BenchResult | PairedComparison) -> RunMeasure | str:
    """The measurement of a bench run (or of a variant's arm), or why it holds none."""
    tokens, stats = run.tokens_per_s, run.step_time_ms
    if isinstance(tokens, Unavailable) or tokens <= 0:
        detail = tokens.reason if isinstance(tokens, Unavailable) else None
        return f"no tokens/s measured ({detail})" if detail else "no tokens/s measured"
    if isinstance(stats, Unavailable):
        return "no step-time statistics in the bench result"
    noise = median_noise(stats)
    return RunMeasure(
        tokens_per_s=float(tokens),
        noise=SINGLE_STEP_NOISE if noise is None else noise,
        steps=stats.steps,
        step_time_ms=stats.median,
    )


def baseline_estimate(runs: Sequence[RunMeasure]) -> BaselineEstimate:
    """Combine one or more baseline runs; ValueError when there is none."""
    if not runs:
        raise ValueError("a baseline needs at least one run")
    values = tuple(r.tokens_per_s for r in runs)
    mean = sum(values) / len(values)
    # The mean of k runs: its own noise shrinks as sqrt(sum of squares) / k.
    own = math.sqrt(sum(r.noise**2 for r in runs)) / len(runs)
    spread = (max(values) - min(values)) / mean if len(values) > 1 else None
    return BaselineEstimate(mean, own, spread, values)


def compare(
    variant: RunMeasure, baseline: BaselineEstimate, floor: float = NOISE_FLOOR
) -> Comparison:
    """Speedup of ``variant`` over ``baseline``; its noise is never below ``floor``."""
    speedup = variant.tokens_per_s / baseline.tokens_per_s
    run_to_run = baseline.run_to_run if baseline.run_to_run is not None else ASSUMED_RUN_TO_RUN
    noise = math.sqrt(variant.noise**2 + baseline.noise**2 + run_to_run**2)
    noise = max(noise, floor, NOISE_FLOOR)
    return Comparison(speedup, noise, verdict_of(speedup, noise))


def paired_comparison(
    paired: PairedComparison, floor: float = NOISE_FLOOR, between_runs: float = BETWEEN_RUNS
) -> Comparison | str:
    """The speedup an interleaved bench run measured, or why it holds none (one line).

    Its noise: its own pairs' half-width (``pair_noise``; one pair: SINGLE_STEP_NOISE)
    and the ``between_runs`` drift in quadrature, never below ``floor`` nor NOISE_FLOOR.
    """
    speedup, noise = paired.speedup, paired.noise
    if isinstance(speedup, Unavailable):
        return speedup.reason
    if speedup <= 0:
        return "the interleaved run measured no speedup"
    given = noise if isinstance(noise, float) and noise >= 0 else SINGLE_STEP_NOISE
    spread = max(math.hypot(given, between_runs), floor, NOISE_FLOOR)
    return Comparison(speedup, spread, verdict_of(speedup, spread), pair_noise=given)


def aa_floor(speedup: float, noise: float | None) -> float:
    """The noise floor an A/A comparison measured: how far ``speedup x (1 -+ noise)``
    reaches from 1 (a single pair counts SINGLE_STEP_NOISE)."""
    spread = SINGLE_STEP_NOISE if noise is None else noise
    return max(abs(speedup * (1 + spread) - 1), abs(1 - speedup * (1 - spread)))


def verdict_of(speedup: float, noise: float) -> Verdict:
    """faster / slower / within noise for a speedup known to +-``noise`` (relative)."""
    if speedup * (1 - noise) > 1:
        return Verdict.FASTER
    if speedup * (1 + noise) < 1:
        return Verdict.SLOWER
    return Verdict.WITHIN_NOISE


def separate_abba(
    arms: Sequence[tuple[RunMeasure, RunMeasure]], floor: float = NOISE_FLOOR
) -> Comparison:
    """The speedup of fresh processes run A B B A, from ((A1, B1), (A2, B2)).

    The geometric mean of the pairs' ratios; its noise counts the runs' own noise, half
    the pairs' disagreement and BETWEEN_RUNS in quadrature, never below ``floor``.
    """
    if not arms:
        raise ValueError("a separate-run comparison needs at least one pair of runs")
    logs = [math.log(b.tokens_per_s / a.tokens_per_s) for a, b in arms]
    speedup = math.exp(sum(logs) / len(logs))
    own = math.sqrt(sum(a.noise**2 + b.noise**2 for a, b in arms)) / len(arms)
    drift = (max(logs) - min(logs)) / 2
    noise = max(math.sqrt(own**2 + drift**2 + BETWEEN_RUNS**2), floor, NOISE_FLOOR)
    return Comparison(speedup, noise, verdict_of(speedup, noise))


def overlap(first: tuple[float, float], second: tuple[float, float]) -> bool:
    """True when two (speedup, noise) intervals overlap."""
    (a, na), (b, nb) = first, second
    return a * (1 - na) <= b * (1 + nb) and b * (1 - nb) <= a * (1 + na)
