"""A bench result renders in the terminal from the JSON alone; the README's meter example runs."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import torch

from mfu_advisor.bench.model import Gpt
from mfu_advisor.mfu import GptShape
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Command, Report
from mfu_advisor.units import flops, percent, rate

ROOT = Path(__file__).resolve().parents[2]
#: A real cpu-small run on the 2-vCPU Zen 3 development machine (shared, so noisy).
RECORDED = json.loads((Path(__file__).parent / "data" / "cpu_small_zen3_2vcpu.json").read_text())


def _text(payload: dict[str, Any], width: int = 100) -> str:
    return render(Report(Command.BENCH, payload), OutputFormat.TEXT, width=width, color=False)


def test_recorded_result_matches_the_schema() -> None:
    schema = json.loads((ROOT / "docs" / "schemas" / "bench.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(RECORDED)


def test_headline_shows_throughput_and_the_three_labelled_mfus() -> None:
    text = _text(RECORDED)
    assert rate(RECORDED["tokens_per_s"]) in text
    assert flops(RECORDED["achieved_flops"]) in text
    for key, label in (
        ("device_peak", "MFU vs device peak"),
        ("measured_peak", "MFU vs measured matmul peak"),
        ("a100_reference", "MFU vs A100 reference (nanoGPT)"),
    ):
        shown = percent(RECORDED["mfu"][key]["value"])
        assert re.search(rf"{re.escape(label)}\s+{re.escape(shown)}", text), key
    assert f"{RECORDED['step_time_ms']['median']:.1f} ms" in text
    assert "warm-up (excluded)           3 steps" in text


def test_missing_denominator_shows_its_reason() -> None:
    payload = copy.deepcopy(RECORDED)
    payload["mfu"]["device_peak"] = {
        "value": None,
        "denominator_flops": None,
        "source": None,
        "reason": "emulated: this CPU has no native bf16",
    }
    assert "unknown: emulated: this CPU has no native bf16" in " ".join(_text(payload).split())


def test_run_interrupted_before_any_step_renders_without_figures() -> None:
    payload = copy.deepcopy(RECORDED)
    payload.update(
        step_time_ms=None, tokens_per_s=None, achieved_flops=None, stopped_by="interrupted"
    )
    text = " ".join(_text(payload).split())
    assert "stopped because interrupted (Ctrl-C)" in text
    assert "throughput —" in text and "tokens/s —" in text


def test_readme_meter_example_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Measure MFU in your own loop", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert code is not None
    torch.manual_seed(0)
    model = Gpt(GptShape(n_layer=4, n_head=4, n_embd=128, block_size=64, vocab_size=65))
    x = torch.randint(0, 65, (2, 64))
    printed: list[str] = []
    namespace: dict[str, Any] = {
        "model": model,
        "x": x,
        "y": x,
        "optimizer": torch.optim.AdamW(model.parameters()),
        "print": lambda *args: printed.append(" ".join(str(a) for a in args)),
    }
    exec(code.group(1).replace("range(200)", "range(4)"), namespace)  # a few steps suffice
    assert printed and "tokens/s" in printed[0]
    assert namespace["meter"].summary().steps == 3  # one warm-up step left out


def _lines(payload: dict[str, Any], width: int) -> list[str]:
    return _text(payload, width).splitlines()


def test_every_line_fits_a_60_and_a_120_column_terminal() -> None:
    payload = copy.deepcopy(RECORDED)
    payload["notes"] = [*payload["notes"], "x" * 300]  # an unbreakable word folds, too
    payload["paired"] = _paired()
    for width in (60, 120):
        lines = _lines(payload, width)
        assert max(len(line) for line in lines) <= width, width
        text = " ".join(" ".join(lines).split())
        assert f"{RECORDED['tokens_per_s']:,.0f} tokens/s" in text


def test_a_partial_result_shows_a_dash_and_the_reason_instead_of_failing() -> None:
    partial: dict[str, Any] = {
        "preset": "cpu-small",
        "config": {"n_layer": 4},
        "tokens_per_s": None,
        "achieved_flops": None,
        "mfu": {"a100_reference": {"value": None, "reason": "no step was measured"}},
        "unavailable": {"tokens_per_s": "no step was measured"},
    }
    text = " ".join(" ".join(_lines(partial, 100)).split())
    assert "tokens/s — (no step was measured)" in text
    assert "unknown: not in this result" in text  # device_peak and measured_peak are absent
    assert "unknown: no step was measured" in text


def test_an_mfu_above_100_percent_is_never_shown_without_the_explanation() -> None:
    payload = copy.deepcopy(RECORDED)
    payload["mfu"]["device_peak"] = {
        "value": 1.12, "denominator_flops": 60e9, "source": "estimate; estimated", "reason": None,
    }  # fmt: skip
    payload["notes"] = []
    text = " ".join(" ".join(_lines(payload, 100)).split())
    assert f"{percent(1.12)} (!)" in text
    assert "above 100%, which no run can reach" in text
    assert "MFU against the measured peak is the trustworthy one" in text


def test_the_device_peak_note_is_shown_once_under_the_table() -> None:
    payload = copy.deepcopy(RECORDED)
    note = "the datasheet-style estimate of this device's peak is below what was measured here"
    payload["mfu"]["device_peak"]["note"] = note
    payload["notes"] = [note]
    text = " ".join(" ".join(_lines(payload, 100)).split())
    assert text.lower().count(note) == 1


def test_an_interleaved_variant_shows_its_speedup_with_the_noise() -> None:
    payload = copy.deepcopy(RECORDED)
    payload["paired"] = _paired()
    text = " ".join(" ".join(_lines(payload, 100)).split())
    assert "Variant (batch_size 12 -> 48), measured interleaved with the run: 1.15x" in text
    assert "±4% over 8 pairs of blocks; 11,800 vs 13,828 tokens/s" in text


def _paired() -> dict[str, Any]:
    return {
        "changes": {"batch_size": 48},
        "tokens_per_s": 11800.0,
        "speedup": 1.15,
        "noise": 0.04,
        "pairs": 8,
        "compile_s": None,
        "unavailable": {"compile_s": "the variant does not compile"},
    }


def test_the_gpu_under_load_is_shown_with_its_clock_power_and_reasons() -> None:
    payload = copy.deepcopy(RECORDED)
    payload["gpu_under_load"] = {
        "samples": 312,
        "interval_ms": 100.0,
        "sm_clock_mhz": 1095.0,
        "memory_clock_mhz": 1593.0,
        "power_draw_w": 398.0,
        "power_limit_w": 400.0,
        "temperature_c": 66.0,
        "utilization_gpu_percent": 100.0,
        "clock_event_reason_shares": {"gpu_idle": 0.02, "sw_power_cap": 0.81},
    }
    text = _text(payload)
    assert "GPU while the steps ran" in text
    assert "1095 MHz" in text and "398 W / 400 W" in text and "66 °C" in text
    assert "sw_power_cap 81%" in text and "gpu_idle" not in text
    assert "GPU while the steps ran" not in _text(RECORDED)  # a CPU run was not sampled
