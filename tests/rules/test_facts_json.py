"""The bench and analyze payloads read into the rules' views, with the arithmetic checked."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from mfu_advisor.bench.result import BenchResult
from mfu_advisor.bench.roofline import DtypeRoofline, MatmulPoint, Roofline
from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.facts_json import gemm_rates, log_facts_from_analysis, run_facts_from_bench
from mfu_advisor.rules.registry import rule_by_id

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"


def _load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def _bench(name: str = "bench_cpu_small_zen3.json") -> BenchResult:
    return BenchResult.from_json(_load(name))


def _analysis(payload: dict) -> LogAnalysis:
    """The recorded analysis with ``payload``'s fields in place of its own."""
    return LogAnalysis.from_json({**_load("analyze_nanogpt_cpu_300.json"), **payload})


def _point(m: int, k: int, multiple: int, rate: float | None) -> MatmulPoint:
    return MatmulPoint("attn.qkv", m, 10, k, multiple, rate)


def test_gemm_rate_is_total_flops_over_total_time_per_batch_multiple() -> None:
    recorded = _bench().roofline
    assert isinstance(recorded, Roofline)
    shapes = (_point(10, 10, 1, 1000.0), _point(10, 30, 1, 3000.0), _point(20, 10, 2, 4000.0),
              _point(20, 10, 4, None))  # fmt: skip
    fp32 = DtypeRoofline("fp32", 4000.0, "attn.qkv 20x10x10", (), shapes)
    roofline = dataclasses.replace(recorded, dtypes={"fp32": fp32})
    # 1x: 2000 FLOPs in 2 s and 6000 FLOPs in 2 s -> 8000 / 4 = 2000 FLOP/s.
    assert gemm_rates(roofline, "fp32") == {1: pytest.approx(2000.0), 2: pytest.approx(4000.0)}
    assert gemm_rates(roofline, "bf16") == {}


def test_the_recorded_bench_payload_gives_the_runs_facts() -> None:
    run = run_facts_from_bench(_bench())
    assert (run.device, run.dtype, run.batch_size, run.block_size) == ("cpu", "float32", 12, 64)
    assert run.effective_batch_tokens == 768
    assert isinstance(run.mfu_measured, float)
    assert run.mfu_measured == pytest.approx(run.achieved_flops / run.measured_peak_flops)
    assert set(run.gemm_flops_by_batch_multiple) == {1, 2, 4}
    assert isinstance(run.compile_s, Unavailable) and run.compile_s.reason == "compile is off"


def test_the_recorded_analysis_gives_the_logs_facts() -> None:
    log = log_facts_from_analysis(LogAnalysis.from_json(_load("analyze_nanogpt_cpu_300.json")))
    assert log.format == "nanogpt"
    assert (log.device, log.eval_iters, log.log_interval) == ("cpu", 20, 1)
    assert log.reported_mfu == pytest.approx(0.0002)
    assert log.reference_device == "A100"
    assert log.reference_applies_to_run is False
    assert log.step_time_jitter == pytest.approx(79.068 / 66.37 - 1, rel=1e-3)


def test_an_llmc_placeholder_mfu_is_read_as_a_placeholder() -> None:
    payload = {
        "format": "llmc",
        "reported_mfu": None,
        "unavailable": {"reported_mfu": "every MFU the log printed is a placeholder (-100%)"},
    }
    # A result written before reported_mfu_placeholder existed says so in the reason only.
    log = log_facts_from_analysis(_analysis(payload))
    assert log.reported_mfu_placeholder
    assert isinstance(log.reported_mfu, Unavailable)


def test_the_analyzers_placeholder_field_decides_over_the_reasons_wording() -> None:
    reason = {"reported_mfu": "every MFU the log printed is a placeholder (-100%)"}
    flagged = {"format": "llmc", "reported_mfu_placeholder": True, "unavailable": {}}
    cleared = {"format": "llmc", "reported_mfu_placeholder": False, "unavailable": reason}
    assert log_facts_from_analysis(_analysis(flagged)).reported_mfu_placeholder is True
    assert log_facts_from_analysis(_analysis(cleared)).reported_mfu_placeholder is False


def test_a_gpu_sampled_under_load_reaches_the_clock_rule_with_its_measured_clock() -> None:
    # The recorded CPU bench as if it had run on an A100 whose power cap held it at 1095 MHz
    # in 81% of the NVML samples taken while its steps ran (bench's under-load sampler).
    payload = _load("bench_cpu_small_zen3.json")
    payload["gpu_under_load"] = {
        "samples": 312,
        "interval_ms": 100.0,
        "sm_clock_mhz": 1095.0,
        "memory_clock_mhz": 1593.0,
        "power_draw_w": 398.0,
        "power_limit_w": 400.0,
        "temperature_c": 66.0,
        "utilization_gpu_percent": 100.0,
        "clock_event_reason_shares": {"sw_power_cap": 0.81, "gpu_idle": 0.02},
    }
    run = run_facts_from_bench(BenchResult.from_json(payload))
    load = run.gpu_under_load
    assert not isinstance(load, Unavailable)
    assert (load.samples, load.sm_clock_mhz, load.power_limit_w) == (312, 1095.0, 400.0)
    assert load.clock_event_reason_shares == {"sw_power_cap": 0.81, "gpu_idle": 0.02}
    on_a100 = ex.on_a100(ex.nvidia_facts(clock_event_reasons=()), gpu_under_load=load)
    finding = rule_by_id("MA115").check(on_a100)
    assert finding is not None
    assert "in 81% of them" in finding.explanation
    assert "SM clock median 1095 MHz of a maximum 1410 MHz" in finding.explanation
    assert finding.expected_speedup == pytest.approx(1410 / 1095)


def test_a_cpu_run_has_no_gpu_under_load() -> None:
    run = run_facts_from_bench(_bench())
    assert isinstance(run.gpu_under_load, Unavailable)
