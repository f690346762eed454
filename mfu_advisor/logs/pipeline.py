"""Reading inputs end to end: open, detect the format, parse every chunk, analyse.

:func:`analyze_inputs` is the one entry point other layers use (``diagnose
--from-log`` reuses it): it takes paths (or ``-``) and returns a
:class:`~mfu_advisor.logs.result.LogAnalysis`, raising ``UserError`` for
input that is not a training log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from mfu_advisor.errors import UserError
from mfu_advisor.logs.analysis import analyze
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.detect import Detection, detect, forced
from mfu_advisor.logs.formats import format_names
from mfu_advisor.logs.numbers import parse_value
from mfu_advisor.logs.peak import HardwareRequest
from mfu_advisor.logs.reader import LogInput, open_input, open_paste, stdin_is_terminal
from mfu_advisor.logs.result import LogAnalysis

_KEY = re.compile(r"^[A-Za-z_]\w*$")

#: Two inputs whose formats differ at least this confidently are refused together.
CONFLICT_CONFIDENCE = 0.5


def known_formats_text() -> str:
    """The known format names, for error messages."""
    return ", ".join(format_names())


def parse_settings(settings: Sequence[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` options as a dict of typed values."""
    out: dict[str, Any] = {}
    for setting in settings:
        key, sep, raw = setting.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key) or not raw.strip():
            raise UserError(f"--set expects KEY=VALUE (e.g. --set batch_size=12), got {setting!r}")
        out[key] = parse_value(raw)
    return out


def open_inputs(specs: Sequence[str]) -> list[LogInput]:
    """Open each path (or ``-``); with none, read stdin, as a paste when it is a terminal."""
    if list(specs).count("-") > 1:
        raise UserError("standard input (-) can be given only once")
    if not specs:
        return [open_paste() if stdin_is_terminal() else open_input("-")]
    inputs: list[LogInput] = []
    try:
        for spec in specs:
            inputs.append(open_input(spec))
    except UserError:
        for opened in inputs:
            opened.close()
        raise
    return inputs


def choose_format(inputs: Sequence[LogInput], format_name: str = "auto") -> Detection:
    """The format to read every input with: ``--format``, else detection on each input's start."""
    if format_name != "auto":
        if format_name not in format_names():
            raise UserError(
                f"unknown format {format_name!r}; known formats: {known_formats_text()}"
            )
        return forced(format_name)
    found: list[tuple[LogInput, Detection]] = []
    for log in inputs:
        detection = detect(log.peek_lines())
        if detection is not None:
            found.append((log, detection))
    if not found:
        raise UserError(_nothing_found(inputs))
    confident = [
        (log, d) for log, d in found if d.confidence >= CONFLICT_CONFIDENCE and d.format.specific
    ]
    names = {d.format.name for _, d in confident}
    if len(names) > 1:
        described = "; ".join(f"{log.name} looks like {d.format.name}" for log, d in confident)
        raise UserError(
            f"the inputs are in different formats ({described}); analyze them one at a time"
        )
    return max((d for _, d in found), key=lambda d: (d.format.specific, d.confidence))


def _nothing_found(inputs: Sequence[LogInput]) -> str:
    names = ", ".join(log.name for log in inputs)
    if all(log.stats.bytes_read == 0 for log in inputs):
        return f"no training log to analyze: {names} {'is' if len(inputs) == 1 else 'are'} empty"
    binary = [log.name for log in inputs if log.stats.nul_bytes]
    if binary:
        return (
            f"{', '.join(binary)} looks like a binary file, not a training log "
            f"(known formats: {known_formats_text()})"
        )
    return (
        f"no training steps found in {names}: not a log format mfu-advisor knows "
        f"(known formats: {known_formats_text()})"
    )


def read_all(inputs: Sequence[LogInput], detection: Detection) -> StepCollector:
    """Parse every input with the chosen format into one collector."""
    sink = StepCollector()
    for log in inputs:
        sink.begin_file(log.name)
        parser = detection.format.parser(sink)
        for chunk in log.chunks():
            parser.feed(chunk)
        parser.finish()
        sink.end_file(log.stats)
    return sink


def analyze_inputs(
    specs: Sequence[str],
    *,
    format_name: str = "auto",
    overrides: Mapping[str, Any] | None = None,
    request: HardwareRequest | None = None,
) -> LogAnalysis:
    """Open, detect, read and analyse ``specs`` (paths or ``-``)."""
    inputs = open_inputs(specs)
    try:
        detection = choose_format(inputs, format_name)
        sink = read_all(inputs, detection)
    finally:
        for log in inputs:
            log.close()
    if sink.count == 0 and not sink.summary and sink.eval_count == 0:
        names = ", ".join(log.name for log in inputs)
        if all(log.stats.bytes_read == 0 for log in inputs):
            raise UserError(_nothing_found(inputs))
        raise UserError(
            f"no {detection.format.title} training steps found in {names} "
            f"(known formats: {known_formats_text()})"
        )
    return analyze(sink, detection, overrides=overrides, request=request)
