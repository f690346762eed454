"""Reading printed numbers."""

from __future__ import annotations

import math

import pytest

from mfu_advisor.logs.numbers import (
    parse_duration_s,
    parse_int,
    parse_number,
    parse_value,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5,856", 5856.0),
        ("'2219'", 2219.0),
        ("-100.00%", -100.0),
        ("1.2e+03", 1200.0),
        ("x", None),
        ("", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def test_nan_loss_is_kept_as_nan() -> None:
    value = parse_number("nan")
    assert value is not None and math.isnan(value)


def test_durations() -> None:
    assert parse_duration_s("0:36:58.55") == pytest.approx(2218.55)
    assert parse_duration_s("1 day, 2:00:00") == 26 * 3600
    assert parse_duration_s("12.5") == 12.5


def test_ints() -> None:
    assert parse_int("21,479") == 21479 and parse_int("1.5") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("True", True),
        ("'shakespeare'", "shakespeare"),
        ("5 * 8", 40),
        ("1e-3", 1e-3),
        ("12", 12),
        ("cuda:0", "cuda:0"),
    ],
)
def test_config_values(text: str, value: object) -> None:
    assert parse_value(text) == value
