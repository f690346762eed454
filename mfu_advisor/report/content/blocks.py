"""The format-neutral blocks a report is made of; every renderer draws every kind
(the text formats skip charts, whose numbers are also in tables).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mfu_advisor.report.values import Cell


class Tone:
    """How a value or sentence should be coloured: good news, bad news, or neither."""

    PLAIN = ""
    GOOD = "good"
    BAD = "bad"
    WARN = "warn"
    MUTED = "muted"


@dataclass(frozen=True)
class Figure:
    """One headline number: "MFU vs measured matmul peak: 50.9%"."""

    label: str
    value: Cell
    detail: str = ""
    """A short qualifier under the number (its denominator, its source)."""
    tone: str = Tone.PLAIN


@dataclass(frozen=True)
class Headline:
    """The few numbers a reader should see first."""

    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Paragraph:
    """A sentence or a paragraph of plain text."""

    text: str
    tone: str = Tone.PLAIN
    emphasis: bool = False
    """Shown prominently (the diagnose verdict)."""


@dataclass(frozen=True)
class KeyValues:
    """Label/value rows: a configuration, a device's facts."""

    rows: tuple[tuple[str, Cell], ...]
    title: str = ""


@dataclass(frozen=True)
class Table:
    """A table of cells; ``numeric`` columns are right-aligned."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    title: str = ""
    numeric: tuple[bool, ...] = ()
    note: str = ""
    """A sentence under the table (what a column means, rows left out)."""

    def is_numeric(self, column: int) -> bool:
        return column < len(self.numeric) and self.numeric[column]


@dataclass(frozen=True)
class FindingItem:
    """One finding of the diagnosis, ready to show."""

    id: str
    kind: str
    """"do", "dont" or "info"."""
    severity: str
    title: str
    explanation: str
    fix: str
    gain: str
    """What was measured ("measured 1.42x faster") or expected, or ""."""
    verified: bool
    """True when an experiment on this machine measured the gain."""
    tone: str = Tone.PLAIN


@dataclass(frozen=True)
class Findings:
    """A ranked list of findings of one kind."""

    title: str
    items: tuple[FindingItem, ...]
    empty_text: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart the HTML draws from ``data`` (see report/charts/); ``kind`` names the drawer."""

    kind: str
    title: str
    data: Mapping[str, Any]
    caption: str = ""
    """What the chart shows, in words, for readers without it (print, screen readers)."""


Block = Headline | Paragraph | KeyValues | Table | Findings | Chart


def present(*blocks: Block | None) -> tuple[Block, ...]:
    """The blocks that are there, in order (a builder returns None for a part it lacks)."""
    return tuple(block for block in blocks if block is not None)


@dataclass(frozen=True)
class Section:
    """A titled part of the report, e.g. "Hardware"."""

    id: str
    """Stable anchor name ("hardware", "findings")."""
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """A whole report, format-neutral."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    meta: tuple[tuple[str, str], ...] = field(default=())
    """Tool version, time, schema version, redaction: shown small at the end."""
    redacted: bool = False
