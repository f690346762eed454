"""Horizontal bars: MFU on a 0-100% axis; speedups on a log axis around 1x, with noise whiskers."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from mfu_advisor import units
from mfu_advisor.report.charts.scale import LinearScale, LogScale
from mfu_advisor.report.charts.svg import Svg

WIDTH = 720
ROW = 34
LABEL_WIDTH = 210
VALUE_WIDTH = 120
TOP, BOTTOM = 14, 30
#: Furthest a noise whisker reaches from its speedup, as a factor (a wider one is cut off).
WHISKER_SPAN = 8.0


def draw_mfu(data: Mapping[str, Any], title: str) -> Markup | None:
    """One bar per MFU denominator; a missing figure shows its reason instead of a bar."""
    bars = [b for b in data.get("bars", ()) if isinstance(b, Mapping)]
    if not bars:
        return None
    values = [float(b["value"]) for b in bars if isinstance(b.get("value"), (int, float))]
    top_value = max([1.0, *values])
    height = TOP + ROW * len(bars) + BOTTOM
    svg = Svg(WIDTH, height, title, "; ".join(_mfu_words(b) for b in bars))
    x = LinearScale(0.0, top_value, LABEL_WIDTH, WIDTH - VALUE_WIDTH)
    ticks = [top_value * i / 4 for i in range(5)]
    for tick in ticks:
        svg.line(x(tick), TOP - 4, x(tick), height - BOTTOM + 4, "grid")
        svg.text(x(tick), height - BOTTOM + 18, units.percent(tick), "tick", anchor="middle")
    for index, bar in enumerate(bars):
        y = TOP + index * ROW
        label = _shorten(str(bar.get("label", "")), 30)
        svg.text(LABEL_WIDTH - 10, y + 15, label, "label", anchor="end")
        detail = _shorten(str(bar.get("detail") or ""), 34)
        if detail:
            svg.text(LABEL_WIDTH - 10, y + 28, detail, "note", anchor="end")
        value = bar.get("value")
        if not isinstance(value, (int, float)):
            reason = str(bar.get("reason") or "not known")
            svg.text(LABEL_WIDTH + 6, y + 20, f"— {reason}", "note")
            continue
        width = max(2.0, x(float(value)) - x(0.0))  # a sliver even for 0.02%
        svg.rect(LABEL_WIDTH, y + 6, width, ROW - 14, "bar bar-mfu", title=_mfu_words(bar))
        svg.text(LABEL_WIDTH + width + 6, y + 21, units.percent(float(value)), "value")
    return svg.markup()


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _mfu_words(bar: Mapping[str, Any]) -> str:
    value = bar.get("value")
    shown = units.percent(float(value)) if isinstance(value, (int, float)) else "unknown"
    return f"MFU vs {bar.get('label', '')}: {shown}"


def draw_speedups(data: Mapping[str, Any], title: str) -> Markup | None:
    """Bars from 1x to each speedup on a log axis, with noise whiskers, coloured by outcome."""
    bars = [
        b
        for b in data.get("bars", ())
        if isinstance(b, Mapping)
        and isinstance(b.get("speedup"), (int, float))
        and b["speedup"] > 0
    ]
    if not bars:
        return None
    # A noise of 100% or more puts the interval's low end at or below zero, which a log axis
    # cannot show: such whiskers stop at 1/WHISKER_SPAN of the speedup, drawn open-ended.
    lows = [b["speedup"] * (1 - float(b.get("noise") or 0)) for b in bars]
    clipped = [lo <= b["speedup"] / WHISKER_SPAN for b, lo in zip(bars, lows, strict=True)]
    lows = [
        b["speedup"] / WHISKER_SPAN if cut else lo
        for b, lo, cut in zip(bars, lows, clipped, strict=True)
    ]
    highs = [b["speedup"] * (1 + float(b.get("noise") or 0)) for b in bars]
    highs = [min(hi, b["speedup"] * WHISKER_SPAN) for b, hi in zip(bars, highs, strict=True)]
    # The axis runs between powers of two.
    low = float(2 ** math.floor(math.log2(min([0.5, *lows]) / 1.05)))
    high = float(2 ** math.ceil(math.log2(max([2.0, *highs]) * 1.05)))
    height = TOP + ROW * len(bars) + BOTTOM
    svg = Svg(
        WIDTH,
        height,
        title,
        "; ".join(f"{b.get('label')}: {units.speedup(b['speedup'])}" for b in bars),
    )
    x = LogScale(low, high, LABEL_WIDTH, WIDTH - VALUE_WIDTH)
    for tick in _powers_of_two(low, high):
        svg.line(x(tick), TOP - 4, x(tick), height - BOTTOM + 4, "axis" if tick == 1 else "grid")
        label = f"{tick:g}x" if tick >= 1 else f"1/{1 / tick:g}"
        svg.text(x(tick), height - BOTTOM + 18, label, "tick", anchor="middle")
    svg.text(x(1.0) - 6, height - 2, "◀ slower", "note", anchor="end")
    svg.text(x(1.0) + 6, height - 2, "faster ▶", "note")
    for index, (bar, lo, hi, cut) in enumerate(zip(bars, lows, highs, clipped, strict=True)):
        y = TOP + index * ROW
        value = float(bar["speedup"])
        tone = str(bar.get("tone") or "")
        label = _shorten(str(bar.get("label", "")), 30)
        svg.text(LABEL_WIDTH - 10, y + 19, label, "label", anchor="end")
        start, end = sorted((x(1.0), x(value)))
        noise = units.plus_minus(float(bar.get("noise") or 0))
        words = f"{bar.get('label')}: {units.speedup(value)}, noise {noise}"
        svg.rect(
            start,
            y + 7,
            max(2.0, end - start),
            ROW - 16,
            f"bar bar-{tone or 'plain'}",
            title=f"{words} ({bar.get('outcome', '')})",
        )
        middle = y + ROW / 2 - 1
        svg.line(x(lo), middle, x(hi), middle, "whisker")
        if cut:  # the interval goes on past the axis: an arrow head instead of a cap
            svg.polygon(
                [(x(lo), middle), (x(lo) + 7, middle - 4), (x(lo) + 7, middle + 4)],
                "whisker-end",
                title="the noise interval reaches below this",
            )
        else:
            svg.line(x(lo), middle - 5, x(lo), middle + 5, "whisker")
        svg.line(x(hi), middle - 5, x(hi), middle + 5, "whisker")
        svg.text(max(x(hi), x(1.0)) + 6, y + 20, units.speedup(value), f"value value-{tone}")
    return svg.markup()


def _powers_of_two(low: float, high: float) -> Sequence[float]:
    exponents = range(round(math.log2(low)), round(math.log2(high)) + 1)
    ticks = [float(2**e) for e in exponents]
    if len(ticks) > 9:  # a very wide range: every other power
        ticks = [t for t in ticks if round(math.log2(t)) % 2 == 0]
    return ticks
