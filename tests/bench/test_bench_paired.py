"""A variant measured interleaved with the run: ABBA blocks, the paired speedup and its noise."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from bench_fakes import TINY

from mfu_advisor.bench.meter import MFUMeter
from mfu_advisor.bench.options import PAIRABLE_FIELDS, parse_variant
from mfu_advisor.bench.paired import (
    Arm,
    PairRule,
    comparison,
    measure_pairs,
    paired_speedup,
    steps_per_block,
    warm_up,
)
from mfu_advisor.bench.progress import SilentProgress
from mfu_advisor.bench.run import run_bench
from mfu_advisor.bench.timing import t_quantile_975
from mfu_advisor.errors import UserError
from mfu_advisor.report.model import Command, make_report

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "bench.schema.json").read_text())


class Clock:
    """A clock the fake steps move: each step costs its arm's seconds times the load."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _arm(clock: Clock, name: str, step_s: float, tokens: int, log: list[str],
         load: list[float], warmup: int = 2) -> Arm:  # fmt: skip
    def step() -> float:
        log.append(name)
        clock.now += step_s * load[0]
        return 1.0

    meter = MFUMeter(1.0, peak_flops=1.0, warmup_steps=warmup, clock=clock)
    return Arm(step=step, meter=meter, tokens_per_step=tokens)


def test_paired_speedup_is_the_geometric_mean_with_a_t_interval_on_the_logs() -> None:
    ratios = [1.10, 1.20, 1.15, 1.05]
    speedup, noise = paired_speedup(ratios)
    logs = [math.log(r) for r in ratios]
    mean = sum(logs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 3)
    assert speedup == pytest.approx(math.exp(mean))
    assert noise == pytest.approx(math.expm1(t_quantile_975(3) * sd / 2))


def test_one_pair_gives_a_speedup_but_no_interval_and_none_gives_nothing() -> None:
    assert paired_speedup([1.3]) == (pytest.approx(1.3), None)
    assert paired_speedup([]) == (None, None)


def test_a_block_is_about_a_quarter_second_of_steps_and_at_least_one() -> None:
    assert steps_per_block(0.06) == 4
    assert steps_per_block(0.9) == 1
    assert steps_per_block(None) == 1


def test_blocks_alternate_abba_and_each_arm_times_only_its_own_steps() -> None:
    clock, log, load = Clock(), [], [1.0]
    run = _arm(clock, "A", 0.05, 768, log, load)
    variant = _arm(clock, "B", 0.2, 3072, log, load)
    warm_up(run)
    warm_up(variant)
    ratios, stopped = measure_pairs(run, variant, PairRule(budget_s=2.0), SilentProgress())
    blocks = "".join(log[4:])  # after two warm-up steps of each arm
    # A blocks of 5 steps (0.25 s), B blocks of 1 step; A B, then B A, ...
    assert blocks.startswith("AAAAABBAAAAAAAAAAB")
    assert stopped == "budget" and len(ratios) >= 3
    assert all(r == pytest.approx((3072 / 0.2) / (768 / 0.05)) for r in ratios)
    assert run.meter.durations_s == pytest.approx([0.05] * run.measured_steps)


def test_a_slowdown_of_the_whole_machine_cancels_out_of_the_pairs() -> None:
    # The machine gets 3x slower halfway (another job starts): both arms of a pair see it.
    clock, log, load = Clock(), [], [1.0]
    run = _arm(clock, "A", 0.05, 768, log, load)
    variant = _arm(clock, "B", 0.2, 3072, log, load)
    warm_up(run)
    warm_up(variant)
    rule = PairRule(budget_s=100.0, max_steps=4)
    ratios, _ = measure_pairs(run, variant, rule, SilentProgress())
    load[0] = 3.0
    more, stopped = measure_pairs(run, variant, PairRule(budget_s=100, max_steps=8),
                                  SilentProgress())  # fmt: skip
    assert stopped == "max_steps"
    speedup, noise = paired_speedup(ratios + more)
    assert speedup == pytest.approx(1.0) and noise == pytest.approx(0.0, abs=1e-9)


def test_the_rule_wants_three_pairs_before_the_budget_and_six_before_the_ci() -> None:
    rule = PairRule(budget_s=1.0)
    assert rule.reason_to_stop(5.0, [1.1, 1.1], steps=10) is None
    assert rule.reason_to_stop(5.0, [1.1] * 3, steps=10) == "budget"
    assert rule.reason_to_stop(0.5, [1.1] * 5, steps=10) is None
    assert rule.reason_to_stop(0.5, [1.1] * 6, steps=10) == "ci"
    assert PairRule(budget_s=9, max_steps=3).reason_to_stop(0.5, [1.1], steps=3) == "max_steps"


def test_ctrl_c_between_blocks_keeps_the_complete_pairs() -> None:
    clock, log, load = Clock(), [], [1.0]
    run = _arm(clock, "A", 0.05, 768, log, load)
    calls = {"n": 0}

    def variant_step() -> float:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        clock.now += 0.2
        return 1.0

    variant = Arm(variant_step, MFUMeter(1.0, peak_flops=1.0, warmup_steps=1, clock=clock), 3072)
    warm_up(run)
    warm_up(variant)
    ratios, stopped = measure_pairs(run, variant, PairRule(budget_s=9.0), SilentProgress())
    assert stopped == "interrupted" and len(ratios) == 2


def test_the_comparison_reports_the_variant_arm_and_the_paired_speedup() -> None:
    clock, log, load = Clock(), [], [1.0]
    variant = _arm(clock, "B", 0.2, 3072, log, load, warmup=2)
    warm_up(variant)
    for _ in range(3):
        variant.meter.start()
        variant.step()
        variant.meter.step(3072)
    result = comparison((("batch_size", 48),), {"batch_size": 48}, variant, dtype="float32",
                        peak_dtype="fp32", compiles=False, ratios=[1.1, 1.2, 1.15])  # fmt: skip
    assert result.changes == {"batch_size": 48} and result.pairs == 3
    assert result.tokens_per_s == pytest.approx(3072 / 0.2)
    assert result.speedup == pytest.approx((1.1 * 1.2 * 1.15) ** (1 / 3))
    assert result.warmup_steps == 2 and str(result.compile_s).startswith("unavailable")


def test_variant_options_take_nanogpt_syntax_and_only_what_one_process_can_switch() -> None:
    assert parse_variant(["batch_size=48", "compile=False", "--dtype=bfloat16"]) == (
        ("batch_size", 48), ("compile", False), ("dtype", "bfloat16"),
    )  # fmt: skip
    with pytest.raises(UserError, match="only batch_size"):
        parse_variant(["threads=1"])
    with pytest.raises(UserError, match="KEY=VALUE"):
        parse_variant(["batch_size"])
    assert "threads" not in PAIRABLE_FIELDS and "cpus" not in PAIRABLE_FIELDS


def test_a_real_tiny_paired_run_measures_both_arms_and_validates() -> None:
    options = dataclasses.replace(TINY, budget_s=0.4, variant=(("batch_size", 4),))
    result = run_bench(options)
    paired = result.paired
    assert paired is not None and paired.pairs >= 3
    assert paired.config["batch_size"] == 4 and result.config["batch_size"] == 2
    assert paired.effective_batch_tokens == 4 * 8
    assert isinstance(paired.speedup, float) and paired.speedup > 0
    assert "--variant=batch_size=4" in options.to_argv()
    doc: dict[str, Any] = make_report(Command.BENCH, result).to_json()
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["paired"]["changes"] == {"batch_size": 4}


def test_a_lone_compile_warmup_step_does_not_stretch_the_blocks() -> None:
    # One warm-up step that compiles (40 s) says nothing about the steps after it.
    clock, log, load = Clock(), [], [1.0]
    compiled = _arm(clock, "B", 0.2, 768, log, load, warmup=1)
    compiled.meter.start()
    clock.now += 40.0
    compiled.meter.step(768)
    assert compiled.typical_step_s() is None
    run = _arm(clock, "A", 0.05, 768, log, load)
    warm_up(run)
    measure_pairs(run, compiled, PairRule(budget_s=0.0, min_pairs=1), SilentProgress())
    assert "".join(log[2:]) == "AAAAAB"  # 0.25 s of A, then one B step
