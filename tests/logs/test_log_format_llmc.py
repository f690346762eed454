"""llm.c logs: the CUDA trainer's table and step lines, and the CPU trainer."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.facts import Unavailable


def test_llmc_a800_run_reads_the_table_and_treats_minus_100_as_unknown(fake_catalog) -> None:
    # SOURCES: A800 80GB PCIe, peak TFlops -1.0, BF16, 124,475,904 parameters, total batch
    # 458,752, 21 steps, median 2414.74 ms, tok/s median 190,706, MFU -100.0% = unknown GPU.
    result = analyze_log("llmc_1.log", hardware="A100")
    assert result.format == "llmc" and result.format_variant == "train_gpt2cu"
    assert result.steps == 21 and result.warmup_steps == 0
    assert result.steady_step_time_ms == pytest.approx(2414.74)
    assert result.tokens_per_step == 458_752
    assert result.tokens_per_s == pytest.approx(190_706)
    assert result.config["num_parameters"] == 124_475_904
    assert result.config["device_name"] == "NVIDIA A800 80GB PCIe"
    assert result.config["precision"] == "BF16"
    assert result.hardware_hints.gpu_names == ("NVIDIA A800 80GB PCIe",)
    assert isinstance(result.reported_mfu, Unavailable)
    assert result.reference_detail.kind == "unknown"
    assert "not negative" in result.reference_detail.note
    # nanoGPT's formula: N without position embeddings, 12 L H Q T attention.
    assert result.n_params == 124_475_904 - 1024 * 768
    assert result.flops_per_token == 6 * 123_689_472 + 12 * 12 * 12 * 64 * 1024
    assert result.flops_per_token_trainer == 6 * 124_475_904 + 6 * 12 * 768 * 1024
    assert result.mfu.value == pytest.approx(855_383_040 * 190_706 / 312e12)
    assert result.peak.dtype == "bf16" and "precision BF16" in result.peak.dtype_source
    assert result.evals.count == 1 and isinstance(result.eval_time_fraction, Unavailable)
    assert result.config["command"].startswith("./train_gpt2cu -i")
    assert result.files[0].lines_not_understood == 0


def test_llmc_cpu_pr_run_gives_times_but_not_tokens() -> None:
    # SOURCES: [GPT-2] block (256, 66, 6, 6, 384, 10,771,200), 2 val losses, 10 steps 0-9,
    # median 2453 ms, min 2141, max 2579, no MFU or tok/s.
    result = analyze_log("llmc_3.log")
    assert result.format_variant == "train_gpt2 (CPU)"
    assert result.steps == 10 and result.evals.count == 2
    assert result.steady_step_time_ms == pytest.approx(2453)
    assert result.jitter.p50_ms == pytest.approx(2453)
    assert [e.values["val_loss"] for e in result.evals.points] == [6.971008, 6.444646]
    assert result.config["num_parameters"] == 10_771_200 and result.config["channels"] == 384
    assert result.hardware_hints.device == "cpu"
    assert isinstance(result.tokens_per_s, Unavailable)
    assert "B=4, T=64" in result.tokens_per_s.reason
    assert result.reference_detail.kind == "none"


def test_llmc_cpu_upstream_uses_the_state_block_for_tokens() -> None:
    result = analyze_log("llmc_cpu_upstream.log", peak_tflops=1.0)
    assert result.steps == 11 and result.tokens_per_step == 4 * 64
    assert result.steady_step_time_ms == pytest.approx(3199.7)
    assert result.flops_per_token == 6 * (124_475_904 - 1024 * 768) + 12 * 12 * 12 * 64 * 64
    assert result.mfu.value == pytest.approx(result.flops_per_token * 256 / 3.1997 / 1e12)
    assert result.peak.dtype == "fp32"
    assert result.files[0].lines_not_understood == 0  # sampled text between --- lines included


def test_llmc_missing_shape_leaves_flops_unknown_with_a_reason() -> None:
    result = analyze_log("llmc_1.log", fmt="llmc", num_layers="x")
    assert isinstance(result.flops_per_token, Unavailable)
    assert "model shape" in result.flops_per_token.reason
