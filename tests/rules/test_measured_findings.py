"""A fix is verified only by a measurement beyond the noise; a slowdown becomes a "dont"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfu_advisor.bench.result import BenchResult
from mfu_advisor.experiments.result import Status
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.facts_json import log_facts_from_analysis, run_facts_from_bench
from mfu_advisor.rules.finding import Kind
from mfu_advisor.rules.registry import evaluate, rule_by_id
from mfu_advisor.units import percent

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"


def _payload(name: str) -> dict:
    doc = json.loads((DATA / name).read_text())
    return {
        k: v for k, v in doc.items() if k not in ("schema_version", "command", "tool", "created_at")
    }


def test_larger_micro_batch_measured_faster_is_a_verified_do_with_its_flags() -> None:
    facts = ex.here(
        ex.experiment(
            "batch-x4", 1.42, 0.05, overrides={"batch_size": 48}, change="batch_size 12 -> 48"
        )
    )
    finding = rule_by_id("micro-batch-too-small").check(facts)
    assert finding is not None
    assert finding.kind is Kind.DO
    assert finding.verified_speedup == pytest.approx(1.42)
    assert finding.fix == "--batch_size=48"
    assert finding.fix_options == {"batch_size": 48}
    assert "1.42x" in finding.explanation and "(±5%)" in finding.explanation


def test_bf16_measured_sixteen_times_slower_is_a_dont_with_the_factor() -> None:
    facts = ex.here(ex.experiment("autocast-bf16", 0.0625, 0.08))
    finding = rule_by_id("bf16-without-native-support").check(facts)
    assert finding is not None
    assert finding.kind is Kind.DONT
    assert finding.verified_speedup == pytest.approx(0.0625)
    assert "16x slower" in finding.title
    assert finding.fix == "keep --dtype=float32 on this CPU"


def test_a_speedup_within_the_noise_is_no_measurable_effect_and_not_verified() -> None:
    facts = ex.here(ex.experiment("compile", 1.03, 0.06, compile_s=40.0))
    finding = rule_by_id("compile-not-used").check(facts)
    assert finding is not None
    assert finding.kind is Kind.INFO
    assert finding.verified_speedup is None
    assert "no measurable effect" in finding.explanation


def test_a_failed_compile_experiment_is_reported_with_its_reason() -> None:
    facts = ex.here(
        ex.experiment(
            "compile",
            None,
            status=Status.FAILED,
            reason="did not finish its warm-up (compiling) within 31 s",
        )
    )
    finding = rule_by_id("compile-not-used").check(facts)
    assert finding is not None
    assert "within 31 s" in finding.explanation
    assert finding.verified_speedup is None


def test_of_two_batch_experiments_the_one_faster_beyond_noise_decides() -> None:
    facts = ex.here(
        ex.experiment("batch-x4", 1.30, 0.40, overrides={"batch_size": 48}),
        ex.experiment("batch-x2", 1.25, 0.05, overrides={"batch_size": 24}),
    )
    finding = rule_by_id("micro-batch-too-small").check(facts)
    assert finding is not None
    assert finding.verified_speedup == pytest.approx(1.25)
    assert finding.fix_options == {"batch_size": 24}


def test_findings_rank_verified_then_expected_then_donts_last() -> None:
    facts = ex.here(
        ex.experiment("batch-x4", 1.42, 0.05, overrides={"batch_size": 48}),
        ex.experiment("autocast-bf16", 0.0625, 0.08),
        ex.experiment("compile", 0.80, 0.05, compile_s=40.0),
    )
    findings = evaluate(facts)
    kinds = [f.kind for f in findings]
    assert findings[0].symbol == "micro-batch-too-small"
    # Every "dont" comes after every other finding, the most harmful first.
    first_dont = kinds.index(Kind.DONT)
    assert all(k is Kind.DONT for k in kinds[first_dont:])
    donts = [f for f in findings if f.kind is Kind.DONT]
    assert [f.symbol for f in donts] == ["bf16-without-native-support", "compile-not-used"]


def test_evaluate_is_pure_the_same_facts_give_the_same_findings() -> None:
    facts = ex.here(ex.experiment("batch-x4", 1.42, 0.05))
    assert evaluate(facts) == evaluate(facts)


def test_the_nanogpt_cpu_log_names_the_a100_reference_and_the_true_figure() -> None:
    log = log_facts_from_analysis(LogAnalysis.from_json(_payload("analyze_nanogpt_cpu_300.json")))
    run = run_facts_from_bench(BenchResult.from_json(_payload("bench_cpu_small_zen3.json")))
    finding = rule_by_id("mfu-relative-to-other-device").check(ex.facts(ex.machine(), run, log))
    assert finding is not None
    assert "mfu 0.02%" in finding.explanation
    assert "A100" in finding.explanation
    # True figure: the log's achieved FLOP/s over the fp32 matmul peak measured here.
    assert isinstance(log.achieved_flops, float) and isinstance(run.measured_peak_flops, float)
    expected = log.achieved_flops / run.measured_peak_flops
    assert finding.evidence["true_mfu"] == pytest.approx(expected)
    assert f"{percent(expected)} of the float32 matmul peak" in finding.explanation


def test_eval_share_gain_is_the_wall_time_saved_by_a_quarter_of_the_evaluation() -> None:
    facts = ex.facts(log=ex.nanogpt_cpu_log(eval_time_fraction=0.2))
    finding = rule_by_id("eval-share-large").check(facts)
    assert finding is not None
    assert finding.expected_speedup == pytest.approx(1 / (0.8 + 0.05))
    assert finding.fix == "--eval_iters=5 or --eval_interval=1000"
