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
from mfu_advisor.logs.collect import RANK_SINKS_CAP, StepCollector
from mfu_advisor.logs.detect import Detection, detect, forced
from mfu_advisor.logs.formats import format_names
from mfu_advisor.logs.formats.base import Parser
from mfu_advisor.logs.launch import LaunchFacts, read_launch
from mfu_advisor.logs.numbers import parse_value
from mfu_advisor.logs.peak import HardwareRequest
from mfu_advisor.logs.ranks import (
    detect_style,
    lowest_rank,
    split_by_rank,
    strip_chunk,
    strip_lines,
)
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
        detection = detect(first_lines(log))
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


def find_rank_prefixes(log: LogInput) -> None:
    """Decide from its first lines whether ``log``'s lines carry rank prefixes (logs/ranks.py)."""
    lines = log.peek_lines()
    log.rank_style = detect_style(lines)
    log.first_rank = lowest_rank(lines, log.rank_style)


def first_lines(log: LogInput) -> list[str]:
    """The lines format detection and launch facts read, rank prefixes removed."""
    return strip_lines(log.peek_lines(), log.rank_style)


def read_launch_facts(inputs: Sequence[LogInput]) -> LaunchFacts:
    """World size, parallelism and backend as the first lines of the inputs state them."""
    return read_launch(line for log in inputs for line in first_lines(log))


def read_all(inputs: Sequence[LogInput], detection: Detection) -> StepCollector:
    """Parse every input with the chosen format into one collector."""
    sink = StepCollector()
    for log in inputs:
        sink.begin_file(log.name)
        style = log.rank_style
        if style is not None:
            sink.rank_prefix = sink.rank_prefix or style.name
            sink.meta["rank_prefixed"] = True
            if sink.primary_rank is None:
                sink.primary_rank = log.first_rank
        parser = detection.format.parser(sink)
        # One parser per rank: parsers keep state between lines (logs/ranks.py split_by_rank).
        parsers: dict[int, Parser] = {}
        for chunk in log.chunks():
            if style is None:
                parser.feed(chunk)
                continue
            chunk = strip_chunk(chunk, style)
            sink.begin_chunk(chunk.ranks, chunk.first_line)
            for rank, part in split_by_rank(chunk, sink.primary_rank, RANK_SINKS_CAP + 1):
                if rank not in parsers:
                    parsers[rank] = parser if not parsers else detection.format.parser(sink)
                parsers[rank].feed(part)
        for other in parsers.values():
            if other is not parser:
                other.finish()
        parser.finish()
        sink.end_file(log.stats)
    return sink


def analyze_inputs(
    specs: Sequence[str],
    *,
    format_name: str = "auto",
    overrides: Mapping[str, Any] | None = None,
    request: HardwareRequest | None = None,
    world_size: int | None = None,
) -> LogAnalysis:
    """Open, detect, read and analyse ``specs`` (paths or ``-``).

    ``world_size`` (``analyze --world-size``) is the number of processes the job ran,
    overriding what the log says (docs/analyze.md, "Distributed runs").
    """
    if world_size is not None and world_size < 1:
        raise UserError(f"--world-size must be at least 1, got {world_size}")
    inputs = open_inputs(specs)
    try:
        for log in inputs:
            find_rank_prefixes(log)
        detection = choose_format(inputs, format_name)
        launch = read_launch_facts(inputs)
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
    return analyze(
        sink, detection, overrides=overrides, request=request, launch=launch, world_size=world_size
    )
