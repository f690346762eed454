"""The combined fix: every verified change together, as one variant measured with the baseline.

A user who applies every "do" runs a combination nobody measured, and the sum
of single gains is not the gain of the sum (two changes may each relieve the
same bottleneck). So after the single experiments the diagnosis measures the
verified changes together, interleaved with the baseline like any variant.

Which changes: those measured faster beyond the noise, interleaved (a change
one process can switch: diagnose/plan.py ``interleaved``). Two that set the
same option conflict (batch x2 and batch x4); the larger speedup wins, the
other is left out: the best compatible subset, greedily from the largest.

Pure: no process runs here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mfu_advisor.experiments.result import ExperimentResult, Method, Verdict
from mfu_advisor.experiments.variant import VariantPlan

#: The name of the combined fix's variant and of its phase ("experiment:combined").
COMBINED = "combined"


def combinable(experiments: Sequence[ExperimentResult]) -> list[ExperimentResult]:
    """The verified changes that can be combined, best first, conflicts left out."""
    verified = sorted(
        (
            e
            for e in experiments
            if e.ok
            and e.verdict is Verdict.FASTER
            and e.method is Method.INTERLEAVED
            and e.overrides
            and e.name != COMBINED
        ),
        key=lambda e: -(e.speedup or 0.0),
    )
    chosen: list[ExperimentResult] = []
    taken: set[str] = set()
    for experiment in verified:
        if taken.isdisjoint(experiment.overrides):
            chosen.append(experiment)
            taken.update(experiment.overrides)
    return chosen


def combined_plan(
    parts: Sequence[ExperimentResult], plans: Mapping[str, VariantPlan]
) -> VariantPlan:
    """One variant with every part's changes; its cost estimated from the parts' plans.

    The step time factor is the product of the parts' (each part changes the step on its
    own), and the extra warm-up is the compile step one part measured, when it compiles.
    """
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
