"""Real (tiny) bench runs: consistent figures, valid JSON, Ctrl-C, --data, the subprocess."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from bench_fakes import TINY
from click.testing import CliRunner

from mfu_advisor.bench import roofline
from mfu_advisor.bench.command import bench
from mfu_advisor.bench.run import run_bench
from mfu_advisor.errors import UserError
from mfu_advisor.mfu import A100_BF16_DENSE_PEAK_FLOPS
from mfu_advisor.report.model import Command, make_report

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "bench.schema.json").read_text())


def _validate(doc: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def test_tiny_run_figures_are_consistent_with_each_other() -> None:
    result = run_bench(TINY)
    assert result.stopped_by in ("budget", "ci")
    steps = result.step_time_ms
    assert not isinstance(steps, type(None)) and hasattr(steps, "median")
    assert steps.p10 <= steps.median <= steps.p90  # type: ignore[union-attr]
    assert steps.steps >= 1 and result.warmup_steps == 1  # type: ignore[union-attr]
    assert result.effective_batch_tokens == 2 * 8 * 1
    expected_rate = result.effective_batch_tokens / (steps.median / 1e3)  # type: ignore[union-attr]
    assert result.tokens_per_s == pytest.approx(expected_rate)
    assert result.achieved_flops == pytest.approx(expected_rate * result.flops_per_token)
    assert result.mfu.a100_reference.value == pytest.approx(
        result.achieved_flops / A100_BF16_DENSE_PEAK_FLOPS  # type: ignore[operator]
    )
    assert result.config == {
        "batch_size": 2, "block_size": 8, "n_layer": 1, "n_head": 2, "n_embd": 16,
        "vocab_size": 17, "dropout": 0.0, "bias": False, "dtype": "float32",
        "compile": False, "device": "cpu", "gradient_accumulation_steps": 1,
    }  # fmt: skip
    assert result.adamw_impl == "forloop" and result.data == "synthetic"
    series = result.series
    assert len(series["step"]) == result.warmup_steps + steps.steps  # type: ignore[union-attr]
    assert series["step_time_ms"][0] == pytest.approx(result.warmup_step_ms[0])
    assert series["loss"][0] == result.loss_first and series["loss"][-1] == result.loss_last


def test_json_with_a_real_roofline_validates_against_the_schema(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(roofline.SQUARE_SIZES, "cpu", (32, 64))
    monkeypatch.setitem(roofline.BANDWIDTH_BYTES, "cpu", 2**20)
    monkeypatch.setattr(roofline, "SECONDS_PER_SHAPE", 0.003)
    result = run_bench(dataclasses.replace(TINY, roofline=True, gradient_accumulation_steps=2))
    doc = make_report(Command.BENCH, result).to_json()
    _validate(doc)
    assert doc["effective_batch_tokens"] == 32
    fp32 = doc["roofline"]["dtypes"]["fp32"]
    assert doc["mfu"]["measured_peak"]["denominator_flops"] == fp32["best_flops"]
    assert doc["mfu"]["measured_peak"]["value"] == pytest.approx(
        doc["achieved_flops"] / fp32["best_flops"]
    )
    assert {p["batch_multiple"] for p in fp32["model_shapes"]} == {1, 2, 4}
    json.dumps(doc, allow_nan=False)


def test_interrupt_keeps_what_was_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    from mfu_advisor.bench import training

    calls = {"n": 0}
    real_step = training.Training.step

    def step_then_interrupt(self: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 6:  # 1 warm-up + 4 measured steps, then Ctrl-C
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(training.Training, "step", step_then_interrupt)
    options = dataclasses.replace(TINY, budget_s=60.0, min_steps=1000, roofline=True)
    result = run_bench(options)
    assert result.stopped_by == "interrupted"
    assert result.step_time_ms.steps == 4  # type: ignore[union-attr]
    assert result.tokens_per_s is not None
    assert result.roofline.reason == "skipped: the run was interrupted"  # type: ignore[union-attr]
    _validate(make_report(Command.BENCH, result).to_json())


def test_ctrl_c_through_the_cli_prints_the_result_and_exits_130(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mfu_advisor.bench import training

    calls = {"n": 0}
    real_step = training.Training.step

    def step_then_interrupt(self: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(training.Training, "step", step_then_interrupt)
    argv = [*TINY.to_argv(), "--budget=60", "--json"]
    outcome = CliRunner().invoke(bench, argv)
    assert outcome.exit_code == 130
    doc = json.loads(outcome.stdout)
    assert doc["stopped_by"] == "interrupted" and doc["step_time_ms"]["steps"] == 2


def test_interrupt_during_warmup_reports_no_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    from mfu_advisor.bench import training

    def interrupt(self: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(training.Training, "step", interrupt)
    result = run_bench(TINY)
    doc = make_report(Command.BENCH, result).to_json()
    _validate(doc)
    assert doc["step_time_ms"] is None and doc["tokens_per_s"] is None
    assert doc["unavailable"]["tokens_per_s"] == "no step was measured"
    assert doc["mfu"]["a100_reference"]["reason"] == "achieved FLOP/s could not be computed"


def test_data_file_trains_char_level_on_its_own_vocabulary(tmp_path: Path) -> None:
    text = tmp_path / "poem.txt"
    text.write_text("to be or not to be, that is the question\n" * 20)
    result = run_bench(dataclasses.replace(TINY, vocab_size=None, data=str(text)))
    assert result.config["vocab_size"] == len(set(text.read_text()))
    assert result.data == str(text)


def test_too_short_data_file_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "short.txt"
    text.write_text("abc")
    with pytest.raises(UserError, match="3 characters, but block_size 8 needs at least 10"):
        run_bench(dataclasses.replace(TINY, vocab_size=None, data=str(text)))


def test_cli_refuses_a_head_count_that_does_not_divide_the_width() -> None:
    outcome = CliRunner().invoke(bench, ["--preset", "cpu-small", "--n_embd=130", "--device=cpu"])
    assert outcome.exit_code == 2
    assert "n_embd 130 is not divisible by n_head 4" in outcome.output


@pytest.mark.slow
def test_module_entry_point_prints_exactly_one_json_document() -> None:
    argv = [sys.executable, "-m", "mfu_advisor.bench", *TINY.to_argv(), "--budget=0.2", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # one document, nothing else on stdout
    _validate(doc)
    assert doc["command"] == "bench" and doc["config"]["n_embd"] == 16
    assert "bench: warm-up: 1 steps" in done.stderr


@pytest.mark.slow
def test_module_entry_point_without_cuda_exits_2_with_one_line() -> None:
    argv = [sys.executable, "-m", "mfu_advisor.bench", "--device", "cuda", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120)
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("Error: CUDA requested but")
    assert len(done.stderr.strip().splitlines()) == 1
