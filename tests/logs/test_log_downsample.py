"""Min/max buckets: the one downsampling algorithm of the analyzer's series and the charts."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mfu_advisor.logs.downsample import MinMaxBuckets, minmax_indices


def stream(values: np.ndarray, cuts: list[int], marked: np.ndarray, cap: int) -> MinMaxBuckets:
    buckets = MinMaxBuckets(cap)
    edges = [0, *sorted(c % (len(values) + 1) for c in cuts), len(values)]
    for start, end in itertools.pairwise(edges):
        if end > start:
            buckets.add(np.arange(start, end), values[start:end], marked[start:end])
    return buckets


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(0.0, 1e4, allow_nan=False), st.just(float("nan"))),
        min_size=1,
        max_size=400,
    ),
    cuts=st.lists(st.integers(0, 400), max_size=6),
    marks=st.lists(st.integers(0, 399), max_size=5),
    cap=st.integers(1, 20),
)
def test_streaming_in_chunks_keeps_what_one_pass_keeps(
    values: list[float], cuts: list[int], marks: list[int], cap: int
) -> None:
    array = np.array(values)
    marked = np.zeros(len(array), dtype=bool)
    marked[[m for m in marks if m < len(array)]] = True
    chunked = stream(array, cuts, marked, cap)
    whole = stream(array, [], marked, cap)
    assert chunked.width == whole.width
    assert chunked.kept().tolist() == whole.kept().tolist()
    assert len(chunked.kept()) <= 3 * cap + 3


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(0.0, 1e4, allow_nan=False), min_size=1, max_size=300),
    cuts=st.lists(st.integers(0, 300), max_size=5),
    cap=st.integers(1, 12),
)
def test_rows_picked_when_added_include_every_row_kept_at_the_end(
    values: list[float], cuts: list[int], cap: int
) -> None:
    # A streaming reader stores only the rows add() picks; kept() must never name another.
    array = np.array(values)
    buckets = MinMaxBuckets(cap)
    stored: set[int] = set()
    edges = [0, *sorted(c % (len(array) + 1) for c in cuts), len(array)]
    for start, end in itertools.pairwise(edges):
        if end > start:
            positions = np.arange(start, end)
            picked = buckets.add(positions, array[start:end])
            stored.update(positions[picked].tolist())
    assert set(buckets.kept().tolist()) <= stored


def test_each_bucket_keeps_its_fastest_and_slowest_step_and_its_eval_step() -> None:
    times = np.full(1000, 65.0)
    times[10], times[500], times[501] = 4000.0, 1.0, 900.0
    marked = np.zeros(1000, dtype=bool)
    marked[501] = True  # an evaluation step in the same bucket as a faster one
    buckets = MinMaxBuckets(4)
    buckets.add(np.arange(1000), times, marked)
    kept = buckets.kept().tolist()
    assert buckets.width == 256
    assert {0, 10, 500, 501, 999} <= set(kept)
    assert len(kept) <= 3 * 4 + 2


def test_rows_without_a_value_keep_one_row_per_bucket_evenly_spaced() -> None:
    buckets = MinMaxBuckets(10)
    buckets.add(np.arange(1000), np.full(1000, np.nan))
    assert buckets.kept().tolist() == [*range(0, 1000, 128), 999]


def test_minmax_indices_skips_missing_values_and_keeps_the_ends() -> None:
    values: list[float | None] = [None, *[1.0] * 5000, None]
    values[2500] = 7.0
    keep = minmax_indices(values, 100)
    assert keep[0] == 1 and keep[-1] == 5000 and 2500 in keep and len(keep) <= 100
    assert minmax_indices([None, 2.0, None], 100) == [1]
