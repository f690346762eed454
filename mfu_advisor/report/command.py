"""``mfu-advisor report RESULT.json``: re-render a saved result (``-`` reads standard input)."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import click

from mfu_advisor.errors import UserError
from mfu_advisor.files import strict_json
from mfu_advisor.report.model import Report
from mfu_advisor.report.options import output_options
from mfu_advisor.report.output import emit
from mfu_advisor.sanitize import one_line

#: A saved result larger than this is not something mfu-advisor wrote (a 100,000-step
#: analyze result is about 10 MB).
MAX_RESULT_BYTES = 512 * 1024 * 1024


#: Deepest nesting of objects and lists accepted (mfu-advisor writes fewer than 12 levels).
MAX_RESULT_DEPTH = 64


def load_result(source: str) -> Report:
    """Read a saved JSON result; anything else raises :class:`UserError` with one line."""
    if source == "-":
        shown = "standard input"
        raw = _read_capped(sys.stdin.buffer, shown)
    else:
        path = Path(source)
        shown = one_line(str(path), 200)
        try:
            info = path.stat()
        except FileNotFoundError:
            raise UserError(f"{shown} does not exist") from None
        except OSError as exc:
            raise UserError(f"cannot read {shown}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(info.st_mode):
            raise UserError(f"{shown} is a directory, not a saved JSON result")
        # A pipe (`report <(cmd)`) is read like standard input; a device (/dev/zero)
        # or socket never ends or never holds a result.
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            raise UserError(f"{shown} is a device or special file, not a saved JSON result")
        if info.st_size > MAX_RESULT_BYTES:
            raise UserError(f"{shown} is too large to be an mfu-advisor result")
        try:
            with open(path, "rb") as handle:
                raw = _read_capped(handle, shown)
        except OSError as exc:
            raise UserError(f"cannot read {shown}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{shown} is not JSON (not UTF-8 text)") from None
    if not text.strip():
        raise UserError(f"{shown} is empty, not a saved JSON result")
    try:
        document: Any = strict_json(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{shown} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except ValueError as exc:  # NaN/Infinity, or an integer of over 4,300 digits
        reason = one_line(str(exc), 120)
        raise UserError(f"{shown} is not an mfu-advisor result ({reason})") from None
    except RecursionError:
        raise UserError(f"{shown} is not an mfu-advisor result (nested too deeply)") from None
    if _depth_exceeds(document, MAX_RESULT_DEPTH):
        raise UserError(
            f"{shown} is not an mfu-advisor result (nested over {MAX_RESULT_DEPTH} levels deep)"
        )
    return Report.from_json(document)


def _read_capped(handle: Any, shown: str) -> bytes:
    """Up to MAX_RESULT_BYTES from a file or stream; more is refused, not read to the end."""
    raw: bytes = handle.read(MAX_RESULT_BYTES + 1)
    if len(raw) > MAX_RESULT_BYTES:
        raise UserError(f"{shown} is too large to be an mfu-advisor result")
    return raw


def _depth_exceeds(document: Any, limit: int) -> bool:
    """True when objects and lists nest more than ``limit`` levels (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


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
