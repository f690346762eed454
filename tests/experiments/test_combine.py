"""The combined fix: which verified changes go together, and its plan."""

from __future__ import annotations

from mfu_advisor.experiments.combine import combinable, combined_plan, fix_flags
from mfu_advisor.experiments.result import ExperimentResult, Method, Status, Verdict
from mfu_advisor.experiments.variant import VariantPlan


def _done(
    name: str, speedup: float, overrides: dict[str, object], **more: object
) -> ExperimentResult:
    fields: dict[str, object] = {
        "status": Status.OK,
        "speedup": speedup,
        "noise": 0.05,
        "verdict": Verdict.FASTER if speedup > 1.06 else Verdict.WITHIN_NOISE,
        "method": Method.INTERLEAVED,
        "overrides": overrides,
        **more,
    }
    return ExperimentResult(name=name, change=f"{name} change", **fields)  # type: ignore[arg-type]


def test_conflicting_changes_keep_the_larger_speedup() -> None:
    experiments = [
        _done("batch-x2", 1.14, {"batch_size": 24}),
        _done("autocast-bf16", 1.10, {"dtype": "bfloat16"}),
        _done("batch-x4", 1.21, {"batch_size": 48}),
        _done("compile", 1.03, {"compile": True}),  # within the noise: not verified
        _done("threads-usable", 1.3, {}, method=Method.SEPARATE_RUNS),  # a process of its own
    ]
    assert [e.name for e in combinable(experiments)] == ["batch-x4", "autocast-bf16"]


def test_the_combined_plan_merges_the_changes_and_their_cost() -> None:
    parts = [
        _done("batch-x4", 1.21, {"batch_size": 48}),
        _done("compile", 1.12, {"compile": True}, compile_s=3.5),
    ]
    plans = {"batch-x4": VariantPlan(name="batch-x4", step_time_factor=4.0)}
    plan = combined_plan(parts, plans)
    assert plan.name == "combined"
    assert dict(plan.overrides) == {"batch_size": 48, "compile": True}
    assert plan.change == "batch-x4 change; compile change"
    assert (plan.step_time_factor, plan.extra_warmup_s) == (4.0, 3.5)
    assert fix_flags(plan.overrides) == "--batch_size=48 --compile=True"
