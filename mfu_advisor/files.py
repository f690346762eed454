"""Writing output files without ever leaving a half-written one behind; reading JSON strictly;
the package's data files (``mfu_advisor/data/*.toml``), each parsed once."""

from __future__ import annotations

import functools
import json
import os
import stat
import sys
import tempfile
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from mfu_advisor.errors import UserError


@functools.cache
def data_file(name: str) -> dict[str, Any]:
    """The parsed TOML file ``mfu_advisor/data/<name>`` (shipped as package data), read on first
    use; callers must not change it."""
    text = resources.files("mfu_advisor").joinpath("data", name).read_text("utf-8")
    return tomllib.loads(text)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename: readers see the old
    file or the complete new one, an existing file keeps its permission bits, and nothing is
    left behind when it fails (:class:`UserError`) or is interrupted."""
    target = Path(path)
    if target.is_dir():
        raise UserError(f"cannot write {target}: it is a directory")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"cannot write {target}: folder {folder} does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # An existing file's own permission bits (a private file stays private), else 0666 - umask.
    try:
        existing = os.stat(target)
    except OSError:
        existing = None
    if existing is not None and stat.S_ISREG(existing.st_mode):
        mode = stat.S_IMODE(existing.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        # Ctrl-C, SIGTERM (raised as an interrupt by the CLI) or a bug: no temp file stays.
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def silence_stdout() -> None:
    """Point standard output at the null device after writing to it failed, so Python's own
    flush at exit cannot fail a second time with a traceback (full disk, closed pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def strict_json(text: str | bytes) -> Any:
    """``json.loads`` that refuses NaN and ±Infinity (JSON has neither; Python accepts them).

    Raises ValueError (json.JSONDecodeError included) or RecursionError on bad input.
    """

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    return json.loads(text, parse_constant=refuse)


def read_json_capped(path: Path, limit_bytes: int) -> Any | None:
    """The JSON document in ``path``, or None when it is absent, unreadable, larger than
    ``limit_bytes`` or not strict JSON (for this tool's own caches: anything odd is a miss)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit_bytes + 1)
        if len(raw) > limit_bytes:
            return None
        return strict_json(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
