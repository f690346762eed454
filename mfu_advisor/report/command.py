"""``mfu-advisor report RESULT.json``: re-render a saved result.

Reads what ``probe``, ``bench``, ``analyze`` or ``diagnose`` printed with
``--json`` and prints it as text (default), JSON, Markdown, or writes HTML,
exactly as the original command would have, since every renderer reads only
the saved document. ``-`` reads standard input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from mfu_advisor.errors import UserError
from mfu_advisor.report.model import Report
from mfu_advisor.report.options import output_options
from mfu_advisor.report.output import emit

#: A saved result larger than this is not something mfu-advisor wrote (a 100,000-step
#: analyze result is about 10 MB).
MAX_RESULT_BYTES = 512 * 1024 * 1024


def load_result(source: str) -> Report:
    """Read a saved JSON result; anything else raises :class:`UserError` with one line."""
    if source == "-":
        raw = sys.stdin.buffer.read()
        shown = "standard input"
    else:
        path = Path(source)
        shown = str(path)
        if not path.exists():
            raise UserError(f"{shown} does not exist")
        if path.is_dir():
            raise UserError(f"{shown} is a directory, not a saved JSON result")
        try:
            if path.stat().st_size > MAX_RESULT_BYTES:
                raise UserError(f"{shown} is too large to be an mfu-advisor result")
            raw = path.read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{shown} is not JSON (not UTF-8 text)") from None
    if not text.strip():
        raise UserError(f"{shown} is empty, not a saved JSON result")
    try:
        document: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{shown} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise UserError(f"{shown} is not an mfu-advisor result (nested too deeply)") from None
    return Report.from_json(document)


@click.command("report")
@click.argument("result", metavar="RESULT.json")
@output_options
def report(result: str, as_json: bool, markdown: bool, html_path: str | None, redact: bool) -> None:
    """Re-render a saved JSON result (from --json) as text, Markdown, JSON or HTML.

    RESULT.json is what `mfu-advisor probe|bench|analyze|diagnose --json` printed;
    `-` reads it from standard input. Example:

      mfu-advisor diagnose --json > result.json
      mfu-advisor report result.json --html report.html
    """
    emit(
        load_result(result), as_json=as_json, markdown=markdown, html_path=html_path, redact=redact
    )
