"""Step time and loss over steps: stacked line panels sharing the step axis; outliers far above
the 95th percentile are drawn as capped spikes so they do not flatten the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from mfu_advisor import units
from mfu_advisor.report.charts.scale import LinearScale, nice_ticks
from mfu_advisor.report.charts.svg import Svg, path_data
from mfu_advisor.report.series import columns, downsample_series, series_length, step_at

WIDTH = 720
PANEL_HEIGHT = 170
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 22, 26

#: Column names tried, in order, for each panel.
TIME_KEYS = ("step_time_ms", "time_ms", "dt_ms", "iteration_time_ms")
LOSS_KEYS = ("loss", "train_loss")
RATE_KEYS = ("tokens_per_s", "tok_per_s")

#: Above this multiple of the 99th percentile a step time is drawn as a capped spike.
SPIKE_FACTOR = 3.0


def _first(cols: Mapping[str, list[float | None]], keys: Sequence[str]) -> tuple[str, list[Any]]:
    for key in keys:
        if key in cols and any(v is not None for v in cols[key]):
            return key, cols[key]
    return "", []


def draw_series(data: Mapping[str, Any], title: str) -> Markup | None:
    """The chart for a ``series`` chart block, or None when no panel has data."""
    series = data.get("series")
    total = series_length(series)
    if not total:
        return None
    # Drawing from the downsampled series is drawing the same picture: it keeps each
    # column's min and max per bucket (and the HTML's embedded data reuses it).
    cols = columns(downsample_series(series))
    steps = cols["step"]
    panels: list[tuple[str, list[Any], str, float | None]] = []
    time_key, times = _first(cols, TIME_KEYS)
    if time_key:
        panels.append(("step time (ms)", times, "line-time", data.get("steady_step_time_ms")))
    loss_key, losses = _first(cols, LOSS_KEYS)
    if loss_key:
        panels.append(("loss", losses, "line-loss", None))
    if not panels:
        rate_key, rates = _first(cols, RATE_KEYS)
        if not rate_key:
            return None
        panels.append(("tokens/s", rates, "line-time", None))
    known_steps = [s for s in steps if s is not None]
    x_low, x_high = min(known_steps), max(known_steps)
    if x_high == x_low:
        x_high = x_low + 1
    height = PANEL_HEIGHT * len(panels)
    svg = Svg(WIDTH, height, title, f"{title}: {total:,} steps")
    x = LinearScale(x_low, x_high, LEFT, WIDTH - RIGHT)
    warmup = data.get("warmup_steps")
    span = data.get("warmup_step_span")
    warmup_end = None
    if not isinstance(warmup, int) or warmup <= 0:
        warmup = 0
    if warmup > 0:
        warmup_end = (
            x_low + float(span) if isinstance(span, (int, float)) else step_at(series, warmup)
        )
    for index, (label, values, cls, reference) in enumerate(panels):
        top = index * PANEL_HEIGHT + TOP
        bottom = (index + 1) * PANEL_HEIGHT - BOTTOM
        if warmup_end is not None:
            width = x(warmup_end) - x(x_low)
            title = f"{warmup} warm-up steps, excluded from the figures"
            svg.rect(x(x_low), top, width, bottom - top, "warmup", title=title)
            if index == 0 and width > 60:  # label only a band wide enough to hold it
                svg.text(x(x_low) + 3, top + 11, "warm-up", "note")
        complete = len(steps) == total and data.get("bucketed") is not True
        panel = Panel(label, cls, reference, top, bottom, warmup_end, complete=complete)
        _draw_panel(svg, x, steps, values, panel)
        _x_axis(svg, x, x_low, x_high, bottom, labelled=index == len(panels) - 1)
    return svg.markup()


@dataclass(frozen=True)
class Panel:
    """One line panel's place and labels."""

    label: str
    cls: str
    reference: float | None
    """A value drawn as a dashed line (the steady median step time)."""
    top: float
    bottom: float
    warmup_end: float | None
    """First step after warm-up; earlier values do not set the axis."""
    complete: bool
    """False when the values were downsampled, here or by the analyzer (spikes are then not
    counted)."""


def _axis_values(steps: list[Any], values: list[Any], warmup_end: float | None) -> list[float]:
    """The values that set the axis: those after warm-up (all of them if that leaves none)."""
    after = [
        v
        for s, v in zip(steps, values, strict=False)
        if v is not None and (warmup_end is None or (s is not None and s >= warmup_end))
    ]
    return sorted(after or [v for v in values if v is not None])


def _draw_panel(
    svg: Svg, x: LinearScale, steps: list[Any], values: list[Any], panel: Panel
) -> None:
    known = _axis_values(steps, values, panel.warmup_end)
    low = min(known[0], min(v for v in values if v is not None))
    high = max(v for v in values if v is not None)
    cap = high
    if len(known) >= 10:
        # A few huge outliers (the first step, an eval step) would flatten the rest.
        p95 = known[int(0.95 * (len(known) - 1))]
        if p95 > 0 and high > SPIKE_FACTOR * p95:
            cap = p95 * 1.5
    ticks = nice_ticks(low, cap, 4)
    top, bottom = panel.top, panel.bottom
    y = LinearScale(ticks[0], ticks[-1], bottom, top)
    svg.y_grid(y, ticks, LEFT, WIDTH - RIGHT)
    svg.text(LEFT, top - 7, panel.label, "axis-label")
    points: list[tuple[float, float] | None] = []
    previous = None
    spikes = []
    for step, value in zip(steps, values, strict=False):
        if step is None or value is None:
            continue
        if previous is not None and step < previous:
            points.append(None)  # the run restarted from a checkpoint: break the line
        if value > ticks[-1]:
            spikes.append((x(step), step, value))
            points.append((x(step), y(ticks[-1])))
        else:
            points.append((x(step), y(value)))
        previous = step
    svg.path(path_data(points), f"line {panel.cls}")
    notes = []
    if panel.reference is not None and ticks[0] <= panel.reference <= ticks[-1]:
        svg.line(LEFT, y(panel.reference), WIDTH - RIGHT, y(panel.reference), "reference")
        notes.append(f"dashed: steady median {units.tick(panel.reference)}")
    last = next((v for v in reversed(values) if v is not None), None)
    if panel.cls == "line-loss" and last is not None:
        notes.append(f"last {units.tick(last)}")
    for px, step, value in spikes:
        svg.polygon(
            [(px - 4, top + 6), (px + 4, top + 6), (px, top)],
            "spike",
            title=f"step {step:g}: {units.tick(value)}",
        )
    if spikes:
        largest = max(spikes, key=lambda s: s[2])
        # Downsampling keeps each bucket's largest value, not every spike: count only
        # when every step is drawn.
        how_many = f"{len(spikes)} " if panel.complete else ""
        notes.append(
            f"▲ {how_many}above the axis, up to {units.tick(largest[2])} (step {largest[1]:g})"
        )
    svg.text(WIDTH - RIGHT, top - 7, " · ".join(notes), "note", anchor="end")


def _x_axis(
    svg: Svg, x: LinearScale, low: float, high: float, bottom: float, *, labelled: bool
) -> None:
    svg.line(LEFT, bottom, WIDTH - RIGHT, bottom, "axis")
    svg.x_labels(x, low, high, bottom, marks=True)
    if labelled:
        svg.text(LEFT - 6, bottom + 16, "step", "axis-label", anchor="end")
