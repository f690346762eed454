"""How every command hands its report to the user: stdout, and files written atomically."""

from __future__ import annotations

import dataclasses
import sys

import click

from mfu_advisor.errors import UserError
from mfu_advisor.files import silence_stdout, write_atomic
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report
from mfu_advisor.sanitize import colour_wanted, terminal_safe, terminal_safe_data


def emit(
    report: Report,
    *,
    as_json: bool = False,
    markdown: bool = False,
    html_path: str | None = None,
    redact: bool = False,
) -> None:
    """Print ``report`` (text, JSON or Markdown; JSON wins) and write the HTML file if asked.

    The one place reports reach the terminal: payload strings are made terminal-safe, colour
    only on a terminal without NO_COLOR, and "redacted" shows only when this run redacted.
    """
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        raise UserError("standard output is closed; redirect it to a file to keep the report")
    report = dataclasses.replace(report, payload=terminal_safe_data(report.payload), redacted=False)
    if redact:
        report = redact_report(report)
    if as_json:
        fmt = OutputFormat.JSON
    elif markdown:
        fmt = OutputFormat.MARKDOWN
    else:
        fmt = OutputFormat.TEXT
    # Everything is rendered before anything is written, and the report reaches stdout
    # before the file: a file that cannot be written then costs no result.
    html = render(report, OutputFormat.HTML) if html_path else None
    if fmt is OutputFormat.TEXT:
        colour = colour_wanted(_is_terminal())
        text = render(report, fmt, color=colour)
        if not colour:
            text = terminal_safe(text)
    else:
        text = terminal_safe(render(report, fmt))
    write_stdout(text)
    if html_path and html is not None:
        write_atomic(html_path, html)
        click.echo(f"HTML report written to {terminal_safe(html_path)}", err=True)


def redact_report(report: Report) -> Report:
    """A copy of ``report`` with host names, user names, paths, keys and serials removed
    (mfu_advisor.redaction), so every format is redacted alike."""
    from mfu_advisor.redaction import find_secrets, redact_value

    secrets = find_secrets(report.payload, local=True)
    payload = redact_value(report.payload, secrets)
    return dataclasses.replace(report, payload=payload, redacted=True)


def write_stdout(text: str) -> None:
    """Print ``text`` on standard output now; a full disk or closed pipe is one line, exit 2."""
    try:
        click.echo(text, nl=False)
        if sys.stdout is not None:
            sys.stdout.flush()
    except OSError as exc:
        silence_stdout()
        raise UserError(
            f"cannot write the report to standard output ({exc.strerror or exc})"
        ) from None


def _is_terminal() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (ValueError, OSError):  # closed or detached
        return False
