"""The analyze section of the terminal report, rendered from the JSON payload only."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "logs"))
from log_helpers import analyze_log, as_json

from mfu_advisor.report.terminal.analysis import explain_mfu, pct, render


def text_of(payload: dict) -> str:
    buffer = io.StringIO()
    render(payload, Console(file=buffer, width=100, no_color=True, force_terminal=False))
    return " ".join(buffer.getvalue().split())


def test_summary_shows_the_figures_and_what_the_log_mfu_meant() -> None:
    payload = as_json(analyze_log("nanogpt_cpu_300.log", peak_tflops=1.0))
    text = text_of(payload)
    assert "nanoGPT train.py log (format confidence 100%)" in text
    assert "66.4 ms" in text and "3 warm-up steps excluded" in text
    assert "11,571 tokens/s (768 tokens per step)" in text
    assert "60.1 GFLOP/s per device" in text
    assert "0.020% relative to A100 bf16 312 TFLOP/s" in text
    assert "nanoGPT's 0.020% means 62.4 GFLOP/s against an A100's 312 TFLOP/s" in text
    assert "7.25% of wall time (2 evaluations)" in text


def test_missing_figures_are_dashes_with_reasons() -> None:
    text = text_of(as_json(analyze_log("nanogpt_1.log")))
    assert "FLOPs per token — (the model size is missing" in text
    assert "missing: hardware peak" in text


def test_unknown_gpu_explanation_for_llmc() -> None:
    payload = as_json(analyze_log("llmc_1.log"))
    assert "llm.c does not know 'NVIDIA A800 80GB PCIe'" in explain_mfu(payload)


def test_payload_text_is_never_read_as_markup() -> None:
    payload = as_json(analyze_log("nanogpt_1.log"))
    payload["format_title"] = "[bold red]evil[/]"
    payload["notes"] = ["[link=http://x]click[/link]"]
    text = text_of(payload)
    assert "[bold red]evil[/]" in text and "[link=http://x]click[/link]" in text


def test_an_empty_payload_renders() -> None:
    assert "log" in text_of({})


@pytest.mark.parametrize(
    ("fraction", "shown"), [(0.166, "16.6%"), (0.031, "3.10%"), (0.000193, "0.019%"), (0.0, "0%")]
)
def test_percentages_keep_two_significant_digits(fraction: float, shown: str) -> None:
    assert pct(fraction) == shown
