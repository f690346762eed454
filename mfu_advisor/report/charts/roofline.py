"""The roofline (Williams, Waterman and Patterson, CACM 2009) of the run against the measured
matmuls and memory bandwidth, or without them a ladder of achieved FLOP/s and the peaks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from mfu_advisor import units
from mfu_advisor.report.charts.scale import LogScale, log_ticks
from mfu_advisor.report.charts.svg import Svg

WIDTH = 720
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 70, 130, 16, 40

#: Bytes per element by dtype name (torch names and short names).
DTYPE_BYTES = {
    **dict.fromkeys(("float32", "fp32", "tf32", "float"), 4),
    **dict.fromkeys(("bfloat16", "bf16", "float16", "fp16", "half"), 2),
    **dict.fromkeys(("float8", "fp8", "float8_e4m3fn", "float8_e5m2"), 1),
    **dict.fromkeys(("float64", "fp64"), 8),
}


def gemm_intensity(m: float, n: float, k: float, element_bytes: int) -> float:
    """FLOP per byte of an (m x k) @ (k x n) matmul reading A and B and writing C once."""
    return (2 * m * n * k) / (element_bytes * (m * k + k * n + m * n))


def _sweep_points(data: Mapping[str, Any]) -> list[tuple[float, float, str, str]]:
    """(intensity, FLOP/s, hover label, group) for each measured matmul."""
    points = []
    for entry in data.get("sweep") or ():
        if not isinstance(entry, Mapping):
            continue
        dims = [entry.get(key) for key in ("m", "n", "k")]
        achieved = entry.get("flops")
        if not all(isinstance(d, (int, float)) and d > 0 for d in dims):
            continue
        if not isinstance(achieved, (int, float)) or achieved <= 0:
            continue
        dtype = str(entry.get("dtype", ""))
        m, n, k = (float(d) for d in dims)  # type: ignore[arg-type]
        intensity = gemm_intensity(m, n, k, DTYPE_BYTES.get(dtype, 4))
        group = str(entry.get("group") or "sweep")
        label = (
            f"{entry.get('name', '')} {m:g}x{n:g}x{k:g} ({group}, {dtype}): "
            f"{units.tick(achieved)}FLOP/s"
        )
        points.append((intensity, float(achieved), label, group))
    return points


def _group_class(group: str) -> str:
    if group == "square":
        return "sweep-square"
    return "sweep-model" if group in ("model x1", "sweep") else "sweep-model-larger"


#: Legend text per point class.
LEGEND = {
    "sweep-square": "square matmuls",
    "sweep-model": "the model's matmuls at its batch",
    "sweep-model-larger": "the model's matmuls at 2x/4x the batch",
}


def draw_roofline(data: Mapping[str, Any], title: str) -> Markup | None:
    """A roofline when a sweep and a bandwidth are known, else the ladder of ceilings."""
    achieved = data.get("achieved_flops")
    if not isinstance(achieved, (int, float)) or achieved <= 0:
        return None
    points = _sweep_points(data)
    bandwidth = data.get("memory_bandwidth_bytes_per_s")
    if points and isinstance(bandwidth, (int, float)) and bandwidth > 0:
        return _roofline(data, float(achieved), points, float(bandwidth), title)
    return _ladder(data, float(achieved), title)


def _ceilings(data: Mapping[str, Any]) -> list[tuple[str, float, str]]:
    out = []
    for key, label, cls in (
        ("measured_peak_flops", "matmul peak", "ceiling-measured"),
        ("device_peak_flops", "device peak", "ceiling-device"),
    ):
        value = data.get(key)
        if isinstance(value, (int, float)) and value > 0:
            out.append((label, float(value), cls))
    return out


def _roofline(
    data: Mapping[str, Any],
    achieved: float,
    points: list[tuple[float, float, str, str]],
    bandwidth: float,
    title: str,
) -> Markup:
    ceilings = _ceilings(data)
    roof = max([c[1] for c in ceilings] + [p[1] for p in points])
    x_low = min(p[0] for p in points) / 8
    x_high = max([p[0] for p in points] + [roof / bandwidth]) * 4
    y_low = min([achieved, *(p[1] for p in points), bandwidth * x_low]) / 2
    y_high = roof * 2
    svg = Svg(WIDTH, HEIGHT, title, _words(data, achieved))
    x = LogScale(x_low, x_high, LEFT, WIDTH - RIGHT)
    y = LogScale(y_low, y_high, HEIGHT - BOTTOM, TOP)
    _log_grid(svg, x, y, x_low, x_high, y_low, y_high)
    svg.text(
        (LEFT + WIDTH - RIGHT) / 2,
        HEIGHT - 6,
        "arithmetic intensity (FLOP per byte)",
        "axis-label",
        anchor="middle",
    )
    svg.text(LEFT - 60, TOP + 2, "FLOP/s", "axis-label")
    # Memory roof: FLOP/s = bandwidth x intensity, up to where it meets the highest ceiling.
    knee = roof / bandwidth
    svg.line(
        x(x_low),
        y(bandwidth * x_low),
        x(min(knee, x_high)),
        y(min(roof, bandwidth * x_high)),
        "ceiling-memory",
    )
    # The label starts just right of the middle of the slanted roof, under it: at the roof's
    # start it would cross a low "your run" line, and left of it the axis labels.
    middle = math.sqrt(x_low * min(knee, x_high))
    svg.text(
        x(middle) + 8, y(bandwidth * middle) + 10, f"memory {units.tick(bandwidth)}B/s", "note"
    )
    labels = []
    for label, value, cls in ceilings:
        start = max(x_low, value / bandwidth)
        svg.line(x(start), y(value), WIDTH - RIGHT, y(value), cls)
        labels.append((y(value), f"{label} {units.tick(value)}", "note"))
    for intensity, flops, label, group in points:
        svg.circle(x(intensity), y(flops), 4, f"sweep-point {_group_class(group)}", title=label)
    svg.line(LEFT, y(achieved), WIDTH - RIGHT, y(achieved), "achieved-line")
    labels.append((y(achieved), f"your run {units.tick(achieved)}", "value"))
    _right_labels(svg, labels)
    classes = list(dict.fromkeys(_group_class(p[3]) for p in points))
    for row, cls in enumerate(reversed(classes)):
        at = HEIGHT - BOTTOM - 12 - row * 15
        svg.circle(LEFT + 12, at - 4, 4, f"sweep-point {cls}")
        svg.text(LEFT + 20, at, LEGEND[cls], "note")
    return svg.markup()


def _right_labels(svg: Svg, labels: list[tuple[float, str, str]], gap: float = 13) -> None:
    """Labels in the right margin at their lines' heights, nudged apart so none overlap."""
    placed: list[float] = []
    for wanted, content, cls in sorted(labels):
        at = wanted if not placed else max(wanted, placed[-1] + gap)
        placed.append(at)
        svg.text(WIDTH - RIGHT + 6, at + 4, content, cls)


def _log_grid(
    svg: Svg, x: LogScale, y: LogScale, x_low: float, x_high: float, y_low: float, y_high: float
) -> None:
    svg.y_grid(y, log_ticks(y_low, y_high), LEFT, WIDTH - RIGHT)
    for tick in log_ticks(x_low, x_high):
        svg.line(x(tick), TOP, x(tick), HEIGHT - BOTTOM, "grid")
        svg.text(x(tick), HEIGHT - BOTTOM + 16, units.tick(tick), "tick", anchor="middle")
    svg.line(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, "axis")
    svg.line(LEFT, TOP, LEFT, HEIGHT - BOTTOM, "axis")


def _ladder(data: Mapping[str, Any], achieved: float, title: str) -> Markup | None:
    rungs = [("your run", achieved, "achieved-line"), *_ceilings(data)]
    if len(rungs) < 2:
        return None
    rungs.sort(key=lambda r: r[1])
    height = 220
    low = min(r[1] for r in rungs) / 3
    high = max(r[1] for r in rungs) * 3
    svg = Svg(WIDTH, height, title, _words(data, achieved))
    y = LogScale(low, high, height - 24, 16)
    svg.y_grid(y, log_ticks(low, high), LEFT, WIDTH - RIGHT)
    svg.text(LEFT - 60, 12, "FLOP/s", "axis-label")
    previous = None
    _right_labels(svg, [(y(v), f"{label} {units.tick(v)}", "note") for label, v, _c in rungs])
    for label, value, cls in rungs:
        svg.line(LEFT, y(value), WIDTH - RIGHT, y(value), cls)
        if previous is not None:
            share = previous[1] / value
            middle = (y(value) + y(previous[1])) / 2
            svg.line(LEFT + 40, y(value), LEFT + 40, y(previous[1]), "gap")
            svg.text(LEFT + 48, middle + 4, f"{units.percent(share)} of the line above", "note")
        previous = (label, value)
    return svg.markup()


def _words(data: Mapping[str, Any], achieved: float) -> str:
    parts = [f"achieved {units.tick(achieved)}FLOP/s"]
    for label, value, _cls in _ceilings(data):
        parts.append(f"{label} {units.tick(value)}FLOP/s ({units.percent(achieved / value)} of it)")
    if math.isfinite(achieved):
        return "; ".join(parts)
    return parts[0]
