"""Terminal renderer (rich): one module per report section.

Each section module exposes ``render(payload, console)`` that prints one
command's payload (the JSON-ready data of the report) to a rich console.
``render_terminal`` picks the section for the report's command and returns
the text; colour follows ``NO_COLOR`` and whether stdout is a terminal.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
from typing import Any

from mfu_advisor.report.model import Command, Report

#: command -> module holding its ``render(payload, console)``.
SECTIONS: dict[Command, str] = {
    Command.PROBE: "mfu_advisor.report.terminal.hardware",
    Command.BENCH: "mfu_advisor.report.terminal.bench",
    Command.ANALYZE: "mfu_advisor.report.terminal.analysis",
    Command.DIAGNOSE: "mfu_advisor.report.terminal.diagnose",
}


def render_terminal(
    report: Report, *, width: int | None = None, color: bool | None = None, **_options: Any
) -> str:
    """Render ``report`` for a terminal of ``width`` columns (default: this terminal's)."""
    from rich.console import Console

    if color is None:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or _terminal_width(),
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
    )
    module = importlib.import_module(SECTIONS[report.command])
    module.render(report.payload, console)
    return buffer.getvalue()


def _terminal_width() -> int:
    try:
        return max(40, min(os.get_terminal_size().columns, 160))
    except OSError:
        return 100
