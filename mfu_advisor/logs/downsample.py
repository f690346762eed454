"""Min/max bucket downsampling of a step series, in one go or while the steps stream past.

Each bucket of consecutive rows keeps its smallest and largest value and its largest marked
(evaluation) value; ``keep_empty`` keeps the first row of a bucket without values. Past
``max_buckets`` the width doubles and neighbours merge, losing nothing a wider single pass
would keep. Used by collect.py (streaming) and report/series.py (:func:`minmax_indices`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_NONE = -1
#: What a bucket picks: the name, the value of an empty bucket, and the ufunc for the better value.
_PICKS = (("min", np.inf, np.minimum), ("max", -np.inf, np.maximum), ("mark", -np.inf, np.maximum))
#: A marked row without a value still beats "no marked row" (-inf) but loses to any value.
_MARK_WITHOUT_VALUE = np.finfo(np.float64).min


def _empty(n: int, state: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """State for ``n`` buckets that hold nothing yet, or ``state`` grown to ``n`` buckets."""
    out = {"first_pos": np.full(n, _NONE, dtype=np.int64)}
    for name, empty, _better in _PICKS:
        out[f"{name}_pos"] = np.full(n, _NONE, dtype=np.int64)
        out[f"{name}_val"] = np.full(n, empty)
    for key, values in (state or {}).items():
        out[key][: len(values)] = values
    return out


def _merge(early: dict[str, np.ndarray], late: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Bucket by bucket, what the union of ``early`` and ``late`` keeps (ties keep ``early``)."""
    first = early["first_pos"]
    out = {"first_pos": np.where(first != _NONE, first, late["first_pos"])}
    for name, _empty_value, better in _PICKS:
        pos, val = f"{name}_pos", f"{name}_val"
        take = better(late[val], early[val]) != early[val]
        out[pos] = np.where(take, late[pos], early[pos])
        out[val] = np.where(take, late[val], early[val])
    return out


def _reduce(
    positions: np.ndarray, values: np.ndarray, marked: np.ndarray | None, width: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per bucket present in ``positions`` (ascending): its number, and what it keeps (the best
    values by reduceat, and the first row holding each)."""
    n = len(positions)
    if marked is None:
        marked = np.zeros(n, dtype=bool)
    bucket = positions // width
    starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    sizes = np.diff(np.append(starts, n))
    finite = np.isfinite(values)
    scores = {
        "min": np.where(finite, values, np.inf),
        "max": np.where(finite, values, -np.inf),
        "mark": np.where(marked, np.where(finite, values, _MARK_WITHOUT_VALUE), -np.inf),
    }
    picks = {"first_pos": positions[starts]}
    for name, empty, better in _PICKS:
        if name == "mark" and not marked.any():
            picks["mark_pos"] = np.full(len(starts), _NONE, dtype=np.int64)
            picks["mark_val"] = np.full(len(starts), -np.inf)
            continue
        best = better.reduceat(scores[name], starts)
        hit = scores[name] == np.repeat(best, sizes)
        at = np.minimum.reduceat(np.where(hit, np.arange(n), n), starts)
        picks[f"{name}_pos"] = np.where(best != empty, positions[np.minimum(at, n - 1)], _NONE)
        picks[f"{name}_val"] = best
    return bucket[starts], picks


class MinMaxBuckets:
    """Streaming min/max-per-bucket downsampler (see the module docstring)."""

    def __init__(self, max_buckets: int, *, keep_empty: bool = True) -> None:
        self.max_buckets = max_buckets
        self.keep_empty = keep_empty
        self.width = 1
        """Positions per bucket: 1, then doubling as the series grows."""
        self._state = _empty(0)
        self._first_known = _NONE
        self._last_known = _NONE
        self._last_position = _NONE

    def candidates(
        self, positions: np.ndarray, values: np.ndarray, marked: np.ndarray | None = None
    ) -> np.ndarray:
        """Mask of the rows of a coming :meth:`add` that it may keep (a superset: a wider
        bucket keeps a subset of its halves' picks)."""
        if not len(positions):
            return np.zeros(0, dtype=bool)
        return self._picked(positions, values, _reduce(positions, values, marked, self.width)[1])

    def add(
        self, positions: np.ndarray, values: np.ndarray, marked: np.ndarray | None = None
    ) -> np.ndarray:
        """Take in rows at ascending ``positions`` with their values (NaN: none) and marks;
        returns the mask of those kept for now (:meth:`kept` lists what is still kept)."""
        if not len(positions):
            return np.zeros(0, dtype=bool)
        last = int(positions[-1])
        while last // self.width >= self.max_buckets:
            self._double()
        buckets, picks = _reduce(positions, values, marked, self.width)
        state = self._state
        size = len(state["first_pos"])
        if buckets[-1] >= size:
            state = _empty(int(buckets[-1]) + 1, state)
        merged = _merge({name: column[buckets] for name, column in state.items()}, picks)
        for name, column in merged.items():
            state[name][buckets] = column
        self._state = state
        known = np.flatnonzero(np.isfinite(values))
        if len(known):
            if self._first_known == _NONE:
                self._first_known = int(positions[known[0]])
            self._last_known = int(positions[known[-1]])
        self._last_position = last
        return self._picked(positions, values, picks)

    def _picked(
        self, positions: np.ndarray, values: np.ndarray, picks: dict[str, np.ndarray]
    ) -> np.ndarray:
        """Mask of the rows ``picks`` names, plus the first and last rows (known, and at all)."""
        parts = [picks["min_pos"], picks["max_pos"], picks["mark_pos"]]
        if self.keep_empty:
            parts.append(picks["first_pos"])
        chosen = np.concatenate(parts)
        mask = np.zeros(len(positions), dtype=bool)
        mask[np.searchsorted(positions, chosen[chosen != _NONE])] = True
        known = np.flatnonzero(np.isfinite(values))
        if len(known):
            mask[known[0]] = mask[known[-1]] = True
        mask[0] = mask[-1] = True
        return mask

    def _double(self) -> None:
        state = self._state
        size = len(state["first_pos"])
        if size % 2:
            state = _empty(size + 1, state)
        early = {name: values[0::2] for name, values in state.items()}
        late = {name: values[1::2] for name, values in state.items()}
        self._state = _merge(early, late)
        self.width *= 2

    def kept(self) -> np.ndarray:
        """The positions kept so far, ascending, without repeats."""
        state = self._state
        parts = [state["min_pos"], state["max_pos"], state["mark_pos"]]
        if self.keep_empty:
            parts.append(np.where(state["min_pos"] == _NONE, state["first_pos"], _NONE))
            parts.append(np.array([self._last_position], dtype=np.int64))
        parts.append(np.array([self._first_known, self._last_known], dtype=np.int64))
        every = np.concatenate(parts)
        return np.unique(every[every != _NONE])


def minmax_indices(values: Sequence[float | None], max_points: int) -> list[int]:
    """Indices of ``values`` to keep so that at most ``max_points`` remain (min and max per
    bucket, first and last known values; None never)."""
    array = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    known = int(np.count_nonzero(np.isfinite(array)))
    if known <= max_points:
        return np.flatnonzero(np.isfinite(array)).tolist()
    buckets = MinMaxBuckets(max(1, (max_points - 2) // 2), keep_empty=False)
    buckets.add(np.arange(len(array)), array)
    return buckets.kept().tolist()
