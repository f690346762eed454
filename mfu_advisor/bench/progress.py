"""Progress of a bench run on stderr (so ``--json`` stays one clean document on stdout):
a rich bar on a terminal, a few plain lines otherwise."""

from __future__ import annotations

import sys
from typing import Any

from rich.markup import escape

from mfu_advisor.sanitize import terminal_safe


class SilentProgress:
    """What ``run_bench`` tells about its progress; this one reports nothing (library, tests)."""

    def phase(self, text: str) -> None:
        """A new phase began ("warm-up", "measuring", "roofline", ...)."""

    def measured(self, steps: int, measured_s: float, budget_s: float) -> None:
        """A measured step finished; ``measured_s`` of ``budget_s`` seconds are spent."""

    def close(self) -> None:
        """The run is over (or interrupted): remove the bar."""


ProgressSink = SilentProgress


class StderrProgress(SilentProgress):
    """A rich progress bar on stderr when it is a terminal; one line per phase otherwise."""

    def __init__(self, *, prefix: str = "bench") -> None:
        from rich.console import Console

        self.prefix = escape(prefix)
        self.console = Console(file=sys.stderr, highlight=False, emoji=False)
        self.interactive = self.console.is_terminal
        self._bar: Any = None
        self._task: Any = None

    def phase(self, text: str) -> None:
        # Outside names (a GPU's, a path) reach the terminal without escapes or markup.
        text = escape(terminal_safe(text))
        if not self.interactive:
            self.console.print(f"{self.prefix}: {text}", soft_wrap=True)
            return
        if text.startswith("measuring"):
            self._start_bar(text)
        else:
            self._stop_bar()
            self.console.print(f"[dim]{self.prefix}:[/dim] {text}")

    def measured(self, steps: int, measured_s: float, budget_s: float) -> None:
        if self._bar is not None:
            self._bar.update(
                self._task,
                total=budget_s,
                completed=min(measured_s, budget_s),
                steps=steps,
                refresh=False,
            )

    def close(self) -> None:
        self._stop_bar()

    def _start_bar(self, text: str) -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._stop_bar()
        self._bar = Progress(
            TextColumn(f"[dim]{self.prefix}:[/dim] {text}"),
            BarColumn(),
            TextColumn("{task.fields[steps]} steps"),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
            refresh_per_second=4,  # a light redraw thread: the bar shares the CPU with the run
        )
        self._bar.start()
        self._task = self._bar.add_task("measure", total=1.0, steps=0)

    def _stop_bar(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
