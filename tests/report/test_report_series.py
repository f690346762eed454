"""Per-step series: both JSON shapes, and downsampling that keeps spikes."""

from __future__ import annotations

from mfu_advisor.logs.downsample import minmax_indices
from mfu_advisor.report.series import MAX_POINTS, columns, downsample_series, series_length


def test_rows_and_columns_shapes_give_the_same_columns() -> None:
    rows = [{"step": 0, "loss": 4.0}, {"step": 1, "loss": None}, {"step": 2, "loss": 3.5}]
    cols = {"step": [0, 1, 2], "loss": [4.0, None, 3.5]}
    assert columns(rows) == columns(cols) == {"step": [0.0, 1.0, 2.0], "loss": [4.0, None, 3.5]}
    assert series_length(rows) == series_length(cols) == 3


def test_a_series_without_steps_is_numbered_by_position() -> None:
    assert columns([{"loss": 1.0}, {"loss": 2.0}])["step"] == [0.0, 1.0]


def test_text_and_booleans_in_a_series_are_treated_as_missing() -> None:
    assert columns([{"step": 0, "loss": "nan?"}, {"step": 1, "loss": True}])["loss"] == [None, None]


def test_downsampling_keeps_a_single_stall_in_100000_steps() -> None:
    values: list[float | None] = [65.0 + (i % 7) * 0.1 for i in range(100_000)]
    values[73_421] = 4_000.0  # one stalled step
    values[12_345] = 1.0  # one impossibly fast step
    keep = minmax_indices(values, MAX_POINTS)
    assert len(keep) <= MAX_POINTS
    assert 73_421 in keep and 12_345 in keep
    assert keep[0] == 0 and keep[-1] == 99_999


def test_downsampling_a_row_series_keeps_its_shape_and_each_columns_spikes() -> None:
    rows = [{"step": i, "step_time_ms": 65.0, "loss": 3.0} for i in range(50_000)]
    rows[100]["step_time_ms"] = 900.0
    rows[40_000]["loss"] = 9.0
    small = downsample_series(rows)
    assert isinstance(small, list) and series_length(small) <= MAX_POINTS + 2
    kept_steps = {r["step"] for r in small}
    assert {100, 40_000} <= kept_steps


def test_downsampling_a_column_series_keeps_columns_aligned() -> None:
    cols = {"step": list(range(10_000)), "step_time_ms": [float(i % 50) for i in range(10_000)]}
    small = downsample_series(cols)
    assert len(small["step"]) == len(small["step_time_ms"]) <= MAX_POINTS + 2
    assert all(
        t == float(s % 50) for s, t in zip(small["step"], small["step_time_ms"], strict=True)
    )


def test_a_short_series_is_returned_unchanged() -> None:
    rows = [{"step": 1}]
    assert downsample_series(rows) is rows
