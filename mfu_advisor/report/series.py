"""Per-step series in either shape (a list of step objects, or columns); min/max downsampling."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: Most points a chart draws per series; a bucket contributes at most two.
MAX_POINTS = 2000


def series_length(series: Any) -> int:
    """Number of steps in a series of either shape (0 when it is not a series)."""
    if isinstance(series, Sequence) and not isinstance(series, (str, bytes)):
        return len(series)
    if isinstance(series, Mapping):
        lengths = [len(v) for v in series.values() if isinstance(v, Sequence)]
        return max(lengths, default=0)
    return 0


def step_at(series: Any, index: int) -> float | None:
    """The step number of the ``index``-th entry (its position when the series has none)."""
    if index >= series_length(series):
        return None
    if isinstance(series, Mapping):
        steps = series.get("step")
        value = steps[index] if isinstance(steps, Sequence) and index < len(steps) else index
    else:
        row = series[index]
        value = row.get("step", index) if isinstance(row, Mapping) else index
    return float(value) if type(value) in (int, float) else float(index)


def columns(series: Any) -> dict[str, list[float | None]]:
    """The series as numeric columns (None where not a number), always with a ``step`` column."""
    out: dict[str, list[float | None]] = {}
    if isinstance(series, Mapping):
        n = series_length(series)
        for key, values in series.items():
            if isinstance(values, Sequence) and not isinstance(values, (str, bytes)):
                column = _numbers(values)
                column.extend([None] * (n - len(column)))
                out[str(key)] = column
    elif isinstance(series, Sequence) and not isinstance(series, (str, bytes)):
        rows = [r for r in series if isinstance(r, Mapping)]
        keys: dict[str, None] = {}
        for row in rows[:50]:  # the keys of the first rows are the columns
            keys.update(dict.fromkeys(str(k) for k in row))
        for key in keys:
            out[key] = _numbers([row.get(key) for row in rows])
    if not out.get("step") or all(v is None for v in out["step"]):
        n = max((len(v) for v in out.values()), default=0)
        out["step"] = [float(i) for i in range(n)]
    return out


def _numbers(values: Sequence[Any]) -> list[float | None]:
    # Written for speed on 100,000-step logs: exact type checks (bool is not a number
    # here), and "v - v == 0" is false exactly for NaN and the infinities.
    out: list[float | None] = []
    append = out.append
    for v in values:
        kind = type(v)
        if kind is float:
            append(v if v - v == 0 else None)
        elif kind is int:
            append(float(v))
        else:
            append(None)
    return out


def replace_series(data: Any, replace: Callable[[str, Any], Any], path: str = "") -> Any:
    """A copy of ``data`` with each ``series`` value ``s`` at ``path`` replaced by
    ``replace(path, s)``; where that returns None, the value is copied as it is."""
    if isinstance(data, Mapping):
        out = {}
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            new = replace(where, value) if key == "series" else None
            out[key] = replace_series(value, replace, where) if new is None else new
        return out
    if isinstance(data, list):
        return [replace_series(v, replace, f"{path}.{i}") for i, v in enumerate(data)]
    return data


#: Series already downsampled in this process, by identity (a report is rendered in several
#: places: the chart and the embedded data). Holds the series itself so its id stays unique.
_DOWNSAMPLED: dict[int, tuple[Any, int, Any]] = {}


def downsample_series(series: Any, max_points: int = MAX_POINTS) -> Any:
    """The same series with at most about ``max_points`` steps: each column's min/max per bucket."""
    n = series_length(series)
    if n <= max_points:
        return series
    cached = _DOWNSAMPLED.get(id(series))
    if cached is not None and cached[0] is series and cached[1] == max_points:
        return cached[2]
    result = _downsample(series, n, max_points)
    if len(_DOWNSAMPLED) >= 8:
        _DOWNSAMPLED.clear()
    _DOWNSAMPLED[id(series)] = (series, max_points, result)
    return result


def _downsample(series: Any, n: int, max_points: int) -> Any:
    # numpy loads only when a long series is downsampled: a probe report never pays for it.
    from mfu_advisor.logs.downsample import minmax_indices

    cols = columns(series)
    value_columns = [k for k in cols if k != "step" and any(v is not None for v in cols[k])]
    per_column = max(4, max_points // max(1, len(value_columns)))
    keep: set[int] = {0, n - 1}
    for key in value_columns:
        keep.update(minmax_indices(cols[key], per_column))
    kept = sorted(i for i in keep if i < n)
    if isinstance(series, Mapping):
        return {
            k: [v[i] for i in kept if i < len(v)]
            if isinstance(v, Sequence) and not isinstance(v, (str, bytes))
            else v
            for k, v in series.items()
        }
    return [series[i] for i in kept]
