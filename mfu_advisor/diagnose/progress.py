"""The diagnosis's progress on stderr: a redrawn status line on a terminal, else one plain
line per phase; only the report goes to stdout."""

from __future__ import annotations

import sys
from typing import Any

from rich.markup import escape

from mfu_advisor.sanitize import terminal_safe


class DiagnoseProgress:
    """What the orchestration reports while it runs; this one shows nothing (tests, library)."""

    def phase(self, name: str, detail: str, elapsed_s: float, budget_s: float) -> None:
        """A phase began."""

    def child(self, name: str, line: str) -> None:
        """A subprocess wrote a progress line."""

    def outcome(self, text: str) -> None:
        """A phase ended with this one-line result."""

    def close(self) -> None:
        """The diagnosis ended."""


class StderrDiagnoseProgress(DiagnoseProgress):
    """Progress on stderr: a redrawn status on a terminal, plain lines otherwise."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(file=sys.stderr, highlight=False, emoji=False)
        self.interactive = self.console.is_terminal
        self._status: Any = None
        self._head = ""

    def phase(self, name: str, detail: str, elapsed_s: float, budget_s: float) -> None:
        # Text from outside (a child's stderr, names) is made terminal-safe; the redrawn status
        # is rich markup, so there its brackets are escaped.
        name, detail = terminal_safe(name), terminal_safe(detail)
        self._head = f"diagnose [{elapsed_s:4.0f}/{budget_s:.0f} s] {name}"
        text = f"{self._head}: {detail}" if detail else self._head
        if not self.interactive:
            self.console.print(text, markup=False, soft_wrap=True)
        elif self._status is None:
            self._status = self.console.status(escape(text))
            self._status.start()
        else:
            self._status.update(escape(text))

    def child(self, name: str, line: str) -> None:
        shown = terminal_safe(line.removeprefix("bench: "))
        if self.interactive and self._status is not None:
            self._status.update(escape(f"{self._head}: {shown}"))

    def outcome(self, text: str) -> None:
        self.console.print(f"  {terminal_safe(text)}", markup=False, soft_wrap=True)

    def close(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
