"""The combined fix (which verified changes go together) and separate-run confirmation."""

from __future__ import annotations

import math

import pytest

from mfu_advisor.experiments.compare import BETWEEN_RUNS, Comparison, RunMeasure, separate_abba
from mfu_advisor.experiments.outcome import combinable, combined_plan, confirmed, fix_flags
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


def test_separate_runs_abba_give_the_mean_ratio_and_count_their_disagreement() -> None:
    a1, b1 = RunMeasure(10000.0, 0.01, 20), RunMeasure(9800.0, 0.01, 20)
    a2, b2 = RunMeasure(11000.0, 0.01, 20), RunMeasure(10340.0, 0.01, 20)
    separate = separate_abba(((a1, b1), (a2, b2)))
    assert separate.speedup == pytest.approx(math.sqrt(0.98 * 0.94))
    drift = (math.log(0.98) - math.log(0.94)) / 2
    assert separate.noise == pytest.approx(math.sqrt(0.01**2 + drift**2 + BETWEEN_RUNS**2))


def test_separate_runs_that_disagree_win_and_the_in_process_figure_is_kept() -> None:
    # Issue 16: bf16 autocast 1.07x paired in one process, 0.96x as separate processes.
    paired = _done("autocast-bf16", 1.13, {"dtype": "bfloat16"})
    separate = Comparison(0.90, 0.05, Verdict.SLOWER)
    result = confirmed(paired, separate)
    assert (result.speedup, result.noise, result.verdict) == (0.9, 0.05, Verdict.SLOWER)
    assert (result.interleaved_speedup, result.interleaved_noise) == (1.13, 0.05)
    assert (result.separate_speedup, result.separate_noise) == (0.9, 0.05)


def test_separate_runs_that_agree_only_add_their_figure() -> None:
    paired = _done("batch-x4", 1.21, {"batch_size": 48})
    result = confirmed(paired, Comparison(1.15, 0.06, Verdict.FASTER))
    assert (result.speedup, result.verdict) == (1.21, Verdict.FASTER)
    assert result.separate_speedup == 1.15 and result.interleaved_speedup is None
