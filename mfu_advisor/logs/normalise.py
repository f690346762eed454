"""Line normalisation before detection: BOM, Markdown quotes, indentation, logger and
timestamp prefixes (stacked too), and tqdm bars glued before a line (split onto their own).

:func:`fit` looks at an input's first lines once and returns a :class:`LineNormaliser` that
does only what they need (nothing for plain logs); a fixed-width prefix is removed with numpy,
others with one anchored ``re.sub`` per chunk. ``keep_own_stamps`` keeps torchtitan's and
DeepSpeed's own prefixes, whose timestamps time their steps.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BOM = b"\xef\xbb\xbf"

_LEVEL = rb"(?:TRACE|DEBUG|INFO|NOTICE|WARNING|WARN|ERROR|CRITICAL|FATAL)"
_DATE_TIME = (
    rb"(?:\d{4}-\d\d-\d\d[T ]|\d\d/\d\d/\d{4},? |\d{4}/\d\d/\d\d )"
    rb"\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?: ?(?:Z|UTC|[+-]\d\d:?\d\d))?"
)
_NAME = rb"[\w.<>/-]{1,80}"
#: loguru's "module:function:line".
_PLACE = rb"[\w.<>:/-]{1,120}"

#: One prefix each; a line may carry several, outermost first.
_PREFIXES = (
    # Markdown quote and indentation.
    rb">+[ \t]?",
    rb"[ \t]+",
    # loguru: "2024-05-01 12:00:01.123 | INFO     | __main__:main:12 - "
    _DATE_TIME + rb" \| " + _LEVEL + rb" *\| " + _PLACE + rb" - ",
    # "05/01/2024 12:00:01 - INFO - __main__ - " (transformers' examples), "TS - INFO - "
    _DATE_TIME + rb" - " + _LEVEL + rb" - (?:" + _NAME + rb" - )?",
    # "2024-05-01 12:00:01,123 INFO ", "... [INFO] ", "...:INFO:name:", "... INFO: "
    _DATE_TIME + rb"[ :]\[?" + _LEVEL + rb"\]?(?::" + _NAME + rb":|:? +)",
    # "[2024-05-01 12:00:01,123] INFO: ", Hydra's "[TS][name][INFO] - ", "[TS] "
    rb"\["
    + _DATE_TIME
    + rb"\](?!"
    + rb" \["
    + _LEVEL
    + rb"\] \[[\w.]{1,80}\.py:\d{1,6}:\w{1,80}\])"
    rb"(?:\[[^\]\n]{1,80}\])*(?: - |:)? ?(?:\[?" + _LEVEL + rb"\]?:? +)?"
    # and the tags some loggers add after it: axolotl's "[axolotl.train:60] [PID:1] [RANK:0] "
    rb"(?:\[[\w.:/ -]{1,80}\] )*",
    # A time of day: rich's "[12:00:01] INFO     ", "03:22:14 [INFO] [TRAIN] [Rank 0] ".
    rb"\[\d\d:\d\d:\d\d(?:[.,]\d{1,6})?\] (?:\[?" + _LEVEL + rb"\]?:? +)?",
    rb"\d\d:\d\d:\d\d(?:[.,]\d{1,6})? \[?" + _LEVEL + rb"\]?:? +(?:\[[\w.:/ -]{1,80}\] )*",
    # An ISO timestamp alone ("docker logs -t"), but not torchtitan's "TS - root - INFO - ".
    _DATE_TIME + rb" (?!- )",
    # transformers' logging: "[INFO|trainer.py:2048] 2024-05-01 12:00:01,123 >> "
    rb"\[" + _LEVEL + rb"\|[\w.-]{1,80}:\d{1,6}\] " + _DATE_TIME + rb" >> ",
    # absl / glog: "I0501 12:00:01.123456 140211 train.py:12] "
    rb"[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{1,9} +\d{1,9} [\w.-]{1,80}:\d{1,6}\] ",
    # syslog / journalctl: "May  1 12:00:01 host python[123]: "
    rb"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d"
    rb"(?: [\w.-]{1,80} [\w./-]{1,80}(?:\[\d{1,9}\])?:)? ",
    # logging.basicConfig: "INFO:__main__:", and a bare "INFO: " / "[INFO] "
    _LEVEL + rb":" + _NAME + rb":",
    rb"(?:\[" + _LEVEL + rb"\]|" + _LEVEL + rb"):? +",
)
#: Trainers' own timestamped forms, removed from other trainers' lines only (see the module
#: docstring): torchtitan's Python logging format, DeepSpeed's logger
#: ("[2023-11-07 01:55:23,714] [INFO] [timer.py:260:stop] ").
_OWN_STAMPS = (
    _DATE_TIME + rb" - " + _NAME + rb" - " + _LEVEL + rb" - ",
    rb"\[" + _DATE_TIME + rb"\] \[" + _LEVEL + rb"\] ",
    rb"\[" + _LEVEL + rb" " + _DATE_TIME + rb"\] ",
)


def _stack(parts: Sequence[bytes]) -> re.Pattern[bytes]:
    return re.compile(rb"\n(?:" + rb"|".join(parts) + rb")+")


_STRIP = _stack(_PREFIXES)
_STRIP_ALL = _stack((*_PREFIXES, *_OWN_STAMPS))
#: A tqdm bar's end, "[00:09<00:11, 4.90it/s]" or "[..., 2.1s/it, loss=3.2]", with text after it.
_TQDM_GLUED = re.compile(rb"((?:it/s|s/it)(?:,[^\]\n]{0,200})?\])[ \t]*(?=[^\s])")


#: Byte classes of a learned prefix shape (:class:`Shape`): any digit, or one fixed byte.
_DIGIT = -1


@dataclass(frozen=True)
class Shape:
    """A fixed-width prefix: per column, a digit (:data:`_DIGIT`) or one fixed byte."""

    columns: tuple[int, ...]

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def checked(self) -> tuple[int, ...]:
        """The columns compared on each line: every fixed byte and the first four digits (a line
        without the prefix differs in its separators; all digits would cost twice the time)."""
        digits = [k for k, c in enumerate(self.columns) if c == _DIGIT][:4]
        return tuple(sorted(digits + [k for k, c in enumerate(self.columns) if c != _DIGIT]))

    def strip(self, data: bytes) -> tuple[bytes, bool]:
        """``data`` with this prefix removed from every line that has it, and whether some other
        non-empty line is left as it was (then the regular expression looks at the chunk)."""
        lines = data.split(b"\n")
        buf = np.frombuffer(data, dtype=np.uint8)
        size = len(buf)
        starts = np.empty(len(lines), dtype=np.int64)  # one per piece of ``lines``
        starts[0] = 0
        starts[1:] = np.flatnonzero(buf == 10) + 1
        width = self.width
        ok = starts + width <= size
        base = np.minimum(starts, max(size - width, 0))
        for k in self.checked:
            byte = buf[base + k]
            column = self.columns[k]
            ok &= (byte - np.uint8(48) < 10) if column == _DIGIT else (byte == column)
        # After the prefix, indentation (or a Markdown quote) is the pattern's to remove too.
        after = buf[np.minimum(starts[ok] + width, size - 1)] if size else buf[:0]
        more = bool(((after == 32) | (after == 9) | (after == 62)).any())
        if ok.all():
            return b"\n".join([line[width:] for line in lines]), more
        lengths = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
        others = more or bool(((~ok) & (lengths > 0)).any())
        flags = ok.tolist()
        return b"\n".join(
            [line[width:] if has else line for line, has in zip(lines, flags, strict=True)]
        ), others


@dataclass(frozen=True)
class LineNormaliser:
    """What to remove from an input's lines, chosen once from its first lines by :func:`fit`."""

    prefixes: re.Pattern[bytes] | None = None
    """The prefix stack to remove at every line start; None when the first lines have none."""
    shape: Shape | None = None
    """The fixed-width prefix most first lines carry, removed without the regular expression."""

    def apply(self, data: bytes) -> bytes:
        """``data`` (whole lines, each ending in a newline) with prefixes removed, BOMs dropped and
        glued tqdm bars split off."""
        if BOM in data:
            data = data.replace(BOM, b"")
        if b"it/s" in data or b"s/it" in data:
            data = _TQDM_GLUED.sub(rb"\1\n", data)
        if self.prefixes is None:
            return data
        if self.shape is not None:
            data, others = self.shape.strip(data)
            if not others:
                return data
        return self.prefixes.sub(b"\n", b"\n" + data)[1:]

    def lines(self, lines: Sequence[str]) -> list[str]:
        """``lines`` normalised (a glued tqdm bar becomes a line of its own)."""
        if not lines:
            return []
        text = ("\n".join(lines) + "\n").encode("utf-8", errors="surrogateescape")
        return self.apply(text).decode("utf-8", errors="replace").split("\n")[:-1]


#: Passes lines through except for BOMs and glued tqdm bars (always handled: both are cheap to
#: find).
PLAIN = LineNormaliser()


def fit(lines: Sequence[str], *, keep_own_stamps: bool = True) -> LineNormaliser:
    """The normaliser ``lines`` (an input's first lines) need."""
    pattern = _STRIP if keep_own_stamps else _STRIP_ALL
    text = ("\n" + "\n".join(lines) + "\n").encode("utf-8", errors="surrogateescape")
    text = text.replace(BOM, b"")
    found = [m.group(0)[1:] for m in pattern.finditer(text)]
    if not found:
        return PLAIN
    return LineNormaliser(pattern, _shape(found))


#: Share of the prefixed first lines one shape must cover to be removed without the regex.
SHAPE_SHARE = 0.8
#: Fewest prefixed first lines a shape is learned from.
SHAPE_MIN_LINES = 20


def _shape(prefixes: Sequence[bytes]) -> Shape | None:
    """The fixed-width shape most of ``prefixes`` share, or None (widths or characters vary)."""
    if len(prefixes) < SHAPE_MIN_LINES:
        return None
    width, count = Counter(len(p) for p in prefixes).most_common(1)[0]
    if count < SHAPE_SHARE * len(prefixes) or width == 0:
        return None
    same = [p for p in prefixes if len(p) == width]
    columns: list[int] = []
    for k in range(width):
        bytes_k = {p[k] for p in same}
        if all(48 <= b <= 57 for b in bytes_k):
            columns.append(_DIGIT)
        elif len(bytes_k) == 1:
            columns.append(bytes_k.pop())
        else:
            return None
    if all(c == _DIGIT for c in columns) or columns[-1] == _DIGIT:
        return None  # a number, not a prefix: it must end in a fixed separator
    return Shape(tuple(columns))
