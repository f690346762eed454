"""GPU utilisation (or the job's CPU cores) over a ``run`` result's samples."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from mfu_advisor.report.charts.scale import LinearScale, nice_ticks
from mfu_advisor.report.charts.svg import Svg, path_data

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 24, 30


def _lines(samples: Mapping[str, Any]) -> tuple[str, list[tuple[str, list[Any]]]]:
    gpus = [g for g in samples.get("gpus") or [] if isinstance(g, Mapping)]
    lines = [
        (f"GPU {g.get('index', i)}", list(g.get("util_percent") or [])) for i, g in enumerate(gpus)
    ]
    if any(v is not None for _, values in lines for v in values):
        return "GPU utilisation (%)", lines
    return "the job's CPU use (cores)", [("job", list(samples.get("job_cpu_cores") or []))]


def draw_utilisation(data: Mapping[str, Any], title: str) -> Markup | None:
    """The chart for a ``utilisation`` chart block, or None with fewer than 2 samples."""
    samples = data.get("samples")
    if not isinstance(samples, Mapping):
        return None
    times = [t for t in samples.get("t_s") or [] if isinstance(t, (int, float))]
    if len(times) < 2:
        return None
    label, lines = _lines(samples)
    values = [v for _, line in lines for v in line if isinstance(v, (int, float))]
    if not values:
        return None
    high = 100.0 if label.startswith("GPU") else max(1.0, max(values))
    ticks = nice_ticks(0.0, high, 4)
    x = LinearScale(min(times), max(times), LEFT, WIDTH - RIGHT)
    y = LinearScale(ticks[0], ticks[-1], HEIGHT - BOTTOM, TOP)
    svg = Svg(WIDTH, HEIGHT, title, f"{title}: {len(times)} samples over {times[-1]:.0f} s")
    svg.y_grid(y, ticks, LEFT, WIDTH - RIGHT)
    svg.text(LEFT, TOP - 8, label, "axis-label")
    start = data.get("window_start_s")
    if isinstance(start, (int, float)) and min(times) < start <= max(times):
        svg.line(x(start), TOP, x(start), HEIGHT - BOTTOM, "reference")
        svg.text(x(start) + 4, TOP + 10, "first step", "note")
    classes = ("line-time", "line-loss")
    for index, (_, line) in enumerate(lines):
        points: list[tuple[float, float] | None] = []
        for t, v in zip(samples.get("t_s") or [], line, strict=False):
            if isinstance(t, (int, float)) and isinstance(v, (int, float)):
                points.append((x(t), y(min(v, ticks[-1]))))
            else:
                points.append(None)
        svg.path(path_data(points), f"line {classes[index % 2]}")
    svg.line(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, "axis")
    svg.x_labels(x, min(times), max(times), HEIGHT - BOTTOM, marks=False)
    svg.text(LEFT - 6, HEIGHT - BOTTOM + 16, "s", "axis-label", anchor="end")
    names = ", ".join(name for name, _ in lines)
    svg.text(WIDTH - RIGHT, TOP - 8, names, "note", anchor="end")
    return svg.markup()
