"""Reading inputs end to end: open, detect the format, parse every chunk, analyse.

:func:`analyze_inputs` is the entry point other layers use (``diagnose --from-log`` too).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mfu_advisor.errors import UserError
from mfu_advisor.logs.analysis import analyze
from mfu_advisor.logs.chunk import Chunk
from mfu_advisor.logs.collect import RANK_SINKS_CAP, StepCollector
from mfu_advisor.logs.detect import Detection, detect, forced
from mfu_advisor.logs.formats import format_names, get_format
from mfu_advisor.logs.formats.base import Parser
from mfu_advisor.logs.launch import read_launch
from mfu_advisor.logs.normalise import LineNormaliser, fit
from mfu_advisor.logs.numbers import parse_value
from mfu_advisor.logs.peak import HardwareRequest
from mfu_advisor.logs.ranks import (
    RankStyle,
    detect_style,
    split_by_rank,
    strip_chunk,
    strip_lines,
)
from mfu_advisor.logs.reader import LogInput, open_input, open_paste, stdin_is_terminal
from mfu_advisor.logs.result import LogAnalysis

_KEY = re.compile(r"^[A-Za-z_]\w*$")

#: Two inputs whose formats differ at least this confidently are refused together.
CONFLICT_CONFIDENCE = 0.5


def parse_settings(settings: Sequence[str]) -> dict[str, Any]:
    """``--set KEY=VALUE`` options as a dict of typed values."""
    out: dict[str, Any] = {}
    for setting in settings:
        key, sep, raw = setting.partition("=")
        key = key.strip()
        if not sep or not _KEY.match(key) or not raw.strip():
            raise UserError(f"--set expects KEY=VALUE (e.g. --set batch_size=12), got {setting!r}")
        value = parse_value(raw)
        _check_setting(key, value)
        out[key] = value
    return out


#: ``--set`` keys whose value is a size, a count or a time: a number above zero.
POSITIVE_SETTINGS = frozenset(
    {"batch_size", "block_size", "seq_len", "max_seq_len", "n_layer", "n_head", "n_embd"}
    | {"vocab_size", "gradient_accumulation_steps", "tokens_per_step", "flops_per_token"}
    | {"n_params", "devices", "step_time_ms", "train_batch_size", "local_batch_size"}
    | {"global_batch_size", "log_interval"}
)


def _check_setting(key: str, value: Any) -> None:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if key in POSITIVE_SETTINGS and not number:
        raise UserError(f"--set {key} needs a number above 0, got {value!r}")
    if not number:
        return
    if not math.isfinite(value) or value < 0:
        raise UserError(f"--set {key}={value}: a finite number of at least 0 is needed")
    if key in POSITIVE_SETTINGS and value <= 0:
        raise UserError(f"--set {key}={value}: must be above 0")


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


@dataclass
class Prepared:
    """One opened input and how its lines are cleaned before a parser sees them."""

    log: LogInput
    outer: LineNormaliser  # prefixes around each line (timestamps, quotes; normalise.py)
    rank_style: RankStyle | None = None
    first_rank: int | None = None  # the lowest rank among the first lines' prefixes
    inner: LineNormaliser | None = None  # prefixes inside the rank prefixes
    lines: tuple[str, ...] = ()  # the first lines, cleaned: what detection reads

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk of the input with the outer prefixes removed (rank prefixes kept)."""
        apply = self.outer.apply
        for chunk in self.log.chunks():
            yield Chunk(apply(chunk.data), chunk.first_line)


def prepare(log: LogInput, *, keep_own_stamps: bool = True) -> Prepared:
    """Decide from ``log``'s first lines how to clean them: prefixes, then rank prefixes."""
    raw = log.peek_lines()
    outer = fit(raw, keep_own_stamps=keep_own_stamps)
    lines = outer.lines(raw)
    style = detect_style(lines)
    if style is None:
        return Prepared(log, outer, lines=tuple(lines))
    stripped, first_rank = strip_lines(lines, style)
    inner = fit(stripped, keep_own_stamps=keep_own_stamps)
    return Prepared(log, outer, style, first_rank, inner, tuple(inner.lines(stripped)))


def choose_format(inputs: Sequence[Prepared], format_name: str = "auto") -> Detection:
    """The format to read every input with: ``--format``, else detection on each input's start."""
    if format_name != "auto":
        if format_name not in format_names():
            raise UserError(
                f"unknown format {format_name!r}; known formats: {', '.join(format_names())}"
            )
        return forced(format_name)
    found: list[tuple[Prepared, Detection]] = []
    for log in inputs:
        detection = detect(log.lines)
        if detection is not None:
            found.append((log, detection))
    if not found:
        raise UserError(_nothing_found([p.log for p in inputs]))
    confident = [
        (log, d) for log, d in found if d.confidence >= CONFLICT_CONFIDENCE and d.format.specific
    ]
    names = {d.format.name for _, d in confident}
    if len(names) > 1:
        described = "; ".join(f"{log.log.name} looks like {d.format.name}" for log, d in confident)
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
            f"(known formats: {', '.join(format_names())})"
        )
    return (
        f"no training steps found in {names}: not a log format mfu-advisor knows "
        f"(known formats: {', '.join(format_names())})"
    )


def read_all(inputs: Sequence[Prepared], detection: Detection) -> StepCollector:
    """Parse every input with the chosen format into one collector."""
    sink = StepCollector()
    for log in inputs:
        sink.begin_file(log.log.name)
        style = log.rank_style
        if style is not None:
            sink.rank_prefix = sink.rank_prefix or style.name
            sink.meta["rank_prefixed"] = True
            if sink.primary_rank is None:
                sink.primary_rank = log.first_rank
        parser = detection.format.parser(sink)
        inner = None if log.inner is None or log.inner.prefixes is None else log.inner.apply
        # One parser per rank: parsers keep state between lines (logs/ranks.py split_by_rank).
        parsers: dict[int, Parser] = {}
        for chunk in log.chunks():
            sink.mark_cut_line(log.log.stats.unterminated_line)
            if style is None:
                parser.feed(chunk)
                continue
            chunk = strip_chunk(chunk, style, inner)
            sink.begin_chunk(chunk.ranks)
            for rank, part in split_by_rank(chunk, sink.primary_rank, RANK_SINKS_CAP + 1):
                if rank not in parsers:
                    target = sink.for_rank(rank)
                    parsers[rank] = parser if target is sink else detection.format.parser(target)
                parsers[rank].feed(part)
        sink.end_file(log.log.stats)
    return sink


def prepare_all(inputs: Sequence[LogInput], format_name: str) -> tuple[list[Prepared], Detection]:
    """Clean every input's first lines and choose the format."""
    prepared = [prepare(log) for log in inputs]
    detection = choose_format(prepared, format_name)
    if not detection.format.reads_own_stamps:
        full = [prepare(log, keep_own_stamps=False) for log in inputs]
        if any(f.lines != p.lines for f, p in zip(full, prepared, strict=True)):
            prepared = full
            detection = choose_format(prepared, format_name)
    return prepared, detection


def _can_reread(specs: Sequence[str]) -> bool:
    """True when every input is a file that can be opened again (not stdin or a paste)."""
    return bool(specs) and all(os.path.isfile(spec) for spec in specs)


def analyze_inputs(
    specs: Sequence[str],
    *,
    format_name: str = "auto",
    overrides: Mapping[str, Any] | None = None,
    request: HardwareRequest | None = None,
    world_size: int | None = None,
) -> LogAnalysis:
    """Open, detect, read and analyse ``specs`` (paths or ``-``)."""
    inputs = open_inputs(specs)
    try:
        prepared, detection = prepare_all(inputs, format_name)
        launch = read_launch(line for log in prepared for line in log.lines)
        sink = read_all(prepared, detection)
    finally:
        for log in inputs:
            log.close()
    if sink.count == 0 and _can_reread(specs):
        # The chosen format read no step line: try the next candidate (logs/detect.py).
        for name in detection.candidates[1:]:
            retry = Detection(get_format(name), detection.confidence / 2, detection.scores)
            keep = retry.format.reads_own_stamps
            inputs = open_inputs(specs)
            try:
                again = read_all([prepare(log, keep_own_stamps=keep) for log in inputs], retry)
            finally:
                for log in inputs:
                    log.close()
            if again.count:
                sink, detection = again, retry
                break
    if sink.count == 0 and not sink.summary:
        names = ", ".join(log.name for log in inputs)
        if all(log.stats.bytes_read == 0 for log in inputs):
            raise UserError(_nothing_found(inputs))
        raise UserError(
            f"no training step lines found in {names} "
            f"(read as {detection.format.title}; known formats: {', '.join(format_names())})"
        )
    return analyze(
        sink, detection, overrides=overrides, request=request, launch=launch, world_size=world_size
    )
