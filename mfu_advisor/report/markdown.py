"""Markdown renderer: a report for a GitHub issue, every value escaped, under its size limit."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from mfu_advisor.report.content.blocks import (
    Block,
    Chart,
    Document,
    Findings,
    Headline,
    KeyValues,
    Paragraph,
    Table,
)
from mfu_advisor.report.content.document import build_document
from mfu_advisor.report.json_format import readable_json
from mfu_advisor.report.model import Report
from mfu_advisor.report.series import replace_series, series_length
from mfu_advisor.report.values import Cell, Missing

#: GitHub refuses issue bodies longer than this many characters.
GITHUB_BODY_LIMIT = 65_536
#: Room left for the user's own words around the report.
RAW_FACTS_BUDGET = 60_000

#: Characters with a meaning in GFM inline text, escaped with a backslash.
_BACKSLASHED = re.compile(r"([\\`*_\[\]|~#!])")
#: "-", "+" or "1." at the start of a text would make it a list item.
_LIST_MARKER = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)")


def escape(value: str) -> str:
    """Plain text as GFM inline text: markup characters escaped, HTML neutralised."""
    out = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    out = _BACKSLASHED.sub(r"\\\1", out)
    # A leading "-", "+" or "1." would start a list.
    out = _LIST_MARKER.sub(lambda m: m.group(1) + _escape_marker(m.group(2)), out)
    return out.replace("\r\n", "\n").replace("\r", "\n")


def _escape_marker(marker: str) -> str:
    return "\\" + marker if marker in "-+" else marker[:-1] + "\\."


def inline(value: str) -> str:
    """Escaped text on one line (table cells, list items): newlines become ``<br>``."""
    return escape(value).replace("\n", "<br>")


def code(value: str) -> str:
    """Inline code that survives backticks in ``value`` (not for table cells)."""
    flat = value.replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") else flat
    return f"{fence}{padded}{fence}"


def cell_text(value: Cell) -> str:
    """A cell for a table: a missing value is "—" with its reason in italics."""
    if isinstance(value, Missing):
        return f"— _({inline(value.reason)})_" if value.reason else "—"
    return inline(value) if value else ""


def render_markdown(report: Report, **_options: Any) -> str:
    """The report as GitHub-flavoured Markdown."""
    document = build_document(report, detailed=True)
    parts = [_document(document)]
    footer = _footer(document)
    room = RAW_FACTS_BUDGET - sum(len(p) for p in parts) - len(footer) - 2  # 2 joining "\n"
    # Laid out for reading when that fits; else on one line, which a real diagnose result
    # needs (2-core Zen 3, from a log: 45,000 characters laid out, 34,000 on one line,
    # beside a 17,000-character report); else left out.
    raw = next(
        (r for r in (raw_facts(report), raw_facts(report, compact=True)) if len(r) <= room), ""
    )
    parts.append(
        raw or "_Raw facts left out to fit a GitHub issue; attach the `--json` output instead._\n"
    )
    parts.append(footer)
    return "\n".join(parts)


def _document(document: Document) -> str:
    lines = [f"# {escape(document.title)}", ""]
    if document.subtitle:
        lines += [escape(document.subtitle), ""]
    if document.redacted:
        lines += ["_Redacted: host names, user names, home paths and serials removed._", ""]
    for section in document.sections:
        lines += [f"## {escape(section.title)}", ""]
        for block in section.blocks:
            rendered = _block(block)
            if rendered:
                lines += [*rendered, ""]
    return "\n".join(lines)


def _block(block: Block) -> list[str]:
    if isinstance(block, Headline):
        figures = [
            (inline(f.label), f"**{cell_text(f.value)}**", inline(f.detail)) for f in block.figures
        ]
        return _table(("", "", ""), figures, numeric=(False, True, False)) if figures else []
    if isinstance(block, Paragraph):
        body = inline(block.text)
        return [f"> **Verdict:** {body}" if block.emphasis else body]
    if isinstance(block, KeyValues):
        title = [f"**{escape(block.title)}**", ""] if block.title else []
        pairs = [(inline(label), cell_text(value)) for label, value in block.rows]
        return title + _table(("", ""), pairs)
    if isinstance(block, Table):
        title = [f"**{escape(block.title)}**", ""] if block.title else []
        rows = [tuple(cell_text(c) for c in row) for row in block.rows]
        note = ["", f"_{inline(block.note)}_"] if block.note else []
        return title + _table(block.columns, rows, numeric=block.numeric) + note
    if isinstance(block, Findings):
        return _findings(block)
    if isinstance(block, Chart):
        return []  # every chart's numbers are also in a table or a sentence
    return []


def _table(
    columns: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, numeric: tuple[bool, ...] = ()
) -> list[str]:
    """A GFM table of cells already escaped (the column names are escaped here)."""
    align = ["---:" if i < len(numeric) and numeric[i] else "---" for i in range(len(columns))]
    return [
        "| " + " | ".join(inline(c) for c in columns) + " |",
        "|" + "|".join(align) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


_KIND_WORDS = {"do": "Fix", "dont": "Instead", "info": "Fix"}


def _findings(block: Findings) -> list[str]:
    lines = [f"### {escape(block.title)}", ""]
    if not block.items:
        return [*lines, f"_{escape(block.empty_text)}_"] if block.empty_text else []
    for number, item in enumerate(block.items, start=1):
        head = f"{number}. **{inline(item.title)}**"
        tags = [t for t in (item.severity, item.id) if t]
        if tags:
            head += " (" + ", ".join(code(t) if t == item.id else inline(t) for t in tags) + ")"
        lines.append(head)
        if item.gain:
            gain = inline(item.gain)
            lines.append(f"   - {'**' + gain + '**' if item.verified else '_' + gain + '_'}")
        if item.explanation:
            lines.append(f"   - {inline(item.explanation)}")
        if item.fix:
            lines.append(f"   - {_KIND_WORDS.get(item.kind, 'Fix')}: {code(item.fix)}")
    return lines


def raw_facts(report: Report, *, compact: bool = False) -> str:
    """The payload as JSON in a collapsed block, series summarised (``compact``: on one line)."""
    doc = summarise_series(report.to_json())
    if compact:
        body = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    else:
        body = readable_json(doc)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join(
        [
            "<details><summary>Raw facts (JSON)</summary>",
            "",
            f"{fence}json",
            body,
            fence,
            "",
            "</details>",
            "",
        ]
    )


def summarise_series(data: Any) -> Any:
    """A copy of ``data`` whose every ``series`` is replaced by a one-line summary."""

    def summary(_where: str, series: Any) -> str | None:
        points = series_length(series)
        return f"{points} points, left out here (see the --json output)" if points else None

    return replace_series(data, summary)


def _footer(document: Document) -> str:
    meta = " · ".join(f"{inline(k)}: {inline(v)}" for k, v in document.meta)
    return f"<sub>{meta}</sub>\n"
