"""What terminals, loggers and pastes do to a log: each function turns a clean log into a mangled
copy that ``analyze`` must read exactly like the clean one (test_log_mangling.py)."""

from __future__ import annotations

import gzip
from collections.abc import Callable

_BAR = "  45%|####5     | 45/100 [00:09<00:11,  4.90it/s]"
_NOISE = (
    "/usr/lib/python3/dist-packages/torch/utils/data/dataloader.py:557: UserWarning: This "
    "DataLoader will create 8 worker processes in total.",
    "wandb: WARNING Network error (ReadTimeout), entering retry loop.",
    "NCCL INFO Channel 00/02 : 0[0] -> 1[1] via P2P/IPC",
)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")


def _join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def timestamp_prefix(data: bytes) -> bytes:
    """``2024-05-01 12:00:01,123 INFO `` before every line (a logging handler's default)."""
    out = []
    for i, line in enumerate(_lines(data)):
        seconds = i // 7
        stamp = f"2024-05-01 {12 + seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        out.append(f"{stamp},{i % 1000:03d} INFO ".encode() + line)
    return _join(out)


def logging_prefix(data: bytes) -> bytes:
    """``INFO:__main__:`` before every line (``logging.basicConfig()``'s format)."""
    return _join([b"INFO:__main__:" + line for line in _lines(data)])


def tqdm_glued(data: bytes) -> bytes:
    """A tqdm bar glued before every third line (the bar's ``\\r`` lost in a copy)."""
    return _join(
        [(_BAR.encode() + line if i % 3 == 0 else line) for i, line in enumerate(_lines(data))]
    )


def ansi(data: bytes) -> bytes:
    """Colour codes around every line and inside it (rich and torchtitan colour on terminals)."""
    out = []
    for line in _lines(data):
        out.append(b"\x1b[32m" + line.replace(b" ", b" \x1b[0m", 1) + b"\x1b[39m")
    return _join(out)


def indented(data: bytes) -> bytes:
    """Four spaces before every line (a log pasted as a Markdown code block)."""
    return _join([b"    " + line for line in _lines(data)])


def quoted(data: bytes) -> bytes:
    """``> `` before every line (a log pasted as a Markdown quote)."""
    return _join([b"> " + line for line in _lines(data)])


def crlf(data: bytes) -> bytes:
    """Windows line ends."""
    return b"".join(line + b"\r\n" for line in _lines(data))


def bom(data: bytes) -> bytes:
    """A UTF-8 byte order mark first (Notepad, PowerShell)."""
    return b"\xef\xbb\xbf" + data


def redraws(data: bytes) -> bytes:
    """tqdm ``\\r`` redraws between lines, as a terminal capture keeps them."""
    out = []
    for i, line in enumerate(_lines(data)):
        if i % 4 == 0:
            line = b"\r  10%|#         | 1/10\r  20%|##        | 2/10\r" + line
        out.append(line)
    return _join(out)


def noise(data: bytes) -> bytes:
    """Warnings and library chatter between the lines."""
    out = []
    for i, line in enumerate(_lines(data)):
        out.append(line)
        if i % 5 == 2:
            out.append(_NOISE[i % len(_NOISE)].encode())
    return _join(out)


def truncated(data: bytes) -> bytes:
    """The last line cut without its newline, as a copy of a log still being written."""
    lines = _lines(data)
    while lines and not lines[-1].strip():
        lines.pop()
    head = _join(lines[:-1])
    return head + lines[-1][: max(1, len(lines[-1]) - 2)]


def gzipped(data: bytes) -> bytes:
    """The log gzipped (``train.log.gz``)."""
    return gzip.compress(data, mtime=0)


#: name -> mangling; "stdin" is not a change of content: the test pipes the clean log.
MANGLINGS: dict[str, Callable[[bytes], bytes]] = {
    "timestamp": timestamp_prefix,
    "logging": logging_prefix,
    "tqdm_glued": tqdm_glued,
    "ansi": ansi,
    "crlf": crlf,
    "bom": bom,
    "redraws": redraws,
    "noise": noise,
    "truncated": truncated,
    "gzip": gzipped,
    "indented": indented,
    "quoted": quoted,
}
