"""Terminal renderer (rich): one module per report section.

Each section module exposes ``render(payload, console)`` that prints one
command's payload (the JSON-ready data of the report) to a rich console.
``render_terminal`` picks the section by what the payload holds (see
report/content/document.py), prints the report's title and small print around
it, and returns the text; colour follows ``NO_COLOR`` and whether stdout is a
terminal. A section module that is not there (yet) falls back to the generic
drawing of the report's content (terminal/blocks.py), so a report always prints.
"""

from __future__ import annotations

import importlib
import io
import os
import shutil
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
    from mfu_advisor.report.content.document import build_document, payload_kind
    from mfu_advisor.report.terminal.blocks import render_document

    kind = payload_kind(report.payload, report.command.value)
    module_name = SECTIONS.get(Command(kind)) if kind in set(Command) else None
    module = _section_module(module_name) if module_name else None
    if module is None:
        render_document(build_document(report, detailed=False), console)
    else:
        if report.redacted:
            console.print("(redacted: identifying values removed)", style="dim", markup=False)
        module.render(report.payload, console)
    output = buffer.getvalue()
    if not color:
        # rich pads table rows to the full width; trailing blanks only get in the way of
        # copying and diffing.
        output = "\n".join(line.rstrip() for line in output.split("\n"))
    return output


def _section_module(name: str) -> Any:
    """The section module, or None when it does not exist in this installation."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the module exists but something it imports is missing
            raise
        return None


def _terminal_width() -> int:
    # COLUMNS when set, else the terminal's width, else 100 (output to a file or a pipe).
    columns = shutil.get_terminal_size(fallback=(100, 24)).columns
    return max(40, min(columns, 160))
