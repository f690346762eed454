"""The live status line on a terminal's stderr: erased before each write of the child's output,
redrawn once the cursor is back at a line start, so no line of the child's is broken."""

from __future__ import annotations

import contextlib
import os
import shutil

#: ECMA-48: carriage return, then EL (erase in line) from the cursor to the end.
_ERASE = b"\r\x1b[K"


def status_wanted() -> bool:
    """Whether to show the status line: stderr is a terminal that understands escapes."""
    return os.isatty(2) and os.environ.get("TERM", "") != "dumb"


class StatusLine:
    """Draws, erases and redraws the status line on stderr."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.text = ""
        self.shown = False
        self.at_line_start = True
        self._terminal_fds = {fd for fd in (1, 2) if os.isatty(fd)} if enabled else set()

    def update(self, text: str = "") -> None:
        """Show ``text`` (else the last one), cut to the terminal's width, at a line start."""
        self.text = text or self.text
        if self.enabled and self.text and self.at_line_start:
            width = shutil.get_terminal_size(fallback=(100, 24)).columns
            self._write(_ERASE + self.text[: max(10, width - 1)].encode("utf-8", "replace"))
            self.shown = True

    def erase(self) -> None:
        if self.shown:
            self._write(_ERASE)
            self.shown = False

    def before_output(self, fd: int) -> None:
        """Called before the child's bytes are written to ``fd``."""
        if fd in self._terminal_fds:
            self.erase()

    def after_output(self, fd: int, data: bytes) -> None:
        """Called after; redraws once the cursor is at the start of a line again."""
        if fd in self._terminal_fds and data:
            self.at_line_start = data.endswith(b"\n")
            self.update()

    def _write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(2, data)
