"""JSON renderers: ``--json``'s document, and a readable layout for Markdown and HTML."""

from __future__ import annotations

import json
from typing import Any

from mfu_advisor.report.model import Report


def render_json(report: Report, **_options: Any) -> str:
    """The report document as ``--json`` prints it."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def readable_json(data: Any, *, width: int = 96, indent: int = 2) -> str:
    """Pretty JSON whose short objects and lists stay on one line (at most ``width`` columns)."""
    return _layout(data, 0, width, indent)


def _layout(data: Any, level: int, width: int, indent: int) -> str:
    flat = json.dumps(data, ensure_ascii=False, allow_nan=False)
    if not isinstance(data, (dict, list)) or len(flat) + level * indent <= width or not data:
        return flat
    pad = " " * ((level + 1) * indent)
    end = " " * (level * indent)
    if isinstance(data, dict):
        inner = [
            f"{pad}{json.dumps(str(k), ensure_ascii=False)}: {_layout(v, level + 1, width, indent)}"
            for k, v in data.items()
        ]
        return "{\n" + ",\n".join(inner) + "\n" + end + "}"
    inner = [f"{pad}{_layout(v, level + 1, width, indent)}" for v in data]
    return "[\n" + ",\n".join(inner) + "\n" + end + "]"
