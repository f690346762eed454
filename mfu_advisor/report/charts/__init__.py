"""SVG charts for the HTML report, drawn in Python (no JavaScript)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup

from mfu_advisor.report.charts.bars import draw_mfu, draw_speedups
from mfu_advisor.report.charts.roofline import draw_roofline
from mfu_advisor.report.charts.series_chart import draw_series
from mfu_advisor.report.charts.utilisation import draw_utilisation
from mfu_advisor.report.content.blocks import Chart

#: chart kind -> drawer(data, title) returning the SVG, or None when there is nothing to draw.
DRAWERS: dict[str, Callable[[Mapping[str, Any], str], Markup | None]] = {
    "series": draw_series,
    "mfu": draw_mfu,
    "speedups": draw_speedups,
    "roofline": draw_roofline,
    "utilisation": draw_utilisation,
}


def draw(chart: Chart) -> Markup | None:
    """The chart as inline SVG, or None when its data is too thin or too odd to draw
    (its numbers are in the tables too, so odd data drops the chart, not the report).
    """
    drawer = DRAWERS.get(chart.kind)
    if drawer is None:
        return None
    try:
        return drawer(chart.data, chart.title)
    except (ArithmeticError, TypeError, ValueError):
        return None
