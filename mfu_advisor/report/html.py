"""HTML renderer: one self-contained page (jinja2, autoescape on, inline CSS named by its CSP hash,
SVG charts, the data as a JSON block). No URL appears in it: schemes are dropped from text, and
in the JSON block ``http`` and ``://`` are unicode-escaped.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from mfu_advisor.report.charts.bars import draw_mfu, draw_speedups
from mfu_advisor.report.charts.roofline import draw_roofline
from mfu_advisor.report.charts.series_chart import draw_series
from mfu_advisor.report.charts.utilisation import draw_utilisation
from mfu_advisor.report.content.blocks import Chart, Document
from mfu_advisor.report.content.document import build_document
from mfu_advisor.report.json_format import readable_json
from mfu_advisor.report.markdown import summarise_series
from mfu_advisor.report.model import Report
from mfu_advisor.report.series import MAX_POINTS, downsample_series, replace_series, series_length
from mfu_advisor.report.values import Missing

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"

#: A URL scheme that would make text look like a link to somewhere.
_URL_SCHEME = re.compile(r"(?i)\b(?:https?|ftp)://")
#: The "h" of "http" in JSON text, written as a unicode escape (JSON.parse gives it back).
_JSON_HTTP = re.compile(r"(?i)h(?=ttp)")


def _template_source(name: str) -> str:
    return (resources.files("mfu_advisor.templates") / name).read_text(encoding="utf-8")


def _json_dumps(data: Any, **kwargs: Any) -> str:
    """``tojson``'s serialiser: compact, no NaN, and no "http" left in the text."""
    kwargs.setdefault("separators", (",", ":"))
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, **kwargs)
    # Outside strings, JSON text never holds "http" or "://"; inside them the escapes
    # parse back to the same characters.
    text = _JSON_HTTP.sub(lambda m: "\\u0068" if m.group(0) == "h" else "\\u0048", text)
    return text.replace("://", "\\u003a//")


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


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment: templates from the package, autoescape always on."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["json.dumps_function"] = _json_dumps
    env.policies["json.dumps_kwargs"] = {}
    env.tests["missing"] = lambda value: isinstance(value, Missing)
    env.filters["block_kind"] = lambda block: type(block).__name__.lower()
    env.filters["no_scheme"] = lambda text: _URL_SCHEME.sub("", str(text))
    env.globals["draw_chart"] = draw
    return env


@lru_cache(maxsize=1)
def stylesheet() -> tuple[Markup, str]:
    """The inline CSS and its CSP source expression (``'sha256-...'``)."""
    css = _template_source(STYLESHEET)
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return Markup(css), f"'sha256-{digest}'"


def content_security_policy(style_hash: str) -> str:
    """Nothing may load or run; only the one inline stylesheet applies."""
    return (
        f"default-src 'none'; style-src {style_hash}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def embedded_data(report: Report) -> tuple[dict[str, Any], str]:
    """The report document for the data block, long series downsampled, and a note saying so."""
    notes: list[str] = []

    def downsample(where: str, series: Any) -> Any:
        if series_length(series) <= MAX_POINTS:
            return None
        short = downsample_series(series)
        notes.append(
            f"{where}: {series_length(series):,} points downsampled to "
            f"{series_length(short):,} (min/max per bucket)"
        )
        return short

    return replace_series(report.to_json(), downsample), "; ".join(notes)


def render_html(report: Report, **_options: Any) -> str:
    """The report as one self-contained HTML page."""
    document: Document = build_document(report, detailed=True)
    css, style_hash = stylesheet()
    data, data_note = embedded_data(report)
    raw = readable_json(summarise_series(report.to_json()))
    page = (
        environment()
        .get_template(TEMPLATE)
        .render(
            document=document,
            css=css,
            csp=content_security_policy(style_hash),
            data=data,
            data_note=data_note,
            raw_json=raw,
        )
    )
    # Belt and braces: no text in the page carries a URL scheme (see the module docstring).
    return _URL_SCHEME.sub("", page)
