"""The output options every reporting command shares, declared once."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from mfu_advisor.errors import UserError

F = TypeVar("F", bound=Callable[..., object])


def check_output_path(
    _ctx: click.Context | None, _param: click.Parameter | None, value: str | None
) -> str | None:
    """Refuse an output path that cannot be written, before any work is done (one line, exit 2)."""
    if value is None:
        return None
    target = Path(value)
    if target.is_dir():
        raise UserError(f"cannot write {target}: it is a directory")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {target}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"cannot write {target}: folder {folder} is not writable")
    if target.exists() and not os.access(target, os.W_OK) and not os.access(folder, os.W_OK):
        raise UserError(f"cannot write {target}: permission denied")
    return value


def output_options(command: F) -> F:
    """Add ``--json``, ``--markdown``, ``--html PATH`` (checked first) and ``--redact``."""
    decorators = [
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        click.option(
            "--markdown", is_flag=True, help="Print the result as Markdown (for a GitHub issue)."
        ),
        click.option(
            "--html",
            "html_path",
            type=click.Path(),
            default=None,
            callback=check_output_path,
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
