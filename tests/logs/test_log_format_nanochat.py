"""nanochat base_train logs."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.facts import Unavailable


def test_nanochat_a100_pr_sample() -> None:
    # SOURCES: 7 steps, dt median 992.91 ms, tok/sec median 528,029, mfu median 73.87,
    # 524,288 tokens/step derived, model size not printed.
    result = analyze_log("nanochat_1.log")
    assert result.format == "nanochat" and result.steps == 7
    assert result.steady_step_time_ms == pytest.approx(992.91)
    assert result.tokens_per_s == pytest.approx(528_029)
    assert result.tokens_per_step == 524_288
    assert "derived" in result.tokens_per_step_source
    assert result.reported_mfu == pytest.approx(0.7387)
    assert result.reported_mfu_last == pytest.approx(0.7358)
    assert result.reference_detail.kind == "fixed" and result.reference_detail.keyed_to == "H100"
    assert isinstance(result.flops_per_token, Unavailable)
    assert "Estimated FLOPs per token" in result.flops_per_token.reason


def test_nanochat_newer_log_states_its_gpu_peak_and_flops_per_token() -> None:
    result = analyze_log("nanochat_h100x8_new.log", peak_tflops=989)
    assert result.steps == 30 and result.warmup_steps == 1
    assert result.flops_per_token == pytest.approx(1.123456e9)
    assert result.tokens_per_step == 524_288
    # Stated by the log: Tokens / micro-batch (524,288) over Tokens / micro-batch / rank (65,536).
    assert result.devices == 8 and "micro-batch / rank" in result.devices_source
    assert result.reference_detail.kind == "printed" and result.reference_flops == 9.89e14
    assert result.mfu.value == pytest.approx(result.reported_mfu, rel=0.01)
    assert result.evals.count == 1
    assert result.hardware_hints.gpu_names == ("NVIDIA H100 80GB HBM3",)


def test_nanochat_step_lines_without_the_total_are_read() -> None:
    from mfu_advisor.logs.chunk import Chunk
    from mfu_advisor.logs.collect import StepCollector
    from mfu_advisor.logs.formats.nanochat import NanochatParser

    sink = StepCollector()
    sink.begin_file("x")
    line = b"step 00012 (0.06%) | loss: 7.1 | dt: 990.00ms | tok/sec: 529,582 | mfu: 74.00\n"
    NanochatParser(sink).feed(Chunk(line, 1))
    sample = sink.sample.columns()
    assert sample["step"].tolist() == [12] and sample["tokens_per_s"].tolist() == [529_582]
    assert sample["reported_mfu"].tolist() == [0.74]
