"""The analyzer's chart series: spikes and evaluation steps survive a long log, in bounded size."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mfu_advisor.logs.chunk import Chunk
from mfu_advisor.logs.collect import SERIES_BUCKETS, StepCollector
from mfu_advisor.logs.formats.nanogpt_parser import NanoGptParser
from mfu_advisor.logs.pipeline import analyze_inputs

EVAL_EVERY = 2050  # 49 evaluations in 100,000 iterations
STALLS = (7_777, 31_415, 77_001)
FAST = 55_555


def long_log(steps: int = 100_000) -> str:
    """A nanoGPT train.py log: evaluations every EVAL_EVERY steps, three stalls, one fast step."""
    rng = random.Random(3)
    lines = []
    for i in range(steps):
        time_ms = 65.0 + rng.random()
        if i % EVAL_EVERY == 0:
            lines.append(f"step {i}: train loss 2.0000, val loss 2.1000\n")
            time_ms += 900.0  # nanoGPT times the evaluation inside this iteration
        if i in STALLS:
            time_ms += 2000.0
        if i == FAST:
            time_ms = 1.0
        lines.append(f"iter {i}: loss {3 - i / 1e5:.4f}, time {time_ms:.2f}ms, mfu 0.02%\n")
    return "".join(lines)


@pytest.fixture(scope="module")
def long_series(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, float | None]]:
    path = Path(tmp_path_factory.mktemp("series")) / "long.log"
    path.write_text(long_log())
    analysis = analyze_inputs([str(path)])
    assert analysis.steps == 100_000 and analysis.evals.count == 49
    assert analysis.series_every > 1
    return [
        {"step": p.step, "step_time_ms": p.step_time_ms, "loss": p.loss} for p in analysis.series
    ]


def test_every_evaluation_spike_of_a_100000_step_log_stays_in_the_series(
    long_series: list[dict[str, float | None]],
) -> None:
    steps = {p["step"] for p in long_series}
    evals = set(range(0, 100_000, EVAL_EVERY))
    assert len(evals) == 49 and evals <= steps


def test_isolated_stalls_and_a_fast_step_stay_in_the_series(
    long_series: list[dict[str, float | None]],
) -> None:
    by_step = {p["step"]: p for p in long_series}
    for stall in STALLS:
        assert by_step[stall]["step_time_ms"] == pytest.approx(2065.0, abs=1.0)
    assert by_step[FAST]["step_time_ms"] == 1.0


def test_the_series_is_bounded_ordered_and_fully_parsed(
    long_series: list[dict[str, float | None]],
) -> None:
    assert len(long_series) <= 3 * SERIES_BUCKETS + 3 <= 2000  # the schema's maxItems
    steps = [p["step"] for p in long_series]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == 99_999
    # Rows picked by step time were parsed in full by the bulk reader: they carry their loss.
    assert all(p["loss"] is not None for p in long_series)


def test_bulk_and_line_by_line_readers_keep_the_same_series() -> None:
    text = long_log(6000).encode()

    def series(bulk: bool) -> list[tuple[float, float]]:
        sink = StepCollector()
        sink.begin_file("x")
        parser = NanoGptParser(sink)
        if bulk:
            parser.feed(Chunk(text, 1))
        else:
            for number, line in enumerate(text.splitlines(keepends=True), start=1):
                parser.feed(Chunk(line, number))
        rows = sink.series_columns()
        return sorted(zip(rows["step"].tolist(), rows["step_time_ms"].tolist(), strict=True))

    assert series(True) == series(False)


def test_a_log_without_step_times_keeps_an_evenly_spaced_loss_curve() -> None:
    sink = StepCollector()
    sink.begin_file("hf.log")
    for i in range(10_000):
        sink.add_step(i + 1, loss=3.0 - i / 1e4)
    sink.end_chunk()
    steps = sink.series_columns()["g"].tolist()
    width = sink.series.width
    assert steps == [*range(0, 10_000, width), 9_999]
