"""An analyzed log in the terminal, rendered from the JSON payload only."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "logs"))
from log_helpers import analyze_log, as_json

from mfu_advisor.report.content.analysis import explain_mfu
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Command, Report
from mfu_advisor.units import flops, percent


def raw_text_of(payload: dict, width: int = 100) -> str:
    return render(Report(Command.ANALYZE, payload), OutputFormat.TEXT, width=width, color=False)


def text_of(payload: dict, width: int = 100) -> str:
    return " ".join(raw_text_of(payload, width).split())


@pytest.fixture(scope="module")
def full_payloads() -> list[dict]:
    return [
        as_json(analyze_log("nanogpt_cpu_300.log", peak_tflops=1.0)),
        as_json(analyze_log("llmc_1.log")),
    ]


#: Objects whose fields the analysis section reads one by one.
READ_OBJECTS = (
    "warmup",
    "peak",
    "mfu",
    "mfu_vs_reference",
    "mfu_from_reported",
    "evals",
    "jitter",
    "loss",
    "reference_detail",
)


def _partials(payload: dict) -> list[dict]:
    """The payload with each field removed, and each field of an object read removed or null."""
    out = []
    for key, value in payload.items():
        partial = copy.deepcopy(payload)
        del partial[key]
        out.append(partial)
        if key in READ_OBJECTS and isinstance(value, dict):
            for sub in value:
                for replacement in ("remove", None):
                    partial = copy.deepcopy(payload)
                    if replacement == "remove":
                        del partial[key][sub]
                    else:
                        partial[key][sub] = None
                    out.append(partial)
    return out


@pytest.mark.parametrize("width", [60, 120])
def test_partial_payloads_never_print_none_or_empty_parentheses(
    full_payloads: list[dict], width: int
) -> None:
    for payload in full_payloads:
        for partial in _partials(payload):
            shown = raw_text_of(partial, width)
            assert "None" not in shown and "()" not in shown, shown
            assert max(len(line) for line in shown.splitlines()) <= width


def test_a_figure_without_its_source_prints_without_parentheses() -> None:
    payload = as_json(analyze_log("nanogpt_cpu_300.log", peak_tflops=1.0))
    del payload["flops_per_token_source"]
    del payload["mfu"]["source"]
    text = text_of(payload)
    assert "FLOPs per token 5.19 MFLOP achieved" in text
    mfu = percent(payload["mfu"]["value"])
    assert f"your hardware {flops(1e12)} {mfu} the log's MFU, rescaled" in text


def test_missing_peak_and_mfu_are_dashes_with_their_reasons() -> None:
    payload = as_json(analyze_log("nanogpt_cpu_300.log", peak_tflops=1.0))
    payload["mfu"] = {"value": None, "reason": "no hardware peak: give --hardware"}
    payload["peak"] = {"flops": None}
    payload["loss"] = {"first": None, "last": 2.1, "unavailable": {"first": "no loss printed"}}
    text = text_of(payload, 120)
    assert "MFU vs your hardware — (no hardware peak: give --hardware)" in text
    assert "loss — (no loss printed)" in text
    assert "give --hardware or --peak-tflops" in text  # the explanation says what is missing


def test_the_summary_wraps_within_narrow_and_wide_terminals() -> None:
    payload = as_json(analyze_log("nanogpt_cpu_300.log", peak_tflops=1.0))
    for width in (60, 120):
        lines = raw_text_of(payload, width).splitlines()
        assert max(len(line) for line in lines) <= width
    assert "nanoGPT's 0.02% means 62.4 GFLOP/s" in text_of(payload, 60)


def test_summary_shows_the_figures_and_what_the_log_mfu_meant() -> None:
    payload = as_json(analyze_log("nanogpt_cpu_300.log", peak_tflops=1.0))
    text = text_of(payload)
    assert "format nanoGPT train.py (confidence 100%)" in text
    assert "66.4 ms" in text and "warm-up steps excluded 3 (first step" in text
    assert "tokens per step 768" in text and "tokens/s 11,571 tokens/s" in text
    assert "60.1 GFLOP/s per device" in text
    assert "0.02% relative to A100 bf16 312 TFLOP/s" in text
    assert "nanoGPT's 0.02% means 62.4 GFLOP/s against an A100's 312 TFLOP/s" in text
    assert "7.3% of wall time (2 evaluations)" in text


def test_missing_figures_are_dashes_with_reasons() -> None:
    text = text_of(as_json(analyze_log("nanogpt_1.log")))
    assert "FLOPs per token — (the model size is missing" in text
    assert "Missing hardware peak: give --hardware" in text


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
