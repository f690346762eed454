"""Unpacking a snapshot archive someone sent you, without trusting it (docs/snapshot.md).

Only folders and plain files are written, each path checked as text first; the
checks do not rely on ``tarfile``'s filter (bypassed in Python 3.11.7 by
CVE-2025-4517, https://github.com/python/cpython/issues/135034). Sizes, member
counts and the decompressed stream are capped, so a decompression bomb stops early.
"""

from __future__ import annotations

import os
import stat
import tarfile
from pathlib import Path, PurePosixPath
from typing import IO, Any

from mfu_advisor.sanitize import shown

#: Most bytes of file contents a snapshot may unpack to (a real one is a few MB).
MAX_EXTRACTED_BYTES = 256 * 1024 * 1024
#: Most members (files and folders) a snapshot archive may hold (a real one: about 2,000).
MAX_MEMBERS = 50_000
#: Most bytes of decompressed tar stream read: contents plus a header and padding per member.
MAX_STREAM_BYTES = MAX_EXTRACTED_BYTES + MAX_MEMBERS * 1024
#: Longest member path, in characters, and deepest, in folders (sysfs paths reach about 20).
MAX_NAME_CHARS = 1024
MAX_DEPTH = 48

_CHUNK_BYTES = 1024 * 1024

#: First bytes -> compression (file signatures: RFC 1952 for gzip, the xz file format
#: spec 1.1.0 section 2.1.1.1, bzip2's "BZh" header, RFC 8878 section 3.1.1 for zstd).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gz"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


class ArchiveRefused(Exception):
    """Why an archive, or one of its members, is not unpacked (one line)."""


def compression_of(archive: Path) -> str:
    """ "gz", "bz2", "xz" or "" (a plain tar), from the file's first bytes."""
    with open(archive, "rb") as handle:
        head = handle.read(512)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            if name == "zstd":
                raise ArchiveRefused("it is zstd-compressed; unpack it and pass the folder")
            return name
    if len(head) == 512 and head[257:262] == b"ustar":
        return ""
    raise ArchiveRefused("it is not a tar archive (nor a gzip, bzip2 or xz compressed one)")


def extract_snapshot(archive: Path, target: Path) -> None:
    """Unpack ``archive`` into the empty folder ``target``; refuse anything unsafe."""
    compression = compression_of(archive)
    with open(archive, "rb") as raw:
        decompressed = _decompressor(compression, raw)
        try:
            stream = _CappedReader(decompressed, MAX_STREAM_BYTES)
            # "r|": a stream, read once from the start; nothing seeks, nothing is read twice.
            with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
                _extract_members(tar, target)
        finally:
            if decompressed is not raw:
                decompressed.close()


def _decompressor(compression: str, raw: IO[bytes]) -> Any:
    if compression == "gz":
        import gzip

        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "bz2":
        import bz2

        return bz2.BZ2File(raw, mode="rb")
    if compression == "xz":
        import lzma

        return lzma.LZMAFile(raw, mode="rb")
    return raw


class _CappedReader:
    """A read-only stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self._inner = inner
        self._left = limit
        self._limit = limit

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._left + 1
        data = self._inner.read(min(size, self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise ArchiveRefused(
                f"it unpacks to more than {self._limit // 2**20} MiB of tar data "
                "(a snapshot is a few MB; decompression bomb?)"
            )
        return data


def _extract_members(tar: Any, target: Path) -> None:
    total_bytes = 0
    for count, member in enumerate(tar, start=1):
        if count > MAX_MEMBERS:
            raise ArchiveRefused(f"it holds more than {MAX_MEMBERS:,} members")
        parts = _safe_parts(member.name)
        kind = _refused_kind(member)
        if kind is not None:
            raise ArchiveRefused(
                f"member {shown(member.name)} is {kind}; a snapshot holds only files and folders"
            )
        destination = target.joinpath(*parts) if parts else target
        if member.isdir():
            destination.mkdir(parents=True, exist_ok=True)
            continue
        total_bytes += member.size
        if total_bytes > MAX_EXTRACTED_BYTES:
            raise ArchiveRefused(
                f"its files add up to more than {MAX_EXTRACTED_BYTES // 2**20} MiB "
                f"(at member {shown(member.name)}); a snapshot is a few MB"
            )
        if not parts:
            raise ArchiveRefused("a file member has an empty name")
        destination.parent.mkdir(parents=True, exist_ok=True)
        _write_member(tar, member, destination)


def _safe_parts(name: str) -> list[str]:
    """The member's path as folder names, checked as text: relative, no '..', bounded."""
    if "\x00" in name or "\\" in name:
        raise ArchiveRefused(f"member {shown(name)} has a NUL or backslash in its name")
    if len(name) > MAX_NAME_CHARS:
        raise ArchiveRefused(f"member {shown(name)} has a name over {MAX_NAME_CHARS} characters")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/"):
        raise ArchiveRefused(f"member {shown(name)} has an absolute path")
    parts = [p for p in path.parts if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveRefused(f"member {shown(name)} climbs out of the folder with '..'")
    if len(parts) > MAX_DEPTH:
        raise ArchiveRefused(f"member {shown(name)} is nested over {MAX_DEPTH} folders deep")
    return parts


def _refused_kind(member: Any) -> str | None:
    """What makes a member unacceptable, in words, or None for a plain file or folder."""
    if member.issym():
        return f"a symbolic link (to {shown(member.linkname)})"
    if member.islnk():
        return f"a hard link (to {shown(member.linkname)})"
    if member.ischr() or member.isblk():
        return "a device file"
    if member.isfifo():
        return "a FIFO"
    if member.issparse():
        return "a sparse file"
    if member.isdir() or member.isreg():
        return None
    return f"of an unknown type ({shown(member.type)})"


def _write_member(tar: Any, member: Any, destination: Path) -> None:
    source = tar.extractfile(member)
    if source is None:  # not a regular file after all
        raise ArchiveRefused(f"member {shown(member.name)} has no contents to read")
    if destination.is_dir() and not destination.is_symlink():
        raise ArchiveRefused(f"member {shown(member.name)} is both a file and a folder")
    # O_NOFOLLOW: belt and braces, nothing here creates links. Archive modes are
    # ignored: the files only need to be readable by this user.
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(destination, flags, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "wb") as out, source:
        left = member.size
        while left > 0:
            chunk = source.read(min(_CHUNK_BYTES, left))
            if not chunk:
                raise EOFError(f"member {member.name!r} ends early")
            out.write(chunk)
            left -= len(chunk)
