"""The generic reader for step lines of trainers no module knows."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.logs.formats.generic import read_step


def test_generic_custom_loop() -> None:
    result = analyze_log("generic_custom_loop.log")
    assert result.format == "generic" and result.format_confidence == 0.5
    assert result.steps == 30 and result.warmup_steps == 1
    assert result.steady_step_time_ms == pytest.approx(412.3, abs=0.5)
    assert result.tokens_per_s == pytest.approx(19_870, rel=0.01)
    assert result.log_interval_steps == 2


@pytest.mark.parametrize(
    ("line", "step", "time_ms", "rate"),
    [
        ("step 12 | loss 2.1 | time 812.5 ms | 12,345 tok/s", 12, 812.5, 12345.0),
        ("[12/500] loss=2.1 dt: 0.81s", 12, 810.0, None),
        ("global_step=7 tokens_per_sec=3.2k", 7, None, 3200.0),
        ("iter: 40, took 12ms", 40, 12.0, None),
    ],
)
def test_generic_reads_step_time_and_rate(
    line: str, step: int, time_ms: float | None, rate: float | None
) -> None:
    fields = read_step(line)
    assert fields is not None
    assert fields["step"] == step
    assert fields["step_time_ms"] == (pytest.approx(time_ms) if time_ms else None)
    assert fields["tokens_per_s"] == (pytest.approx(rate) if rate else None)


def test_generic_needs_a_time_or_a_rate() -> None:
    assert read_step("step 12: loss 2.0") is None
    assert read_step("nothing to see here") is None
