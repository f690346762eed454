"""The output options every reporting command shares, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

F = TypeVar("F", bound=Callable[..., object])


def output_options(command: F) -> F:
    """Add ``--json``, ``--markdown``, ``--html PATH`` and ``--redact`` to a click command.

    The command receives them as ``as_json``, ``markdown``, ``html_path`` and
    ``redact`` and passes them to :func:`mfu_advisor.report.output.emit`.
    """
    decorators = [
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        click.option(
            "--markdown", is_flag=True, help="Print the result as Markdown (for a GitHub issue)."
        ),
        click.option(
            "--html",
            "html_path",
            type=click.Path(dir_okay=False, writable=False),
            default=None,
            help="Also write a self-contained HTML report to this file.",
        ),
        click.option(
            "--redact",
            is_flag=True,
            help="Remove host names, user names, home paths and serial numbers.",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command
