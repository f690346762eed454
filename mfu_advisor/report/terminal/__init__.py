"""Terminal renderer (rich): the short document (``detailed=False``), colour unless NO_COLOR."""

from __future__ import annotations

import io
import os
import shutil
import sys
from typing import Any

from mfu_advisor.report.model import Report


def render_terminal(
    report: Report, *, width: int | None = None, color: bool | None = None, **_options: Any
) -> str:
    """Render ``report`` for a terminal of ``width`` columns (default: this terminal's)."""
    from rich.console import Console

    from mfu_advisor.report.content.document import build_document
    from mfu_advisor.report.terminal.blocks import render_document

    if color is None:
        # https://no-color.org: NO_COLOR set to a non-empty value turns colour off.
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
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
    render_document(build_document(report, detailed=False), console)
    output = buffer.getvalue()
    if not color:
        # rich pads table rows to the full width; trailing blanks only get in the way of
        # copying and diffing.
        output = "\n".join(line.rstrip() for line in output.split("\n"))
    return output


def _terminal_width() -> int:
    # COLUMNS when set, else the terminal's width, else 100 (output to a file or a pipe).
    columns = shutil.get_terminal_size(fallback=(100, 24)).columns
    return max(40, min(columns, 160))
