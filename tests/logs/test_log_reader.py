"""Streaming input: line ends, colours, progress bars, long lines, gzip, stdin, bad paths."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest
from log_helpers import LOGS

from mfu_advisor.errors import UserError
from mfu_advisor.logs import reader
from mfu_advisor.logs.chunk import Chunk
from mfu_advisor.logs.reader import LogInput, open_input


def read_lines(path: Path | str) -> tuple[list[str], LogInput]:
    log = open_input(str(path))
    lines: list[str] = []
    numbers: list[int] = []
    for chunk in log.chunks():
        numbers.append(chunk.first_line)
        lines.extend(chunk.lines())
    log.close()
    return lines, log


def write(tmp_path: Path, data: bytes, name: str = "x.log") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_crlf_line_ends_read_like_lf() -> None:
    crlf, _ = read_lines(LOGS / "nanogpt_3_crlf.log")
    lf, _ = read_lines(LOGS / "nanogpt_3.log")
    assert crlf == lf


def test_ansi_colour_codes_are_removed(tmp_path: Path) -> None:
    lines, _ = read_lines(
        write(tmp_path, b"\x1b[31mstep: 1\x1b[39m  \x1b[1;32mloss: 2\x1b[0m\n\x1b]0;title\x07ok\n")
    )
    assert lines == ["step: 1  loss: 2", "ok"]


def test_carriage_returns_split_progress_updates(tmp_path: Path) -> None:
    lines, log = read_lines(
        write(tmp_path, b" 10%|#  | 1/10\r 20%|## | 2/10\r100%|###| 10/10\nnext\n")
    )
    assert lines == [" 10%|#  | 1/10", " 20%|## | 2/10", "100%|###| 10/10", "next"]
    assert log.stats.lines == 4


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 7, 64])
def test_chunk_boundaries_never_change_the_lines(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chunk_bytes: int
) -> None:
    data = b"a\r\nbb\r\n\x1b[31mccc\x1b[0m\rdd\n\xff\xfeeee\r\nlast"
    whole, _ = read_lines(write(tmp_path, data))
    monkeypatch.setattr(reader, "CHUNK_BYTES", chunk_bytes)
    pieces, _ = read_lines(write(tmp_path, data, "y.log"))
    assert pieces == whole == ["a", "bb", "ccc", "dd", "\ufffd\ufffdeee", "last"]


def test_line_numbers_follow_the_chunks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(reader, "CHUNK_BYTES", 10)
    log = open_input(str(write(tmp_path, b"".join(b"line %d\n" % i for i in range(1, 30)))))
    for chunk in log.chunks():
        first = chunk.lines()[0]
        assert first == f"line {chunk.first_line}"


def test_overlong_lines_are_cut_and_counted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 100)
    monkeypatch.setattr(reader, "CHUNK_BYTES", 64)
    lines, log = read_lines(write(tmp_path, b"short\n" + b"x" * 1000 + b"\nafter\n" + b"y" * 250))
    assert lines == ["short", "x" * 100, "after", "y" * 100]
    assert log.stats.long_lines_cut == 2


def test_binary_input_without_newlines_stays_bounded(tmp_path: Path) -> None:
    data = bytes(range(256)).replace(b"\n", b"").replace(b"\r", b"") * 2000
    lines, log = read_lines(write(tmp_path, data))
    assert log.stats.nul_bytes
    assert all(len(line.encode("utf-8", "replace")) <= 3 * reader.MAX_LINE_BYTES for line in lines)


def test_truncated_last_line_is_kept(tmp_path: Path) -> None:
    lines, log = read_lines(write(tmp_path, b"iter 1: loss 2.0, time 5.00ms\niter 2: loss 1.9, ti"))
    assert lines[-1] == "iter 2: loss 1.9, ti" and log.stats.lines == 2


def test_gzip_is_recognised_by_its_content(tmp_path: Path) -> None:
    path = write(tmp_path, gzip.compress(b"hello\nworld\n"), "no-suffix.log")
    lines, _ = read_lines(path)
    assert lines == ["hello", "world"]


def test_truncated_gzip_keeps_what_came_before(tmp_path: Path) -> None:
    data = gzip.compress(b"".join(b"line %d\n" % i for i in range(20000)))
    lines, log = read_lines(write(tmp_path, data[: len(data) // 2], "cut.gz"))
    assert log.stats.truncated_gzip
    assert lines[0] == "line 0" and 0 < len(lines) < 20000


def test_peeked_lines_are_read_again() -> None:
    log = open_input(str(LOGS / "nanogpt_cpu_300.log"))
    peeked = log.peek_lines(max_lines=10)
    assert len(peeked) == 10
    everything = [line for chunk in log.chunks() for line in chunk.lines()]
    assert everything[:10] == peeked and len(everything) == 370


def test_stdin_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(b"one\ntwo\n"))
    monkeypatch.setattr(sys, "stdin", fake)
    lines, log = read_lines("-")
    assert lines == ["one", "two"] and log.name == "<stdin>"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.log", "no such file"),
        (lambda p: p, "is a folder"),
    ],
)
def test_bad_paths_are_one_line_user_errors(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(UserError, match=message):
        open_input(str(make(tmp_path)))


def test_chunk_lines_replace_invalid_utf8() -> None:
    assert Chunk(b"caf\xe9\n", 1).lines() == ["caf\ufffd"]


def test_an_endless_stream_is_stopped_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    class Endless(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            line = b"iter 1: loss 2.0, time 10.0ms\n"
            data = line * (len(buffer) // len(line))
            buffer[: len(data)] = data
            return len(data)

    monkeypatch.setattr(reader, "MAX_STREAM_SECONDS", 0.0)
    log = LogInput("<stdin>", io.BufferedReader(Endless()), closes=False)
    with pytest.raises(UserError, match="the stream does not end"):
        for _ in log.chunks():
            pass


def test_a_file_on_disk_has_no_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_STREAM_SECONDS", 0.0)
    lines, _ = read_lines(LOGS / "nanogpt_1.log")
    assert len(lines) == 26
