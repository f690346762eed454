"""nanoGPT train.py and bench.py logs: golden figures from real and reconstructed runs."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.chunk import Chunk
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.formats.nanogpt import FORMAT, NanoGptParser

A100 = "A100 bf16 312 TFLOP/s (nanoGPT's fixed reference)"


def test_nanogpt_1_a100_run_without_config_says_the_model_size_is_missing(fake_catalog) -> None:
    # SOURCES: 25 iter lines, iter 0 a 9371.81 ms compile outlier, median 894.42 ms without it,
    # MFU placeholder at iter 0, steady MFU median 16.6% against the A100's 312 TFLOP/s.
    result = analyze_log("nanogpt_1.log", hardware="A100")
    assert result.format == "nanogpt" and result.format_confidence == 1.0
    assert result.steps == 25 and result.warmup_steps == 1
    assert result.steady_step_time_ms == pytest.approx(894.415)
    assert result.warmup.first_step_time_ms == pytest.approx(9371.81)
    assert result.reported_mfu == pytest.approx(0.16605)
    assert result.reported_mfu_last == pytest.approx(0.1662)
    assert result.reference == A100
    assert isinstance(result.flops_per_token, Unavailable)
    assert "model size is missing" in result.flops_per_token.reason
    assert result.mfu.value is None and "model size is missing" in (result.mfu.reason or "")
    # The log's own figure still means something: 16.6% of 312 TFLOP/s, on an A100 16.6%.
    assert result.achieved_flops_implied == pytest.approx(0.16605 * 312e12)
    assert result.mfu_from_reported.value == pytest.approx(0.16605)
    assert result.loss.last == pytest.approx(1.6524) and result.loss.trend == "falling"
    assert result.evals.count == 1 and result.log_interval_steps == 10


def test_nanogpt_3_m2_run_reads_overrides_and_older_iter_lines() -> None:
    result = analyze_log("nanogpt_3.log")
    assert result.steps == 8 and result.warmup_steps == 1
    assert result.steady_step_time_ms == pytest.approx(130.44)
    assert result.config["n_layer"] == 4 and result.config["device"] == "mps"
    assert result.config_sources["n_embd"] == "Overriding line"
    assert len([k for k, s in result.config_sources.items() if s == "Overriding line"]) == 9
    # GPT-2 vocab and biases (the printed 3.42M only fits with bias=True): 6N + attention.
    assert result.n_params == 3_416_512
    assert result.flops_per_token == 6 * 3_416_512 + 12 * 4 * 4 * 16 * 64
    assert isinstance(result.reported_mfu, Unavailable)
    assert isinstance(result.tokens_per_step, Unavailable)
    assert "gradient_accumulation_steps" in result.tokens_per_step.reason
    assert result.hardware_hints.device == "mps"


def test_nanogpt_cpu_run_recomputes_about_60_gflops_and_the_true_cpu_mfu() -> None:
    # SOURCES: 301 iter lines, 2 evals, 768 tokens/iter, 0.80M params (N = 799,872),
    # 5.19 M FLOPs/token, about 60 GFLOP/s, which nanoGPT prints as 0.02%.
    result = analyze_log("nanogpt_cpu_300.log", peak_tflops=1.0)
    assert result.steps == 301 and result.evals.count == 2
    assert result.warmup_steps == 3  # iter 0 (1145 ms), 1, and iter 2 (118.9 ms)
    assert result.steady_step_time_ms == pytest.approx(66.37)
    assert result.tokens_per_step == 768
    assert result.n_params == 799_872 and result.flops_per_token == 5_192_448
    assert result.achieved_flops == pytest.approx(5_192_448 * 768 / 0.06637)
    assert 58e9 < result.achieved_flops < 62e9
    assert result.reported_mfu == pytest.approx(0.0002)
    assert result.mfu_vs_reference.value == pytest.approx(result.achieved_flops / 312e12)
    assert result.mfu.value == pytest.approx(result.achieved_flops / 1e12)
    assert result.peak.dtype == "fp32" and "device=cpu" in result.peak.dtype_source
    assert result.reference_detail.applies_to_run is False
    assert result.eval_time_fraction == pytest.approx(0.0725, abs=0.002)
    assert result.files[0].lines_not_understood == 7  # two warnings (2 lines each), `time` output


def test_nanogpt_placeholder_mfu_is_missing_not_minus_100() -> None:
    result = analyze_log("nanogpt_cpu_300.log")
    first = result.series[:5]
    assert all(point.reported_mfu is None for point in first)
    assert result.series[5].reported_mfu == pytest.approx(0.0002)
    assert any("-100.00%" in note for note in result.notes)


def test_nanogpt_8gpu_run_infers_devices_and_matches_its_own_mfu_on_an_a100(fake_catalog) -> None:
    # Reconstructed from train.py's prints for config/train_gpt2.py on 8 GPUs (SOURCES.md).
    result = analyze_log("nanogpt_gpt2_8gpu_warnings.log", hardware="A100")
    assert result.tokens_per_step == 491_520
    assert result.flops_per_token == 854_770_176  # 6 x 123,587,328 + 12*12*12*64*1024
    assert result.devices == 8 and result.devices_source.startswith("inferred")
    assert result.peak.dtype == "bf16"
    # Recomputed per-GPU MFU against the A100 equals what nanoGPT printed before any evaluation.
    assert result.mfu.value == pytest.approx(0.5585, abs=0.002)
    assert result.mfu_vs_reference.value == pytest.approx(result.mfu.value)
    assert result.reference_detail.applies_to_run is True
    assert result.evals.count == 4 and result.warmup_steps == 1
    assert result.eval_time_fraction == pytest.approx(0.158, abs=0.01)
    assert result.files[0].lines_not_understood == 7  # warning, traceback, wandb lines


def test_nanogpt_bench_uses_its_summary_time_and_burn_in() -> None:
    result = analyze_log("nanogpt_bench.log")
    assert result.format_variant == "bench.py"
    assert result.steps == 30 and result.warmup_steps == 10
    assert result.steady_step_time_ms == pytest.approx(91.3512)
    assert "time per iteration" in result.step_time_source
    assert result.tokens_per_step == 8 * 1024
    assert result.reported_mfu == pytest.approx(0.2457)
    assert result.mfu_vs_reference.value == pytest.approx(0.2457, abs=0.0005)


def test_two_concatenated_runs_count_as_a_restart_and_two_runs() -> None:
    result = analyze_log("nanogpt_two_runs.log")
    assert result.restart_count == 1 and result.runs == 2
    restart = result.restarts[0]
    assert restart.kind == "new run" and restart.to_step == 0
    assert restart.from_step == 106
    assert result.warmup_steps == 6  # three per run
    assert result.steps == 107 + 31  # iterations 0-106, then 0-30


def test_truncated_last_line_is_not_a_step() -> None:
    result = analyze_log("nanogpt_truncated.log")
    assert result.steps == 57
    assert result.last_step == 56
    assert any(
        example.startswith("121: iter 57") for example in result.files[0].not_understood_examples
    )


def test_bulk_and_line_by_line_paths_agree() -> None:
    text = "".join(
        f"step {i}: train loss 2.0, val loss 2.1\n" * (i % 50 == 0)
        + f"iter {i}: loss {3 - i / 1e4:.4f}, time {60 + i % 7:.2f}ms, "
        + f"mfu {'-100.00' if i < 5 else '0.02'}%\n"
        for i in range(3000)
    ).encode()

    def collect(bulk: bool) -> StepCollector:
        sink = StepCollector()
        sink.begin_file("x")
        parser = NanoGptParser(sink)
        if bulk:
            parser.feed(Chunk(text, 1))
        else:
            for number, line in enumerate(text.splitlines(keepends=True), start=1):
                parser.feed(Chunk(line, number))
        return sink

    bulk, lines = collect(True), collect(False)
    a, b = bulk.sample.columns(), lines.sample.columns()
    for name in ("step", "loss", "step_time_ms", "reported_mfu", "line", "flags"):
        assert a[name].tolist() == pytest.approx(b[name].tolist(), nan_ok=True), name
    assert bulk.meta["mfu_placeholder_lines"] == lines.meta["mfu_placeholder_lines"] == 5
    assert bulk.eval_rows_count == lines.eval_rows_count == 60


def test_sniff_counts_iter_lines_and_header_markers() -> None:
    evidence = FORMAT.sniff(["iter 1: loss 2.0, time 5.00ms", "Overriding: n_layer = 2", "hello"])
    assert (evidence.step_lines, evidence.marker_lines) == (1, 1)
