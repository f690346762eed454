"""The budget arithmetic: start-up from the baseline, variant estimates, timeouts, options."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.roofline import Roofline
from mfu_advisor.bench.timing import StepTimeStats
from mfu_advisor.diagnose.plan import (
    VARIANT_MEASURE_S,
    BaselineTiming,
    Budget,
    estimate_s,
    interleaved,
    resolved_options,
    timeout_for,
    timing_of,
    variant_options,
)
from mfu_advisor.experiments.variant import StepCap, VariantPlan
from mfu_advisor.facts import Unavailable

RECORDED = Path(__file__).resolve().parents[1] / "data" / "diagnose" / "bench_cpu_small_zen3.json"


def _recorded() -> BenchResult:
    """``bench --preset cpu-small`` on the 2-vCPU VM: batch_size 12, block_size 64."""
    return BenchResult.from_json(json.loads(RECORDED.read_text()))


def test_startup_is_wall_time_minus_warmup_measuring_and_roofline() -> None:
    recorded = _recorded()
    stats = recorded.step_time_ms
    assert isinstance(recorded.roofline, Roofline) and isinstance(stats, StepTimeStats)
    run = dataclasses.replace(
        recorded,
        step_time_ms=dataclasses.replace(stats, median=62.0),
        warmup_s=0.3,
        measured_s=4.0,
        compile_s=Unavailable("compile is off"),
        roofline=dataclasses.replace(recorded.roofline, sweep_s=1.2),
    )
    timing = timing_of(run, wall_s=9.5)
    assert timing.startup_s == pytest.approx(4.0)
    assert timing.step_s == pytest.approx(0.062)


def test_a_variant_estimate_scales_the_baseline_step_by_its_factor() -> None:
    timing = BaselineTiming(startup_s=4.0, step_s=0.06)
    plan = VariantPlan(name="batch-x4", change="", step_time_factor=4.0)
    # 2 warm-up steps and 10 measured steps at 0.24 s (2.4 s, under the 3 s cap).
    assert estimate_s(plan, timing) == pytest.approx(4.0 + 0.48 + 2.4)


def test_a_capped_variant_counts_its_capped_steps() -> None:
    timing = BaselineTiming(startup_s=4.0, step_s=0.06)
    plan = VariantPlan(name="autocast-bf16", change="", step_time_factor=16.0,
                       step_cap=StepCap(1, 2, 3))  # fmt: skip
    assert estimate_s(plan, timing) == pytest.approx(4.0 + 0.96 + 3 * 0.96)


def test_the_last_variant_gets_all_that_remains_and_others_twice_their_estimate() -> None:
    assert timeout_for(10.0, 50.0, runs_last=True) == 50.0
    assert timeout_for(10.0, 50.0, runs_last=False) == 20.0
    assert timeout_for(3.0, 50.0, runs_last=False) == 13.0
    assert timeout_for(10.0, 12.0, runs_last=False) == 12.0


def test_the_budget_keeps_the_grace_period_and_the_finish_reserve() -> None:
    now = [0.0]
    budget = Budget(80.0, clock=lambda: now[0])
    now[0] = 70.0
    assert budget.remaining() == pytest.approx(10.0)
    assert budget.for_processes() == pytest.approx(10.0 - 3.0 - 1.5)
    now[0] = 90.0
    assert budget.remaining() == 0.0 and budget.for_processes() == 0.0


def test_variant_options_are_the_resolved_baseline_with_the_change() -> None:
    resolved = resolved_options(BenchOptions(), _recorded())
    plan = VariantPlan(name="pin", change="", overrides={"threads": 4, "cpus": [0, 1, 2, 3]})
    options = variant_options(resolved, plan)
    assert (options.batch_size, options.preset, options.threads) == (12, "cpu-small", 4)
    assert options.cpus == (0, 1, 2, 3)
    assert options.roofline is False
    assert options.budget_s == VARIANT_MEASURE_S
    argv = options.to_argv()
    assert "--cpus=0-3" in argv and "--no-roofline" in argv and "--min_steps=10" in argv


def test_a_change_one_process_can_switch_is_measured_interleaved_with_the_baseline() -> None:
    resolved = resolved_options(BenchOptions(), _recorded())
    plan = VariantPlan(name="batch-x4", change="", overrides={"batch_size": 48})
    assert interleaved(plan)
    options = variant_options(resolved, plan)
    assert options.batch_size == 12 and options.variant == (("batch_size", 48),)
    assert "--variant=batch_size=48" in options.to_argv()


def test_threads_affinity_and_environment_need_a_process_of_their_own() -> None:
    assert not interleaved(VariantPlan("t", "", overrides={"threads": 1}))
    assert not interleaved(VariantPlan("e", "", overrides={"dtype": "bfloat16"}, env={"X": "1"}))
    assert not interleaved(VariantPlan("p", "", overrides={"batch_size": 4}, cpus=(0, 1)))


def test_an_interleaved_estimate_counts_both_arms_warmup_and_at_least_three_pairs() -> None:
    timing = BaselineTiming(startup_s=4.0, step_s=0.06)
    plan = VariantPlan("batch-x4", "", overrides={"batch_size": 48}, step_time_factor=4.0)
    # warm-up 2 x (0.06 + 0.24); then the 4 s budget (3 pairs of 0.25 + 0.25 s are less).
    assert estimate_s(plan, timing) == pytest.approx(4.0 + 0.6 + 4.0)
    capped = VariantPlan("autocast-bf16", "", overrides={"dtype": "bfloat16"},
                         step_time_factor=16.0, step_cap=StepCap(1, 2, 3))  # fmt: skip
    # 1 warm-up step each (0.06 + 0.96), then 3 pairs of blocks of 0.96 s each.
    assert estimate_s(capped, timing) == pytest.approx(4.0 + 1.02 + 3 * 2 * 0.96)
