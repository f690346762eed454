"""The collector: restarts and run segments, bounded sampling, rows kept in detail."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mfu_advisor.logs import collect
from mfu_advisor.logs.collect import FLAG_RUN_START, StepCollector


def fill(
    sink: StepCollector,
    steps: list[float],
    *,
    start_line: int = 1,
    flags: dict[int, int] | None = None,
) -> None:
    for i, step in enumerate(steps):
        sink.add_step(
            start_line + i, step=step, step_time_ms=10.0 + i, flags=(flags or {}).get(i, 0)
        )
    sink.end_chunk()


def new_sink() -> StepCollector:
    sink = StepCollector()
    sink.begin_file("a.log")
    return sink


def test_steps_going_back_open_a_new_segment_even_across_chunks() -> None:
    sink = new_sink()
    fill(sink, [0, 1, 2, 3])
    fill(sink, [4, 5, 2, 3], start_line=5)
    fill(sink, [0, 1], start_line=9)
    assert sink.segment_count == 3 and sink.count == 10
    assert [(s.first_step, s.last_step, s.rows, s.first_line) for s in sink.segments] == [
        (0, 5, 6, 1),
        (2, 3, 2, 7),
        (0, 1, 2, 9),
    ]
    head = sink.head.columns()
    assert head["pos"].tolist() == [0, 1, 2, 3, 4, 5, 0, 1, 0, 1]


def test_rows_without_a_step_number_do_not_break_restart_detection() -> None:
    sink = new_sink()
    fill(sink, [10, math.nan, 11, math.nan, 3])
    assert sink.segment_count == 2 and sink.segments[1].first_step == 3


def test_a_run_header_starts_a_new_run_segment() -> None:
    sink = new_sink()
    fill(sink, [0, 1])
    sink.mark_run_start()
    fill(sink, [5, 6], start_line=10)
    assert sink.segment_count == 2 and sink.segments[1].new_run
    assert sink.sample.columns()["flags"][2] & FLAG_RUN_START


def test_sample_stays_bounded_and_evenly_spaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect, "SAMPLE_CAP", 8)
    sink = new_sink()
    for chunk in range(10):
        fill(sink, [chunk * 10 + i for i in range(10)], start_line=chunk * 10 + 1)
    g = sink.sample.columns()["g"]
    assert sink.sample.size <= 8 and sink.stride == 16
    assert np.all(g % 16 == 0) and g.tolist() == list(range(0, 100, 16))
    assert sink.head.size == collect.HEAD_ROWS  # the first rows of the run, exactly
    assert sink.count == 100 and sink.last_loss != sink.last_loss  # no loss given: NaN


def test_detail_rows_cover_sample_head_and_chunk_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect, "HEAD_ROWS", 2)
    sink = new_sink()
    sink.stride = 4
    sink.count = 10
    sink.segment_count = 1
    sink._seg_pos = 10
    sink._last_step = 9
    sink.series.width = 64  # one series bucket for all ten rows
    steps = np.array([10, 11, 12, 13, 14, 15, 0, 1, 2, 3], dtype=float)
    mask = sink.detail_rows(steps, np.full(10, np.nan))
    # g = 10..19: multiples of 4 are 12 and 16; the restart at index 6 opens a segment whose
    # first two rows are head rows; the first and last rows are always kept.
    assert np.flatnonzero(mask).tolist() == [0, 2, 6, 7, 9]
    # With step times, the bucket's fastest and slowest rows are kept in detail too.
    times = np.array([65, 66, 65, 64, 65, 900, 65, 66, 50, 65], dtype=float)
    assert np.flatnonzero(sink.detail_rows(steps, times)).tolist() == [0, 2, 5, 6, 7, 8, 9]


def test_deltas_tally_the_logging_interval() -> None:
    sink = new_sink()
    fill(sink, [0, 10, 20, 30, 40, 0, 10])
    assert sink.deltas == {10: 5}
