"""Cumulative clocks and running means give per-step times by differences, log-interval aware; a
"step time" that grows with the step number is refused, never reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfu_advisor.logs.counters import CumulativeClock, RunningAverage, field_kind
from mfu_advisor.logs.pipeline import analyze_inputs


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("train_time", "cumulative"),
        ("elapsed", "cumulative"),
        ("total time", "cumulative"),
        ("step_avg", "average"),
        ("time", "step"),
        ("dt", "step"),
        ("step_time", "step"),
    ],
)
def test_field_kind_by_name(name: str, kind: str) -> None:
    assert field_kind(name) == kind


def test_cumulative_clock_gives_the_mean_over_the_log_interval() -> None:
    clock = CumulativeClock()
    assert clock.step_time_ms(10, 1000.0) is None
    assert clock.step_time_ms(20, 2000.0) == 100.0  # 10 steps between the lines
    assert clock.step_time_ms(30, 3500.0) == 150.0
    assert clock.step_time_ms(5, 100.0) is None  # a new run: counting starts again
    assert clock.step_time_ms(6, 190.0) == pytest.approx(90.0)


def test_running_average_is_undone() -> None:
    average = RunningAverage()
    assert average.step_time_ms(100, 100.0) is None
    # 200 steps at a mean of 110 ms: the last 100 took 12,000 ms.
    assert average.step_time_ms(200, 110.0) == pytest.approx(120.0)


def write(tmp_path: Path, lines: list[str]) -> str:
    path = tmp_path / "x.log"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_generic_cumulative_elapsed_is_differenced(tmp_path: Path) -> None:
    lines = [f"step {i} loss 3.1 elapsed {i * 0.25 + 3:.2f}s" for i in range(10, 300, 10)]
    result = analyze_inputs([write(tmp_path, lines)])
    assert result.format == "generic"
    assert result.steady_step_time_ms == pytest.approx(250.0)
    assert "cumulative clock 'elapsed'" in result.step_time_source


def test_generic_running_mean_is_differenced(tmp_path: Path) -> None:
    # 50 ms per step for 100 steps, then 70 ms: the running mean creeps, the step time jumps.
    lines = []
    clock = 0.0
    for step in range(1, 201):
        clock += 50.0 if step <= 100 else 70.0
        lines.append(f"iter {step} | loss 2.0 | step_avg: {clock / step:.4f}ms")
    result = analyze_inputs([write(tmp_path, lines)])
    assert result.steady_step_time_ms == pytest.approx(60.0, abs=10.1)
    assert "running mean 'step_avg'" in result.step_time_source


def test_a_step_time_growing_with_the_step_number_is_refused(tmp_path: Path) -> None:
    lines = [f"step {i} loss 3.2 time {0.4 * i + 0.1:.1f}s" for i in range(1, 41)]
    result = analyze_inputs([write(tmp_path, lines)])
    assert result.steady_step_time_ms.reason.startswith("the step lines' times grow")  # type: ignore[union-attr]


def test_modded_nanogpt_train_time_is_not_a_step_time(tmp_path: Path) -> None:
    lines = [
        "step:0/1000 val_loss:10.8258 train_time:0ms step_avg:nanms",
        *(
            f"step:{s}/1000 train_time:{81000 + 97 * s}ms step_avg:{(81000 + 97 * s) / s:.2f}ms"
            for s in range(1, 60)
        ),
    ]
    result = analyze_inputs([write(tmp_path, lines)])
    assert result.format == "modded_nanogpt"
    assert result.steady_step_time_ms == pytest.approx(97.0)


def test_per_device_token_rate_is_per_device(tmp_path: Path) -> None:
    lines = [
        f"step: {i}  train loss: 2.77  tokens/gpu/sec: 14982.88  time 410 ms" for i in range(1, 20)
    ]
    result = analyze_inputs([write(tmp_path, lines)])
    assert result.tokens_per_s == pytest.approx(14982.88)
    assert result.tokens_per_s_scope == "device"
    assert result.tokens_per_s_scope_known is True


def test_a_unit_before_the_number_is_read(tmp_path: Path) -> None:
    # NeMo's progress line: "train_step_timing in s=0.53".
    lines = [
        f"Epoch 0: : {s}%| {s}/100 [00:10<01:30, reduced_train_loss=2.3, global_step={s - 1}.000, "
        f"train_step_timing in s=0.53]"
        for s in range(1, 40)
    ]
    result = analyze_inputs([write(tmp_path, lines)])
    assert result.format == "generic"
    assert result.steady_step_time_ms == pytest.approx(530.0)


def test_a_rate_of_unknown_scope_is_never_divided_among_devices(tmp_path: Path) -> None:
    lines = [f"step {i} | loss 3.2 | time 400 ms | 20,000 tok/s" for i in range(1, 30)]
    path = write(tmp_path, lines)
    several = analyze_inputs([path], overrides={"flops_per_token": 1e9}, world_size=8)
    assert "may count one device or all 8" in several.achieved_flops.reason  # type: ignore[union-attr]
    assert several.tokens_per_s_scope_known is False
    assert "does not say whether its tokens/s" in several.scope_note
    one = analyze_inputs([path], overrides={"flops_per_token": 1e9}, world_size=1)
    assert one.achieved_flops == pytest.approx(2e13)
