"""How every command hands its report to the user: stdout and optional files.

Only the report goes to stdout; progress and notes go to stderr. Files are
written atomically (mfu_advisor.files.write_atomic).
"""

from __future__ import annotations

import click

from mfu_advisor.files import write_atomic
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report


def emit(
    report: Report,
    *,
    as_json: bool = False,
    markdown: bool = False,
    html_path: str | None = None,
    redact: bool = False,
) -> None:
    """Print ``report`` (text, or JSON/Markdown when asked) and write the HTML file if asked.

    Every command with a report takes the same options and passes them here:
    ``--json``, ``--markdown``, ``--html PATH`` and ``--redact`` (remove host
    names, user names, home paths and serial numbers from every output). With
    both ``--json`` and ``--markdown``, JSON wins. A file that cannot be written
    raises :class:`mfu_advisor.errors.UserError` (exit code 2) after the report
    has been printed.
    """
    if redact:
        from mfu_advisor.report.redact import redact_report

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
    click.echo(render(report, fmt), nl=False)
    if html_path and html is not None:
        write_atomic(html_path, html)
        click.echo(f"HTML report written to {html_path}", err=True)
