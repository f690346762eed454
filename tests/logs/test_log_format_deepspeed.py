"""DeepSpeed engine lines: the step time is train_batch_size over the samples/s the timer prints,
and without the batch size it is said to be unknown, not guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfu_advisor.logs.pipeline import analyze_inputs

CONFIG = (
    "[2023-04-24 13:26:47,806] [INFO] [config.py:957:print]   train_batch_size ............. 32\n"
    "[2023-04-24 13:26:47,806] [INFO] [config.py:957:print]   train_micro_batch_size_per_gpu  4\n"
)


def timer_lines(current: float, stamped: bool = True) -> str:
    out = []
    for step in range(10, 110, 10):
        # 12.5 s between timer lines, 10 steps apart: 1250 ms per step of wall clock.
        seconds = 23 + step * 1.25
        stamp = f"[2023-11-07 01:{int(seconds // 60):02d}:{seconds % 60:06.3f}] [INFO] ".replace(
            ".", ","
        )
        prefix = stamp if stamped else ""
        out.append(
            f"{prefix}[logging.py:96:log_dist] [Rank 0] step={step}, "
            "skipped=0, lr=[4.99e-05], mom=[(0.9, 0.95)]\n"
            f"{prefix}[timer.py:260:stop] epoch=0/micro_step={4 * step}/"
            f"global_step={step}, RunningAvgSamplesPerSec=25.02, CurrSamplesPerSec={current}, "
            "MemAllocated=4.32GB, MaxMemAllocated=38.49GB\n"
        )
    return "".join(out)


def test_step_time_is_the_batch_over_the_current_rate(tmp_path: Path) -> None:
    path = tmp_path / "ds.log"
    path.write_text(CONFIG + timer_lines(25.6))
    result = analyze_inputs([str(path)])
    assert result.format == "deepspeed"
    assert result.steps == 10
    assert result.steady_step_time_ms == pytest.approx(32 / 25.6 * 1000)
    assert result.config["train_batch_size"] == 32


def test_without_the_batch_size_the_logger_stamps_time_the_steps(tmp_path: Path) -> None:
    path = tmp_path / "ds.log"
    path.write_text(timer_lines(25.6))
    result = analyze_inputs([str(path)])
    assert result.format == "deepspeed"
    assert result.steady_step_time_ms == pytest.approx(1250.0)
    assert "time stamps" in result.step_time_source


def test_without_the_batch_size_or_stamps_the_step_time_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "ds.log"
    path.write_text(timer_lines(25.6, stamped=False))
    result = analyze_inputs([str(path)])
    assert result.format == "deepspeed"
    assert not isinstance(result.steady_step_time_ms, float)
