"""The diagnosis plan: the time budget, the bench runs' settings, and what each is expected to
cost (docs/diagnose.md, "Budget")."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mfu_advisor.bench.options import MODEL_FIELDS, PAIRABLE_FIELDS, BenchOptions
from mfu_advisor.bench.paired import BLOCK_TARGET_S, MIN_PAIRS
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.distributed import plan as job_plan
from mfu_advisor.experiments.job_variants import SYNC_LESS
from mfu_advisor.experiments.runner import GRACE_S
from mfu_advisor.experiments.variant import VariantPlan
from mfu_advisor.experiments.variants import Selection
from mfu_advisor.facts import Unavailable, value_or
from mfu_advisor.units import cpu_list

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

#: Variants that change a process's threads or CPUs: a data-parallel run sets those per
#: rank (each rank gets its share of the CPUs), so they do not apply to it.
PER_PROCESS_VARIANTS = frozenset(
    {"threads-physical", "threads-logical", "threads-usable", "pin-p-cores"}
)

PER_PROCESS_REASON = (
    "a data-parallel run sets threads and CPUs per rank (each rank gets its share of the "
    "CPUs): compare --nproc-per-node values instead"
)


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


def one_rank(
    selection: Selection, resolved: BenchOptions, result: BenchResult
) -> tuple[Selection, BenchOptions, tuple[VariantPlan, ...], str]:
    """For a data-parallel baseline: the selection without the per-process variants (their
    skip reasons replaced), the options pinned like rank 0, the plans dropped, and a note."""
    setup = result.distributed
    if setup is not None and setup.cpus_per_rank:
        resolved = dataclasses.replace(resolved, cpus=setup.cpus_per_rank[0])
    if setup is not None:
        resolved = dataclasses.replace(resolved, threads=setup.threads_per_rank)
    where = f"CPUs {cpu_list(resolved.cpus)}" if resolved.cpus else "one device"
    note = (
        f"data-parallel diagnosis: the what-if variants measure one rank's step (one process "
        f"on {where}, {resolved.threads or 'default'} threads), not the whole job; "
        f"{SYNC_LESS.name}, when it runs, measures the whole job"
    )
    kept = tuple(p for p in selection.plans if p.name not in PER_PROCESS_VARIANTS)
    dropped = tuple(p for p in selection.plans if p.name in PER_PROCESS_VARIANTS)
    skipped = tuple(
        (v, PER_PROCESS_REASON if v.name in PER_PROCESS_VARIANTS else why)
        for v, why in selection.skipped
    )
    return dataclasses.replace(selection, plans=kept, skipped=skipped), resolved, dropped, note


def interleaved(plan: VariantPlan) -> bool:
    """True when the variant is measured in one process with the baseline (bench --variant):
    a change one process can switch between blocks of steps, unlike threads, CPU affinity,
    environment variables or a whole data-parallel job."""
    return (
        not plan.distributed
        and not plan.env
        and plan.cpus is None
        and bool(plan.overrides)
        and set(plan.overrides) <= set(PAIRABLE_FIELDS)
    )


def variant_options(
    resolved: BenchOptions,
    plan: VariantPlan,
    measure_s: float = VARIANT_MEASURE_S,
    alone: bool = False,
) -> BenchOptions:
    """The bench options of one variant's process: the resolved baseline with the plan's
    changes as ``--variant`` when interleaved (unless ``alone``), else applied."""
    cap = plan.step_cap
    measuring: dict[str, Any] = {
        "budget_s": measure_s,
        "warmup_steps": cap.warmup_steps if cap else VARIANT_WARMUP_STEPS,
        "min_steps": cap.min_steps if cap else VARIANT_MIN_STEPS,
        "max_steps": cap.max_steps if cap else resolved.max_steps,
        "roofline": False,
        "fresh": False,
    }
    if interleaved(plan) and not alone:
        return dataclasses.replace(resolved, variant=tuple(plan.overrides.items()), **measuring)
    changes: dict[str, Any] = dict(plan.overrides)
    if changes.get("cpus") is not None:
        changes["cpus"] = tuple(changes["cpus"])
    return dataclasses.replace(resolved, variant=(), **{**changes, **measuring})


def estimate_s(plan: VariantPlan, timing: BaselineTiming) -> float:
    """Expected wall time of a variant's process, in seconds."""
    step = timing.step_s * plan.step_time_factor
    cap = plan.step_cap
    if plan.distributed:
        # The whole job without its single-process reference (--no-scaling): half the
        # baseline job's start-up; synced steps only, MIN_PAIRS blocks and MIN_SYNC_STEPS.
        steps = max(
            job_plan.MIN_PAIRS * job_plan.block_steps_for(step * 1e3), job_plan.MIN_SYNC_STEPS
        )
        measured = max(steps * step, VARIANT_MEASURE_S)
        return timing.startup_s / 2 + VARIANT_WARMUP_STEPS * step + measured
    if not interleaved(plan):
        return alone_estimate_s(plan, timing)
    # Both arms warm up; then pairs of blocks, each as long as the longer step at least.
    warmup = (cap.warmup_steps if cap else VARIANT_WARMUP_STEPS) * (timing.step_s + step)
    pairs_s = (cap.max_steps if cap else MIN_PAIRS) * 2 * max(timing.step_s, step, BLOCK_TARGET_S)
    measuring = pairs_s if cap else max(VARIANT_MEASURE_S, pairs_s)
    return timing.startup_s + plan.extra_warmup_s + warmup + measuring


def alone_estimate_s(
    plan: VariantPlan, timing: BaselineTiming, measure_s: float = VARIANT_MEASURE_S
) -> float:
    """Expected wall time of the plan's changes run alone, in a process of their own."""
    step = timing.step_s * plan.step_time_factor
    cap = plan.step_cap
    warmup_steps = cap.warmup_steps if cap else VARIANT_WARMUP_STEPS
    measuring = cap.max_steps * step if cap else min(measure_s, max(VARIANT_MIN_STEPS * step, step))
    return timing.startup_s + plan.extra_warmup_s + warmup_steps * step + measuring


def timeout_for(estimate: float, available: float, *, runs_last: bool) -> float:
    """Hard limit of a process: twice its estimate (at least +10 s), or all that remains
    when it runs last."""
    if runs_last:
        return available
    return min(available, max(2 * estimate, estimate + 10.0))
