"""LitGPT logs, the older lit-gpt line and the current one."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.logs.collect import FLAG_OPTIMIZER_STEP


def test_litgpt_stuck_loss_excerpt() -> None:
    # SOURCES: 22 lines (iters 173-194), optimizer-step lines ~216.5 ms, others ~199.5 ms,
    # median over all 207.86 ms; loss stuck at 10.8259.
    result = analyze_log("litgpt_3.log")
    assert result.format == "litgpt" and result.steps == 22
    assert result.steady_step_time_ms == pytest.approx(207.855)
    assert result.loss.trend == "constant" and result.loss.first == 10.8259
    assert result.first_step == 173 and result.last_step == 194


def test_litgpt_current_format_measured_tflops_and_val_time() -> None:
    result = analyze_log("litgpt_current.log", peak_tflops=312)
    assert result.steps == 16 and result.warmup_steps == 1
    assert result.steady_step_time_ms == pytest.approx(310.12)
    assert result.achieved_flops == pytest.approx(54.07e12 / 0.31012)
    assert result.mfu.value == pytest.approx(54.07 / 0.31012 / 312)
    assert result.evals.count == 1 and result.evals.points[0].time_ms == pytest.approx(5123.44)
    assert 0.25 < result.eval_time_fraction < 0.35


def test_litgpt_marks_optimizer_step_lines() -> None:
    from mfu_advisor.logs.chunk import Chunk
    from mfu_advisor.logs.collect import StepCollector
    from mfu_advisor.logs.formats.litgpt import LitgptParser

    sink = StepCollector()
    sink.begin_file("x")
    LitgptParser(sink).feed(
        Chunk(
            b"iter 1 step 1: loss 2.0, iter time: 5.00ms (optimizer.step)\n"
            b"iter 2 step 1: loss 2.0, iter time: 4.00ms\n",
            1,
        )
    )
    flags = sink.sample.columns()["flags"].tolist()
    assert flags == [FLAG_OPTIMIZER_STEP, 0]
