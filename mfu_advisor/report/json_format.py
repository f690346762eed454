"""JSON renderer: the report document, stable key order, UTF-8, trailing newline."""

from __future__ import annotations

import json
from typing import Any

from mfu_advisor.report.model import Report


def render_json(report: Report, **_options: Any) -> str:
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
