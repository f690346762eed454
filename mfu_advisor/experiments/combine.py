"""The combined fix: every verified interleaved change together, as one more variant; of two
that set the same option the larger speedup wins (docs/diagnose.md, "The combined fix")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mfu_advisor.experiments.result import ExperimentResult, Method, Verdict
from mfu_advisor.experiments.variant import VariantPlan

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
