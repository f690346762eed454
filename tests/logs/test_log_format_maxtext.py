"""MaxText logs: the guide's deepseek2-16b run on 4 TPU v5p chips (tests/data/logs/SOURCES.md)."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.facts import Unavailable


def test_maxtext_guide_run_gives_the_guides_own_mfu() -> None:
    # The guide: step 9 reads 31.496 TFLOP/s/device and 2,024.558 Tokens/s/device at 1.012 s;
    # MFU = 31.496 / 459 (TPU v5p bf16) = 6.86%.
    result = analyze_log("maxtext_deepseek2_16b_tpu_v5p.log", peak_tflops=459)
    assert result.format == "maxtext" and result.steps == 10
    assert result.warmup_steps == 1  # step 0 compiles: 19.015 s
    assert result.steady_step_time_ms == pytest.approx(1012.0)
    # The median of steps 1-9's Tokens/s/device (step 4's 2,024.600).
    assert result.tokens_per_s == pytest.approx(2024.600)
    assert result.tokens_per_s_scope == "device"
    assert result.tokens_per_step == 2048  # per_device_batch_size 1.0 x max_target_length 2048
    assert result.devices == 4 and result.devices_source == "log"
    assert result.flops_per_token == pytest.approx(31.496e12 / 2024.558, rel=1e-3)
    assert result.achieved_flops == pytest.approx(31.496e12, rel=1e-3)
    assert result.mfu.value == pytest.approx(0.0686, abs=0.0005)
    assert result.loss.first == pytest.approx(12.047) and result.loss.last == pytest.approx(5.989)
    assert result.loss.trend == "falling"
    assert isinstance(result.reported_mfu, Unavailable)


def test_maxtext_older_step_lines_without_total_weights_are_read() -> None:
    from mfu_advisor.logs.chunk import Chunk
    from mfu_advisor.logs.collect import StepCollector
    from mfu_advisor.logs.formats.maxtext import MaxTextParser

    sink = StepCollector()
    sink.begin_file("x")
    # As printed in MaxText pull request #761 (github.com/AI-Hypercomputer/maxtext/pull/761).
    line = (
        b"completed step: 9, seconds: 1.341, TFLOP/s/device: 257.929, "
        b"Tokens/s/device: 36653.244, loss: 0.000\n"
    )
    MaxTextParser(sink).feed(Chunk(line, 1))
    sample = sink.sample.columns()
    assert sample["step"].tolist() == [9]
    assert sample["step_time_ms"].tolist() == [pytest.approx(1341.0)]
    assert sample["tokens_per_s"].tolist() == [pytest.approx(36653.244)]
    assert sample["flops_per_s"].tolist() == [pytest.approx(257.929e12)]
    assert sample["loss"].tolist() == [0.0]
