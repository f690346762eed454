"""The diagnosis plan: the time budget, the bench runs' settings, and what each is expected to cost.

Budget rules (docs/diagnose.md, "Budget"): every subprocess gets a measuring
budget and a hard timeout taken from what remains; a variant whose estimated
cost does not fit is skipped with the reason "not enough budget left"; the
variant that runs last (compile) gets whatever remains. A timeout is followed
by at most :data:`~mfu_advisor.experiments.runner.GRACE_S` seconds of grace,
and :data:`FINISH_RESERVE_S` is kept for the rules and the report, so the
whole run stays within the budget plus a few seconds (at most 10%).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.options import MODEL_FIELDS, PAIRABLE_FIELDS, BenchOptions
from mfu_advisor.bench.paired import BLOCK_TARGET_S, MIN_PAIRS
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.experiments.runner import GRACE_S
from mfu_advisor.experiments.variant import VariantPlan
from mfu_advisor.facts import Unavailable, value_or

#: Default --budget in seconds: on the 2-core Zen 3 VM the whole diagnose
#: (start-up, probe, two baseline runs, batch x2 and x4, bf16, compile) must end
#: within 90 s of wall time; 80 s of budget leaves room for start-up and the report.
DEFAULT_BUDGET_S = 80.0

#: Smallest --budget accepted: a probe and one baseline run need about this much.
MIN_BUDGET_S = 10.0

#: Seconds kept at the end for the rules and the report.
FINISH_RESERVE_S = 1.5

#: Measured seconds of each baseline run (bench --budget); the bench stops
#: earlier once the mean step time is known within +-2% after 20 steps.
BASELINE_MEASURE_S = 4.0

#: Measured seconds of each variant, its warm-up steps and its steps before
#: the +-2% rule may stop it. A variant measured interleaved with the baseline
#: (bench --variant) spends them on both arms together: about 8 pairs of
#: 0.25 s blocks on the 2-core development VM, enough for a +-5% interval there.
VARIANT_MEASURE_S = 4.0
VARIANT_WARMUP_STEPS = 2
VARIANT_MIN_STEPS = 10

#: Measured seconds of each fresh process confirming a change A B B A (diagnose's
#: ``confirm``): four processes, so shorter than a variant's.
CONFIRM_MEASURE_S = 2.0


class Budget:
    """Seconds since the diagnosis started, against its budget."""

    def __init__(self, total_s: float, clock: Callable[[], float] = time.perf_counter) -> None:
        self.total_s = total_s
        self._clock = clock
        self._started = clock()

    def elapsed(self) -> float:
        """Seconds since the start."""
        return self._clock() - self._started

    def remaining(self) -> float:
        """Seconds left before the budget is spent (never negative)."""
        return max(0.0, self.total_s - self.elapsed())

    def for_processes(self) -> float:
        """Seconds a subprocess may still take, its grace period and the finish reserve kept."""
        return max(0.0, self.remaining() - GRACE_S - FINISH_RESERVE_S)


@dataclass(frozen=True)
class BaselineTiming:
    """How long the baseline took, for estimating the variants."""

    startup_s: float
    """Process start-up: wall time minus warm-up, measuring and roofline."""
    step_s: float
    """Median step time, in seconds."""


def timing_of(result: BenchResult, wall_s: float) -> BaselineTiming:
    """The baseline's start-up and step time from its bench result and wall time."""
    stats = result.step_time_ms
    step_s = 1.0 if isinstance(stats, Unavailable) else stats.median / 1e3
    spent = result.warmup_s + result.measured_s + value_or(result.compile_s, 0.0)
    spent += sweep_s(result)
    return BaselineTiming(startup_s=max(0.5, wall_s - spent), step_s=step_s)


def sweep_s(result: BenchResult) -> float:
    """Seconds the run's roofline sweep took (0 when it was read from the cache or skipped)."""
    return 0.0 if isinstance(result.roofline, Unavailable) else result.roofline.sweep_s


def baseline_options(asked: BenchOptions, *, with_roofline: bool) -> BenchOptions:
    """The baseline run: what the user asked, with the diagnosis's measuring budget."""
    return dataclasses.replace(
        asked,
        budget_s=BASELINE_MEASURE_S,
        roofline=with_roofline,
        fresh=False,
    )


def resolved_options(asked: BenchOptions, baseline: BenchResult) -> BenchOptions:
    """The baseline as it really ran: the model and batch fields from its result's config."""
    config = baseline.config
    fields: dict[str, Any] = {
        name: config[name] for name in MODEL_FIELDS if config.get(name) is not None
    }
    if baseline.preset:
        fields["preset"] = baseline.preset
    fields["tf32"] = baseline.tf32
    return dataclasses.replace(asked, **fields)


def interleaved(plan: VariantPlan) -> bool:
    """True when the variant is measured in one process with the baseline (bench --variant).

    That needs a change one process can switch between blocks of steps; threads,
    CPU affinity and environment variables hold for a whole process, so those
    variants run in processes of their own.
    """
    return (
        not plan.distributed  # a whole data-parallel job: one process cannot hold two
        and not plan.env
        and plan.cpus is None
        and bool(plan.overrides)
        and set(plan.overrides) <= set(PAIRABLE_FIELDS)
    )


def variant_options(resolved: BenchOptions, plan: VariantPlan) -> BenchOptions:
    """The bench options of one variant's process.

    Interleaved: the resolved baseline with the plan's changes as ``--variant``,
    so the process measures both. Otherwise: the resolved baseline with the
    changes applied, measured alone.
    """
    cap = plan.step_cap
    measuring: dict[str, Any] = {
        "budget_s": VARIANT_MEASURE_S,
        "warmup_steps": cap.warmup_steps if cap else VARIANT_WARMUP_STEPS,
        "min_steps": cap.min_steps if cap else VARIANT_MIN_STEPS,
        "max_steps": cap.max_steps if cap else resolved.max_steps,
        "roofline": False,
        "fresh": False,
    }
    if interleaved(plan):
        return dataclasses.replace(resolved, variant=tuple(plan.overrides.items()), **measuring)
    changes: dict[str, Any] = dict(plan.overrides)
    if "cpus" in changes and changes["cpus"] is not None:
        changes["cpus"] = tuple(changes["cpus"])
    return dataclasses.replace(resolved, variant=(), **{**changes, **measuring})


def estimate_s(plan: VariantPlan, timing: BaselineTiming) -> float:
    """Expected wall time of a variant's process, in seconds."""
    step = timing.step_s * plan.step_time_factor
    cap = plan.step_cap
    warmup_steps = cap.warmup_steps if cap else VARIANT_WARMUP_STEPS
    if not interleaved(plan):
        return alone_estimate_s(plan, timing)
    # Both arms warm up; then pairs of blocks, each as long as the longer step at least.
    warmup = warmup_steps * (timing.step_s + step)
    pair_s = 2 * max(timing.step_s, step, BLOCK_TARGET_S)
    pairs_s = (cap.max_steps if cap else MIN_PAIRS) * pair_s
    measuring = pairs_s if cap else max(VARIANT_MEASURE_S, pairs_s)
    return timing.startup_s + plan.extra_warmup_s + warmup + measuring


def alone_estimate_s(
    plan: VariantPlan, timing: BaselineTiming, measure_s: float = VARIANT_MEASURE_S
) -> float:
    """Expected wall time of the plan's changes run alone, in a process of their own."""
    step = timing.step_s * plan.step_time_factor
    cap = plan.step_cap
    warmup_steps = cap.warmup_steps if cap else VARIANT_WARMUP_STEPS
    alone = min(measure_s, max(VARIANT_MIN_STEPS * step, step))
    measuring = cap.max_steps * step if cap else alone
    return timing.startup_s + plan.extra_warmup_s + warmup_steps * step + measuring


def alone_options(
    resolved: BenchOptions, overrides: dict[str, Any], measure_s: float
) -> BenchOptions:
    """The resolved baseline with ``overrides`` applied, measured alone for ``measure_s``."""
    return dataclasses.replace(
        resolved,
        variant=(),
        budget_s=measure_s,
        warmup_steps=VARIANT_WARMUP_STEPS,
        min_steps=VARIANT_MIN_STEPS,
        roofline=False,
        fresh=False,
        **overrides,
    )


def timeout_for(estimate: float, available: float, *, runs_last: bool) -> float:
    """Hard limit of a process: twice its estimate (at least +10 s), or all that remains
    when it runs last."""
    if runs_last:
        return available
    return min(available, max(2 * estimate, estimate + 10.0))
