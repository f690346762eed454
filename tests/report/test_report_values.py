"""Tolerant reading of payloads; numbers are written by mfu_advisor.units (tests/test_units.py)."""

from __future__ import annotations

from mfu_advisor.report.values import (
    Missing,
    flops,
    lookup,
    milliseconds,
    number,
    percent,
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


def test_a_missing_value_passes_through_every_formatter() -> None:
    for format_cell in (flops, percent, milliseconds, speedup):
        assert format_cell(Missing("x")) == Missing("x")
    assert isinstance(speedup(0.0), Missing)  # not a speed ratio


def test_missing_prints_as_a_dash_with_its_reason() -> None:
    assert str(Missing("NVML: driver not loaded")) == "— (NVML: driver not loaded)"
    assert str(Missing()) == "—"
