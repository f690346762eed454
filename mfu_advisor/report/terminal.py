"""Terminal renderer (rich): the short document (``detailed=False``), colour unless NO_COLOR;
payload text goes through ``Text``, never rich markup."""

from __future__ import annotations

import io
import os
import shutil
import sys
from collections.abc import Callable
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table as RichTable
from rich.text import Text

from mfu_advisor.report.content.blocks import (
    Block,
    Chart,
    Document,
    Findings,
    Headline,
    KeyValues,
    Paragraph,
    Section,
    Table,
    Tone,
)
from mfu_advisor.report.content.document import build_document
from mfu_advisor.report.model import Report
from mfu_advisor.report.values import Cell, Missing


def render_terminal(
    report: Report, *, width: int | None = None, color: bool | None = None, **_options: Any
) -> str:
    """Render ``report`` for a terminal of ``width`` columns (default: this terminal's)."""
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


#: Tone -> rich style. Colours are dropped by the console under NO_COLOR.
STYLES = {
    Tone.PLAIN: "",
    Tone.GOOD: "green",
    Tone.BAD: "red",
    Tone.WARN: "yellow",
    Tone.MUTED: "dim",
}

KIND_LABELS = {"do": "DO", "dont": "DON'T", "info": "INFO"}


def as_text(value: Cell, style: str = "") -> Text:
    """A cell as rich Text; a missing value is a dim dash with its reason."""
    if isinstance(value, Missing):
        return Text(str(value), style="dim")
    return Text(str(value), style=style)


def render_document(document: Document, console: Console) -> None:
    """The whole document: title, sections, and the small print."""
    console.print(Text(document.title, style="bold"))
    if document.subtitle:
        console.print(Text(document.subtitle, style="dim"))
    if document.redacted:
        console.print(Text("(redacted: identifying values removed)", style="dim"))
    for section in document.sections:
        render_section(section, console)


def render_section(section: Section, console: Console) -> None:
    """A section heading and its blocks."""
    console.print()
    console.rule(Text(section.title, style="bold"), align="left", style="dim")
    # Charts are skipped: their numbers are in tables and sentences too.
    shown = [block for block in section.blocks if not isinstance(block, Chart)]
    for previous, block in zip([None, *shown], shown, strict=False):
        if previous is not None and _stands_apart(previous, block):
            console.print()
        DRAWERS[type(block)](block, console)


def _stands_apart(previous: Block, block: Block) -> bool:
    """A blank line before a titled block, and after a table or the headline."""
    titled = isinstance(block, (KeyValues, Table, Findings)) and bool(block.title)
    return titled or isinstance(previous, (Headline, KeyValues, Table, Findings))


def _headline(block: Headline, console: Console) -> None:
    if not block.figures:
        return
    grid = RichTable.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column(style="dim", overflow="fold")
    for figure in block.figures:
        value_style = "bold " + STYLES.get(figure.tone, "") if figure.tone != Tone.MUTED else ""
        if isinstance(figure.value, Missing):
            # The dash and why go where the detail would be: a long reason wraps there.
            shown, detail = Text(""), str(figure.value)
        else:
            shown, detail = as_text(figure.value, value_style.strip()), figure.detail
        grid.add_row(Text(figure.label), shown, Text(detail))
    console.print(grid)


def _paragraph(block: Paragraph, console: Console) -> None:
    body = Text(block.text, style=STYLES.get(block.tone, ""))
    if block.emphasis:
        console.print(Panel(body, box=box.ROUNDED, padding=(0, 1)))
    else:
        console.print(body)


def _title(title: str, console: Console) -> None:
    if title:
        console.print(Text(title, style="bold"))


def _key_values(block: KeyValues, console: Console) -> None:
    _title(block.title, console)
    grid = RichTable.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=False, max_width=28)
    grid.add_column(overflow="fold")
    for label, value in block.rows:
        grid.add_row(Text(label), as_text(value))
    console.print(Padding(grid, (0, 0, 0, 2)))


#: Narrower than this many columns per table column, a table prints as one record per row.
MIN_COLUMN_WIDTH = 16


def _table(block: Table, console: Console) -> None:
    _title(block.title, console)
    if len(block.columns) > 3 and console.width < MIN_COLUMN_WIDTH * len(block.columns):
        _records(block, console)
    else:
        _grid_table(block, console)
    if block.note:
        console.print(Text(block.note, style="dim"))


def _records(block: Table, console: Console) -> None:
    # A narrow terminal: "first cell" in bold, then "column: value" lines indented.
    for row in block.rows:
        console.print(Padding(as_text(row[0], "bold"), (0, 0, 0, 2)))
        grid = RichTable.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for column, value in zip(block.columns[1:], row[1:], strict=False):
            if value != "":
                grid.add_row(Text(f"{column}:"), as_text(value))
        console.print(Padding(grid, (0, 0, 0, 4)))


def _grid_table(block: Table, console: Console) -> None:
    table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for index, column in enumerate(block.columns):
        table.add_column(
            Text(column), justify="right" if block.is_numeric(index) else "left", overflow="fold"
        )
    for row in block.rows:
        table.add_row(*(as_text(c) for c in row))
    console.print(table)


def _findings(block: Findings, console: Console) -> None:
    _title(block.title, console)
    if not block.items:
        if block.empty_text:
            console.print(Padding(Text(block.empty_text, style="dim"), (0, 0, 0, 2)))
        return
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True, width=4)
    grid.add_column(overflow="fold")
    for number, item in enumerate(block.items, start=1):
        style = STYLES.get(item.tone, "")
        head = Text(f"[{KIND_LABELS.get(item.kind, item.kind.upper())}] ", style=style or "bold")
        head.append(item.title, style="bold")
        if item.severity:
            head.append(f" ({item.severity})", style="dim")
        lines: list[Text] = [head]
        if item.gain:
            lines.append(Text(item.gain, style=style if item.verified else "dim"))
        if item.explanation:
            lines.append(Text(item.explanation))
        if item.fix:
            fix = Text("instead: " if item.kind == "dont" else "fix: ", style="dim")
            fix.append(item.fix, style="bold" if item.kind == "do" else "")
            lines.append(fix)
        grid.add_row(Text(f"{number}."), Group(*lines))
    console.print(grid)


#: block type -> its drawer on a console.
DRAWERS: dict[type, Callable[[Any, Console], None]] = {
    Headline: _headline,
    Paragraph: _paragraph,
    KeyValues: _key_values,
    Table: _table,
    Findings: _findings,
}
