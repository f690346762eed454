"""Tolerant reading of payloads and formatting of numbers for people."""

from __future__ import annotations

from mfu_advisor.report.values import (
    Missing,
    flops,
    lookup,
    milliseconds,
    number,
    percent,
    si,
    speedup,
    text,
)


def test_a_null_field_carries_the_reason_from_its_unavailable_object() -> None:
    payload = {
        "gpu": {"sm_clock_mhz": None, "unavailable": {"sm_clock_mhz": "NVML: not supported"}}
    }
    assert lookup(payload, "gpu.sm_clock_mhz") == Missing("NVML: not supported")


def test_a_mapping_entry_reason_is_found_under_its_dotted_key() -> None:
    payload = {
        "cpu": {"peak_flops": {"bf16": None}, "unavailable": {"peak_flops.bf16": "emulated"}}
    }
    assert lookup(payload, "cpu.peak_flops.bf16") == Missing("emulated")


def test_an_mfu_figure_without_value_gives_its_own_reason() -> None:
    payload = {"mfu": {"device_peak": {"value": None, "reason": "no peak known for this GPU"}}}
    assert lookup(payload, "mfu.device_peak.value") == Missing("no peak known for this GPU")


def test_an_absent_key_and_a_wrong_type_are_missing_not_errors() -> None:
    assert lookup({}, "a.b.c") == Missing("not in this result")
    assert isinstance(lookup({"a": 3}, "a.b"), Missing)
    assert isinstance(number({"a": "fast"}, "a"), Missing)
    assert isinstance(number({"a": True}, "a"), Missing)
    assert isinstance(lookup({"a": float("nan")}, "a"), Missing)


def test_list_positions_can_be_looked_up() -> None:
    assert lookup({"steps": [3, 4]}, "steps.1") == 4
    assert isinstance(lookup({"steps": [3]}, "steps.5"), Missing)


def test_text_shows_booleans_and_lists_in_words() -> None:
    assert text({"a": True}, "a") == "yes"
    assert text({"a": ["fma", "avx2"]}, "a") == "fma, avx2"


def test_flops_use_three_significant_digits_and_si_prefixes() -> None:
    assert flops(60.89e9) == "60.9 GFLOP/s"
    assert flops(312e12) == "312 TFLOP/s"
    assert flops(139.1e9) == "139 GFLOP/s"
    assert si(5_168_640.0, "FLOP") == "5.17 MFLOP"


def test_percent_keeps_nanogpts_tiny_a100_figure_readable() -> None:
    assert percent(0.4376) == "43.8%"
    assert percent(0.000195) == "0.0195%"
    assert percent(0.0) == "0%"
    assert percent(Missing("x")) == Missing("x")


def test_speedups_read_as_faster_or_slower() -> None:
    assert speedup(1.42) == "1.42x faster"
    assert speedup(0.86) == "1.16x slower"
    assert speedup(0.0625) == "16x slower"  # whole from 10x on, as the rules' titles say it
    assert speedup(0.0793) == "13x slower"
    assert speedup(12.34) == "12x faster"
    assert speedup(1.001) == "1.00x (same)"
    assert isinstance(speedup(0.0), Missing)


def test_durations() -> None:
    assert milliseconds(65.19) == "65.2 ms"
    assert milliseconds(1145.13) == "1,145 ms"


def test_missing_prints_as_a_dash_with_its_reason() -> None:
    assert str(Missing("NVML: driver not loaded")) == "— (NVML: driver not loaded)"
    assert str(Missing()) == "—"
