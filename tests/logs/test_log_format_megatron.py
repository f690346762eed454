"""Megatron-LM logs: iteration lines with per-GPU TFLOP/s, the arguments dump, validation."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.facts import Unavailable


def test_megatron_mixtral_excerpt_on_an_h100(fake_catalog) -> None:
    # SOURCES: iterations 43-45, elapsed 5444.9/5533.8/5718.6 ms (median 5533.8), throughput
    # 239.8/236.0/228.4 TFLOP/s/GPU (median 236.0), ~23.9% of an H100's 989 TFLOP/s.
    result = analyze_log("megatron_1.log", peak_tflops=989)
    assert result.format == "megatron" and result.steps == 3
    assert result.steady_step_time_ms == pytest.approx(5533.8)
    assert result.achieved_flops == pytest.approx(236.0e12)
    assert result.mfu.value == pytest.approx(236.0 / 989, rel=1e-6)
    assert result.config["global_batch_size"] == 128
    assert result.loss.first == pytest.approx(1.825991)
    assert (
        isinstance(result.tokens_per_s, Unavailable) and "seq_length" in result.tokens_per_s.reason
    )


def test_megatron_arguments_give_tokens_devices_and_dtype() -> None:
    result = analyze_log("megatron_args.log")
    assert result.steps == 12 and result.warmup_steps == 1
    assert result.config["seq_length"] == 4096 and result.config["bf16"] is True
    assert result.tokens_per_step == 256 * 4096
    assert result.devices == 16
    assert result.peak.dtype == "bf16"
    assert result.evals.count == 1 and result.evals.points[0].values["lm_loss_value"] == 2.034112
