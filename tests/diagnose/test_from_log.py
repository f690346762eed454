"""A log's configuration becomes the baseline's bench options; the command line wins."""

from __future__ import annotations

import json
from pathlib import Path

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.diagnose.from_log import NANOGPT_DEFAULT_VOCAB, baseline_from_log, merge_options
from mfu_advisor.rules import example_facts as ex

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"


def _analysis() -> dict:
    return json.loads((DATA / "analyze_nanogpt_cpu_300.json").read_text())


def test_the_nanogpt_cpu_log_reproduces_its_model_and_batch() -> None:
    reproduced = baseline_from_log(_analysis(), ex.machine())
    assert reproduced.options == {
        "batch_size": 12, "block_size": 64, "n_layer": 4, "n_head": 4, "n_embd": 128,
        "vocab_size": 96, "dropout": 0.0, "compile": False, "gradient_accumulation_steps": 1,
        "device": "cpu", "dtype": "float32",
    }  # fmt: skip
    assert reproduced.notes == ()


def test_a_cuda_log_on_a_machine_without_cuda_runs_on_auto_and_says_so() -> None:
    analysis = _analysis()
    analysis["config"] = {**analysis["config"], "device": "cuda", "dtype": "bfloat16"}
    reproduced = baseline_from_log(analysis, ex.machine())
    assert "device" not in reproduced.options
    assert "dtype" not in reproduced.options  # bf16 suits the GPU, not this CPU
    assert "the log ran on cuda, which this machine lacks" in reproduced.notes[0]


def test_a_cuda_log_on_a_cuda_machine_keeps_its_device_and_dtype() -> None:
    analysis = _analysis()
    analysis["config"] = {**analysis["config"], "device": "cuda", "dtype": "bfloat16"}
    reproduced = baseline_from_log(analysis, ex.on_a100().hardware)
    assert (reproduced.options["device"], reproduced.options["dtype"]) == ("cuda", "bfloat16")


def test_accumulation_comes_from_tokens_per_step_when_the_log_does_not_state_it() -> None:
    analysis = _analysis()
    config = dict(analysis["config"])
    del config["gradient_accumulation_steps"], config["vocab_size"]
    analysis["config"] = config
    analysis["tokens_per_step"] = 3072.0
    reproduced = baseline_from_log(analysis, ex.machine())
    assert reproduced.options["gradient_accumulation_steps"] == 4
    assert reproduced.options["vocab_size"] == NANOGPT_DEFAULT_VOCAB


def test_merge_keeps_the_command_line_and_fills_the_rest_from_the_log() -> None:
    merged = merge_options({"batch_size": 12, "n_layer": 4}, BenchOptions(batch_size=48))
    assert (merged.batch_size, merged.n_layer) == (48, 4)
