"""Output formats and the renderer behind each one (each takes a Report and returns text)."""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from typing import Any

from mfu_advisor.report.model import Report


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


#: format -> "module:function"; imported on use so that rich/jinja2 load only when needed.
RENDERERS: dict[OutputFormat, str] = {
    OutputFormat.TEXT: "mfu_advisor.report.terminal:render_terminal",
    OutputFormat.JSON: "mfu_advisor.report.json_format:render_json",
    OutputFormat.MARKDOWN: "mfu_advisor.report.markdown:render_markdown",
    OutputFormat.HTML: "mfu_advisor.report.html:render_html",
}


def renderer_for(fmt: OutputFormat) -> Callable[..., str]:
    module_name, attr = RENDERERS[fmt].split(":")
    function: Callable[..., str] = getattr(importlib.import_module(module_name), attr)
    return function


def render(report: Report, fmt: OutputFormat, **options: Any) -> str:
    """Render ``report`` in ``fmt``; options are passed to the renderer (e.g. ``width``)."""
    return renderer_for(fmt)(report, **options)
