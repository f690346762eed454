"""Streaming input for ``analyze``: files, ``-`` for stdin, ``.gz``, and an interactive paste.

Inputs are read in fixed-size binary chunks of whole lines: ANSI codes removed, carriage
returns end lines, lines over :data:`MAX_LINE_BYTES` cut (and counted). Bytes are decoded
by parsers with ``errors="replace"``; files are opened read-only.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import click

from mfu_advisor.errors import UserError
from mfu_advisor.logs.chunk import Chunk

#: Bytes read per chunk: per-chunk overhead small, the parsers' temporaries in cache.
CHUNK_BYTES = 512 * 1024
#: Longest line kept, in bytes; longer lines are cut (training log lines are < 1 KiB).
MAX_LINE_BYTES = 64 * 1024
#: Bytes without a line break after which an input is refused (``analyze /dev/zero``).
MAX_NEWLINELESS_BYTES = 16 * 1024 * 1024
#: Seconds a pipe or terminal may be read for (``tail -f`` never ends).
MAX_STREAM_SECONDS = 600.0
#: How much of the start of an input the format detector may look at.
PEEK_BYTES = 4 * 1024 * 1024

GZIP_MAGIC = b"\x1f\x8b"

# CSI sequences (colours, cursor moves), OSC sequences (window titles, links)
# and the two-byte escapes; see ECMA-48, sections 5.3-5.4.
_ANSI = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")

PASTE_PROMPT = (
    "Paste the training log, then press Ctrl-D on an empty line to finish "
    "(Ctrl-Z then Enter on Windows; Ctrl-C cancels)."
)


@dataclass
class InputStats:
    """What reading one input found, apart from its content."""

    lines: int = 0
    bytes_read: int = 0
    long_lines_cut: int = 0
    nul_bytes: bool = False  # probably not a text log
    unterminated_line: int | None = None  # the last line, without a line break: maybe cut
    truncated_gzip: bool = False  # the gzip stream ended early; what came before was read
    notes: list[str] = field(default_factory=list)


class LogInput:
    """One input (a file, stdin or a paste), read once; the chunks :meth:`peek_lines` read are
    handed out again by :meth:`chunks`, so stdin works although it cannot be rewound."""

    def __init__(
        self, name: str, stream: BinaryIO, *, closes: bool, raw: BinaryIO | None = None
    ) -> None:
        self.name = name
        self.stats = InputStats()
        self._stream = stream
        self._raw = raw
        self._closes = closes
        self._ended = False
        self._peeked: list[Chunk] = []
        self._chunks = self._read_chunks()
        self._deadline = None if _is_regular_file(raw or stream) else time.monotonic()

    # -- reading -------------------------------------------------------------------------

    def peek_lines(self, max_lines: int = 20_000, max_bytes: int = PEEK_BYTES) -> list[str]:
        """Up to ``max_lines`` lines from the start, decoded; later read again by :meth:`chunks`."""
        lines: list[str] = []
        seen = sum(len(c.data) for c in self._peeked)
        for peeked in self._peeked:
            lines.extend(peeked.lines())
        while len(lines) < max_lines and seen < max_bytes:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._peeked.append(chunk)
            seen += len(chunk.data)
            lines.extend(chunk.lines())
        return lines[:max_lines]

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk of the input, from the first line."""
        peeked, self._peeked = self._peeked, []
        yield from peeked
        yield from self._chunks

    def close(self) -> None:
        """Close the underlying file (never stdin)."""
        if self._closes:
            self._stream.close()
            if self._raw is not None:
                self._raw.close()

    def _read_chunks(self) -> Iterator[Chunk]:
        stats = self.stats
        carry = b""  # the start of a line whose newline has not been read yet
        dropping = False  # inside a line that was cut at MAX_LINE_BYTES
        line_no = 1
        since_newline = 0  # bytes read since the last line break
        while True:
            block = self._read_block()
            if block is None:
                break
            if (
                self._deadline is not None
                and time.monotonic() - self._deadline > MAX_STREAM_SECONDS
            ):
                raise UserError(
                    f"stopped reading {self.name} after {MAX_STREAM_SECONDS / 60:.0f} minutes: "
                    "the stream does not end; save the log to a file and analyze that"
                )
            stats.bytes_read += len(block)
            since_newline = since_newline + len(block) if b"\n" not in block else 0
            if since_newline > MAX_NEWLINELESS_BYTES and b"\r" not in block:
                raise UserError(
                    f"{self.name} is not a text log: {since_newline // (1024 * 1024)} MB "
                    "without a line break"
                )
            if not stats.nul_bytes and b"\0" in block:
                stats.nul_bytes = True
            data = carry + block
            carry = b""
            if data.endswith(b"\r"):
                # Keep a trailing CR for the next block: it may be half of a CRLF.
                data, carry = data[:-1], b"\r"
            data = _clean(data)
            end = data.rfind(b"\n")
            body, partial = (b"", data) if end < 0 else (data[: end + 1], data[end + 1 :])
            if dropping and body:
                body = body[body.find(b"\n") + 1 :]  # the rest of the cut line
                dropping = False
            if dropping:
                partial = b""
            if len(partial) > MAX_LINE_BYTES:
                body += partial[:MAX_LINE_BYTES] + b"\n"
                partial, dropping = b"", True
                stats.long_lines_cut += 1
            carry = partial + carry
            body = _cut_long_lines(body, stats)
            if body:
                count = body.count(b"\n")
                stats.lines += count
                yield Chunk(body, line_no)
                line_no += count
        tail = b"" if dropping else _clean(carry).rstrip(b"\n")
        if tail:
            # A last line without a newline (a truncated log) is still a line.
            tail = _cut_long_lines(tail + b"\n", stats)
            stats.lines += tail.count(b"\n")
            stats.unterminated_line = line_no + tail.count(b"\n") - 1
            yield Chunk(tail, line_no)

    def _read_block(self) -> bytes | None:
        if self._ended:
            return None
        if self._raw is None:
            try:
                block = self._stream.read(CHUNK_BYTES)
            except OSError as exc:
                raise UserError(f"cannot read {self.name}: {exc.strerror or exc}") from None
            if len(block) < CHUNK_BYTES:
                # A buffered read comes back short only at the end of the input. Reading again
                # would wait at a terminal, where the end (Ctrl-D on an empty line) is not
                # sticky: the user would have to press Ctrl-D a second time.
                self._ended = True
            return block or None
        # A gzip stream: read1 returns what is decompressed so far, so a truncated or corrupt
        # file still yields everything before the damage.
        parts: list[bytes] = []
        size = 0
        try:
            while size < CHUNK_BYTES:
                part = self._stream.read1(CHUNK_BYTES - size)  # type: ignore[attr-defined]
                if not part:
                    break
                parts.append(part)
                size += len(part)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            self._ended = True
            self.stats.truncated_gzip = True
            self.stats.notes.append(f"the gzip data ends early or is corrupt ({exc})")
        except OSError as exc:
            raise UserError(f"cannot read {self.name}: {exc.strerror or exc}") from None
        return b"".join(parts) or None


def _clean(data: bytes) -> bytes:
    """Remove ANSI codes and turn carriage returns into line ends."""
    if b"\x1b" in data:
        data = _ANSI.sub(b"", data)
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def _is_regular_file(stream: BinaryIO) -> bool:
    """True for a file on disk (it ends); False for a pipe, a terminal or anything else."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return False


def _cut_long_lines(body: bytes, stats: InputStats) -> bytes:
    """Cut lines longer than MAX_LINE_BYTES inside a block of whole lines."""
    if len(body) <= MAX_LINE_BYTES or not _may_have_long_line(body):
        return body
    lines = body.split(b"\n")
    stats.long_lines_cut += sum(len(line) > MAX_LINE_BYTES for line in lines)
    return b"\n".join(line[:MAX_LINE_BYTES] for line in lines)


def _may_have_long_line(body: bytes) -> bool:
    """False when every aligned window of MAX_LINE_BYTES / 2 bytes holds a newline, so no line
    is too long (a longer line covers a whole window)."""
    half = MAX_LINE_BYTES // 2
    for start in range(0, len(body) - half + 1, half):
        if body.find(b"\n", start, start + half) < 0:
            return True
    return False


def open_input(spec: str) -> LogInput:
    """Open ``spec``, a path (plain or gzip, by content) or ``-``; UserError when it cannot be."""
    if spec == "-":
        return _wrap("<stdin>", sys.stdin.buffer, closes=False)
    path = os.fspath(spec)
    if os.path.isdir(path):
        raise UserError(f"{path} is a folder, not a log file")
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed by LogInput.close)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except PermissionError:
        raise UserError(f"{path}: permission denied") from None
    except OSError as exc:
        raise UserError(f"cannot open {path}: {exc.strerror or exc}") from None
    return _wrap(path, handle, closes=True)


def open_paste() -> LogInput:
    """Standard input typed or pasted at a terminal; says on stderr how to finish."""
    click.echo(PASTE_PROMPT, err=True)
    return _wrap("<pasted>", sys.stdin.buffer, closes=False)


def stdin_is_terminal() -> bool:
    """True when standard input is an interactive terminal (so a paste is expected)."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _wrap(name: str, raw: BinaryIO, *, closes: bool) -> LogInput:
    """Peek at the first bytes and put a gzip decoder in front when they are gzip's magic."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type,type-var]
    try:
        head = buffered.peek(2)[:2]
    except OSError as exc:
        raise UserError(f"cannot read {name}: {exc.strerror or exc}") from None
    if head == GZIP_MAGIC:
        stream: BinaryIO = gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
        return LogInput(name, stream, closes=closes, raw=buffered)  # type: ignore[arg-type]
    return LogInput(name, buffered, closes=closes)  # type: ignore[arg-type]
