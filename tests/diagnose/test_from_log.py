"""A log's configuration, as the analyzer restates it (gpt_config), becomes the baseline."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.diagnose.from_log import (
    analyze_log,
    baseline_from_log,
    merge_options,
    too_slow_here,
)
from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.rules import example_facts as ex

TESTS = Path(__file__).resolve().parents[1]
NANOGPT_CPU = TESTS / "data" / "diagnose" / "nanogpt_cpu_300.log"
LLMC_A800 = TESTS / "data" / "logs" / "llmc_1.log"
LLMC_CPU = TESTS / "data" / "logs" / "llmc_cpu_upstream.log"


@cache
def _analysis(path: Path) -> LogAnalysis:
    return analyze_log(str(path), local_peak=False)


def _on_cuda(analysis: LogAnalysis) -> LogAnalysis:
    gpt = {**analysis.gpt_config, "device": "cuda", "dtype": "bfloat16"}
    return dataclasses.replace(analysis, gpt_config=gpt)


def test_the_nanogpt_cpu_log_reproduces_its_model_and_batch() -> None:
    reproduced = baseline_from_log(_analysis(NANOGPT_CPU), ex.machine())
    assert reproduced.options == {
        "batch_size": 12, "block_size": 64, "n_layer": 4, "n_head": 4, "n_embd": 128,
        "vocab_size": 96, "bias": False, "dropout": 0.0, "compile": False,
        "gradient_accumulation_steps": 1, "device": "cpu", "dtype": "float32",
    }  # fmt: skip


def test_an_llmc_log_is_read_through_the_analyzers_nanogpt_names() -> None:
    # llm.c names its settings num_layers, channels, seq_len, grad_accum_steps: only the
    # analyzer's gpt_config knows them as n_layer, n_embd, block_size, ...
    analysis = _analysis(LLMC_A800)
    assert "n_layer" not in analysis.config
    reproduced = baseline_from_log(analysis, ex.on_a100().hardware)
    assert reproduced.options == {
        "n_layer": 12, "n_head": 12, "n_embd": 768, "block_size": 1024, "vocab_size": 50304,
        "batch_size": 56, "gradient_accumulation_steps": 8, "bias": True,
        "device": "cuda", "dtype": "bfloat16",
    }  # fmt: skip


def test_an_llmc_gpu_log_on_a_cpu_machine_keeps_the_model_and_drops_the_accumulation() -> None:
    reproduced = baseline_from_log(_analysis(LLMC_A800), ex.machine())
    assert (reproduced.options["n_layer"], reproduced.options["n_embd"]) == (12, 768)
    assert "device" not in reproduced.options and "dtype" not in reproduced.options
    assert reproduced.options["gradient_accumulation_steps"] == 1
    notes = " ".join(reproduced.notes)
    assert "the log ran on cuda, which this machine lacks" in notes
    assert "(8 micro-batches) would take about" in notes


def test_a_run_too_slow_to_measure_here_is_not_started_and_says_why() -> None:
    reproduced = baseline_from_log(_analysis(LLMC_A800), ex.machine())
    asked = merge_options(reproduced.options, BenchOptions())
    reason = too_slow_here(asked, ex.machine(), budget_s=80.0)
    assert reason is not None and "batch_size 56 x block_size 1024" in reason
    assert "give a smaller --batch_size" in reason
    smaller = merge_options(reproduced.options, BenchOptions(batch_size=1, block_size=64))
    assert too_slow_here(smaller, ex.machine(), budget_s=80.0) is None


def test_an_llmc_cpu_log_runs_on_the_cpu_in_float32() -> None:
    reproduced = baseline_from_log(_analysis(LLMC_CPU), ex.machine())
    assert (reproduced.options["device"], reproduced.options["dtype"]) == ("cpu", "float32")
    assert reproduced.options["n_layer"] == 12 and reproduced.options["bias"] is True


def test_a_cuda_log_on_a_machine_without_cuda_runs_on_auto_and_says_so() -> None:
    analysis = _on_cuda(_analysis(NANOGPT_CPU))
    reproduced = baseline_from_log(analysis, ex.machine())
    assert "device" not in reproduced.options
    assert "dtype" not in reproduced.options  # bf16 suits the GPU, not this CPU
    assert "the log ran on cuda, which this machine lacks" in reproduced.notes[0]


def test_a_cuda_log_on_a_cuda_machine_keeps_its_device_and_dtype() -> None:
    analysis = _on_cuda(_analysis(NANOGPT_CPU))
    reproduced = baseline_from_log(analysis, ex.on_a100().hardware)
    assert (reproduced.options["device"], reproduced.options["dtype"]) == ("cuda", "bfloat16")


def test_settings_the_log_leaves_to_the_trainers_defaults_are_named() -> None:
    analysis = _analysis(NANOGPT_CPU)
    sources = {**analysis.gpt_config_sources, "bias": "train.py default"}
    analysis = dataclasses.replace(analysis, gpt_config_sources=sources)
    reproduced = baseline_from_log(analysis, ex.machine())
    assert "the trainer's defaults: bias False (train.py default)" in " ".join(reproduced.notes)


def test_a_log_without_a_gpt_config_takes_the_model_from_the_preset() -> None:
    analysis = _analysis(NANOGPT_CPU)
    silent = dataclasses.replace(
        analysis,
        format="torchtitan",
        config={},
        gpt_config={},
        hardware_hints=dataclasses.replace(
            analysis.hardware_hints, device=Unavailable("not stated")
        ),
    )
    reproduced = baseline_from_log(silent, ex.machine())
    assert reproduced.options == {}
    assert reproduced.notes[-1].startswith("the log does not state n_layer, n_head")


def test_merge_keeps_the_command_line_and_fills_the_rest_from_the_log() -> None:
    merged = merge_options({"batch_size": 12, "n_layer": 4}, BenchOptions(batch_size=48))
    assert (merged.batch_size, merged.n_layer) == (48, 4)
