"""From a variant's plan and what its process gave back to an :class:`ExperimentResult`; and
the combined fix: every verified interleaved change together, as one more variant, where of
two that set the same option the larger speedup wins (docs/diagnose.md, "The combined fix")."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mfu_advisor.experiments.compare import (
    NOISE_FLOOR,
    BaselineEstimate,
    Comparison,
    compare,
    measure_of,
    overlap,
    paired_comparison,
)
from mfu_advisor.experiments.result import ExperimentResult, Method, Status, Verdict
from mfu_advisor.experiments.runner import BenchProcessResult
from mfu_advisor.experiments.variant import Variant, VariantPlan
from mfu_advisor.facts import value_or


def _plan_fields(plan: VariantPlan, parts: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "name": plan.name,
        "change": plan.change,
        "overrides": dict(plan.overrides),
        "env": dict(plan.env),
        "cpus": plan.cpus,
        "verifies": plan.verifies,
        "note": plan.note,
        "parts": parts,
    }


@dataclass(frozen=True)
class VariantRun:
    """A variant whose process ran, and where it fell among the baseline's own runs."""

    plan: VariantPlan
    process: BenchProcessResult
    timeout_s: float
    baseline_runs_before: int
    """How many of the baseline's own runs had finished when it started."""
    parts: tuple[str, ...] = ()
    """The combined fix: the experiments it combines; else empty."""


def skipped_variant(variant: Variant, reason: str) -> ExperimentResult:
    """A variant that does not apply to this baseline."""
    return ExperimentResult(
        name=variant.name,
        change=variant.description,
        status=Status.SKIPPED,
        reason=reason,
        verifies=variant.verifies,
    )


def skipped_plan(plan: VariantPlan, reason: str, parts: tuple[str, ...] = ()) -> ExperimentResult:
    """A planned variant that was not started ("not enough budget left", "interrupted")."""
    return ExperimentResult(status=Status.SKIPPED, reason=reason, **_plan_fields(plan, parts))


def interrupted_plan(plan: VariantPlan, elapsed_s: float, timeout_s: float) -> ExperimentResult:
    """The variant that was running when Ctrl-C came."""
    return ExperimentResult(
        status=Status.FAILED,
        reason="interrupted by Ctrl-C",
        elapsed_s=round(elapsed_s, 2),
        timeout_s=round(timeout_s, 2),
        **_plan_fields(plan),
    )


def measured_variant(
    run: VariantRun,
    baseline: BaselineEstimate | None,
    *,
    budget_s: float | None,
    floor: float = NOISE_FLOOR,
) -> ExperimentResult:
    """The result of a variant that ran, or failed with a reason.

    Measured interleaved (its payload has ``paired``), it carries its own speedup and
    noise; measured alone, it is compared with ``baseline``. No noise is below ``floor``.
    """
    process = run.process
    common = _plan_fields(run.plan, run.parts) | {
        "budget_s": budget_s,
        "timeout_s": round(run.timeout_s, 2),
        "elapsed_s": round(process.elapsed_s, 2),
    }
    bench = process.bench
    if process.failure is not None or bench is None:
        return ExperimentResult(
            status=Status.FAILED, reason=process.failure or "no result", **common
        )
    paired = bench.paired
    figures = paired if paired is not None else bench
    measure = measure_of(figures)
    comparison: Comparison | str = "no baseline measurement to compare with"
    reference: float | None = None
    if paired is not None:
        comparison = paired_comparison(paired, floor)
        reference = value_or(bench.tokens_per_s, None)
    elif baseline is not None and not isinstance(measure, str):
        comparison = compare(measure, baseline, floor)
        reference = baseline.tokens_per_s
    failure = measure if isinstance(measure, str) else comparison
    if isinstance(failure, str):
        return ExperimentResult(status=Status.FAILED, reason=failure, **common)
    assert not isinstance(measure, str) and not isinstance(comparison, str)
    return ExperimentResult(
        status=Status.OK,
        speedup=round(comparison.speedup, 4),
        noise=round(comparison.noise, 4),
        pair_noise=round(comparison.pair_noise, 4) if comparison.pair_noise is not None else None,
        verdict=comparison.verdict,
        method=Method.INTERLEAVED if paired is not None else Method.SEPARATE_RUNS,
        baseline_tokens_per_s=round(reference, 1) if reference is not None else None,
        pairs=paired.pairs if paired is not None else None,
        tokens_per_s=round(measure.tokens_per_s, 1),
        step_time_ms=measure.step_time_ms,
        run_noise=round(measure.noise, 4),
        measured_steps=measure.steps,
        compile_s=value_or(figures.compile_s, None),
        peak_memory_bytes=value_or(bench.peak_memory_bytes, None),
        **common,
    )


def confirmed(result: ExperimentResult, separate: Comparison) -> ExperimentResult:
    """``result`` with its separate-process confirmation; the separate figure wins when the
    two intervals do not overlap (the in-process one is then kept apart)."""
    shown = dataclasses.replace(
        result,
        separate_speedup=round(separate.speedup, 4),
        separate_noise=round(separate.noise, 4),
    )
    if result.speedup is None or result.noise is None:
        return shown
    if overlap((result.speedup, result.noise), (separate.speedup, separate.noise)):
        return shown
    return dataclasses.replace(
        shown,
        speedup=round(separate.speedup, 4),
        noise=round(separate.noise, 4),
        verdict=separate.verdict,
        interleaved_speedup=result.speedup,
        interleaved_noise=result.noise,
    )


#: The name of the combined fix's variant and of its phase ("experiment:combined").
COMBINED = "combined"


def combinable(experiments: Sequence[ExperimentResult]) -> list[ExperimentResult]:
    """The verified changes that can be combined, best first, conflicts left out."""
    chosen: list[ExperimentResult] = []
    taken: set[str] = set()
    for e in sorted(experiments, key=lambda e: -(e.speedup or 0.0)):
        verified = e.ok and e.verdict is Verdict.FASTER and e.method is Method.INTERLEAVED
        if verified and e.overrides and e.name != COMBINED and taken.isdisjoint(e.overrides):
            chosen.append(e)
            taken.update(e.overrides)
    return chosen


def combined_plan(
    parts: Sequence[ExperimentResult], plans: Mapping[str, VariantPlan]
) -> VariantPlan:
    """One variant with every part's changes: its step time factor is the product of the
    parts', its extra warm-up the compile step a part measured (or planned)."""
    overrides: dict[str, Any] = {}
    factor = 1.0
    warmup = 0.0
    for part in parts:
        overrides.update(part.overrides)
        plan = plans.get(part.name)
        factor *= plan.step_time_factor if plan is not None else 1.0
        if part.compile_s is not None:
            warmup = max(warmup, part.compile_s)
        elif plan is not None:
            warmup = max(warmup, plan.extra_warmup_s)
    return VariantPlan(
        name=COMBINED,
        change="; ".join(p.change for p in parts),
        overrides=overrides,
        note=" ".join(p.note for p in parts if p.note),
        step_time_factor=factor,
        extra_warmup_s=warmup,
    )


def fix_flags(overrides: Mapping[str, Any]) -> str:
    """The nanoGPT flags of a set of changes: ``--batch_size=48 --compile=True``."""
    return " ".join(f"--{name}={value}" for name, value in overrides.items())
