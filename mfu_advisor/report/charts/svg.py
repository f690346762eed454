"""A small SVG writer: every text and attribute escaped, styled by CSS class only (the CSP
allows no inline style).
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup, escape

from mfu_advisor import units
from mfu_advisor.report.charts.scale import nice_ticks


def _fmt(value: float | int | str) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value == value else "0"
    return str(value)


def attrs(**attributes: float | int | str | None) -> str:
    """``x="1" class_="a"`` -> ' x="1" class="a"'; None values are left out."""
    parts = []
    for name, value in attributes.items():
        if value is None:
            continue
        key = name.rstrip("_").replace("_", "-")
        parts.append(f' {key}="{escape(_fmt(value))}"')
    return "".join(parts)


class Svg:
    """An SVG drawing, built element by element."""

    def __init__(self, width: int, height: int, title: str, description: str = "") -> None:
        self.width = width
        self.height = height
        self.title = title
        self.description = description
        self.parts: list[str] = []

    def line(self, x1: float, y1: float, x2: float, y2: float, cls: str) -> None:
        self.parts.append(f"<line{attrs(x1=x1, y1=y1, x2=x2, y2=y2, class_=cls)}/>")

    def titled(self, tag: str, title: str, **attributes: float | int | str | None) -> None:
        """A ``tag`` element with a hover ``title`` (none when empty)."""
        body = f"<title>{escape(title)}</title>" if title else ""
        self.parts.append(f"<{tag}{attrs(**attributes)}>{body}</{tag}>")

    def rect(self, x: float, y: float, w: float, h: float, cls: str, title: str = "") -> None:
        self.titled("rect", title, x=x, y=y, width=max(0.0, w), height=max(0.0, h), class_=cls)

    def circle(self, cx: float, cy: float, r: float, cls: str, title: str = "") -> None:
        self.titled("circle", title, cx=cx, cy=cy, r=r, class_=cls)

    def path(self, d: str, cls: str) -> None:
        self.parts.append(f"<path{attrs(d=d, class_=cls)}/>")

    def polygon(self, points: list[tuple[float, float]], cls: str, title: str = "") -> None:
        shown = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
        self.titled("polygon", title, points=shown, class_=cls)

    def text(
        self, x: float, y: float, content: str, cls: str = "label", anchor: str = "start"
    ) -> None:
        self.parts.append(
            f"<text{attrs(x=x, y=y, class_=cls, text_anchor=anchor)}>{escape(content)}</text>"
        )

    def y_grid(
        self, y: Callable[[float], float], ticks: list[float], left: float, right: float
    ) -> None:
        """Horizontal grid lines at ``ticks`` from ``left`` to ``right``, labelled on the left."""
        for tick in ticks:
            self.line(left, y(tick), right, y(tick), "grid")
            self.text(left - 6, y(tick) + 4, units.tick(tick), "tick", anchor="end")

    def x_labels(
        self, x: Callable[[float], float], low: float, high: float, bottom: float, *, marks: bool
    ) -> None:
        """Round labels under an x axis from ``low`` to ``high`` (``marks``: with tick marks)."""
        for tick in nice_ticks(low, high, 6):
            if low <= tick <= high:
                if marks:
                    self.line(x(tick), bottom, x(tick), bottom + 4, "axis")
                self.text(x(tick), bottom + 16, units.tick(tick), "tick", anchor="middle")

    def markup(self) -> Markup:
        """The finished ``<svg>`` element, sized by its viewBox so it scales with the page."""
        head = (
            # No xmlns: inline SVG in HTML5 gets its namespace from the parser, and the
            # report holds no URL of any kind.
            f'<svg viewBox="0 0 {self.width} {self.height}"'
            f' role="img" class="chart" preserveAspectRatio="xMidYMid meet">'
            f"<title>{escape(self.title)}</title>"
        )
        if self.description:
            head += f"<desc>{escape(self.description)}</desc>"
        return Markup(head + "".join(self.parts) + "</svg>")


def path_data(points: list[tuple[float, float] | None]) -> str:
    """SVG path commands through ``points``; a None breaks the line (a gap in the data)."""
    out: list[str] = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        x, y = point
        out.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
        pen_down = True
    return "".join(out)
