"""The one folder where mfu-advisor keeps what it has learnt about this machine.

torch's answers to the probe (``torch-<key>.json``) and measured matmul rooflines
(``roofline-<key>.json``), each keyed by everything its numbers depend on; deleting the
folder is always safe. Where it is, and when it is not used: docs/probe.md.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable
from mfu_advisor.sanitize import one_line

CACHE_DIR_ENV = "MFU_ADVISOR_CACHE_DIR"
#: Set to anything but "" or "0", it switches the cache off.
NO_CACHE_ENV = "MFU_ADVISOR_NO_CACHE"
FOLDER_NAME = "mfu-advisor"


def cache_dir() -> Path:
    """``$MFU_ADVISOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/mfu-advisor`` (an absolute path,
    as the XDG Base Directory Specification asks), else ``~/.cache/mfu-advisor``."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        try:
            return Path(explicit).expanduser()
        except RuntimeError:  # "~nosuchuser/...", or "~" without HOME and passwd entry
            raise UserError(
                f"{CACHE_DIR_ENV}={one_line(explicit, 200)} cannot be expanded "
                "(no such user or home folder); set it to an absolute path"
            ) from None
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / FOLDER_NAME
    try:
        home = Path.home()
    except RuntimeError:
        home = None
    if home is None or not home.is_absolute():
        # No HOME and no passwd entry (some containers): a per-user temporary folder,
        # used only if it is private to this user (cache_folder checks).
        return Path(tempfile.gettempdir()) / f"{FOLDER_NAME}-{_uid()}"
    return home / ".cache" / FOLDER_NAME


def cache_folder() -> Path | Unavailable:
    """The cache folder, created private (0700), or why the cache is not used this time.

    A cache someone else can write could make every later run report figures they chose
    (``/tmp/mfu-advisor-<uid>`` can be made by anyone first).
    """
    if os.environ.get(NO_CACHE_ENV, "") not in ("", "0"):
        return Unavailable(f"the cache is off ({NO_CACHE_ENV})")
    folder = cache_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(folder)
    except OSError as exc:
        return Unavailable(f"cache folder {folder} cannot be made ({exc.strerror or exc})")
    if not stat.S_ISDIR(info.st_mode):
        return Unavailable(f"cache folder {folder} is not a folder; not used")
    uid = _uid()
    if uid is not None and info.st_uid != uid:
        return Unavailable(f"cache folder {folder} belongs to another user; not used")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return Unavailable(f"cache folder {folder} is writable by others; not used")
    return folder


def _uid() -> int | None:
    getuid = getattr(os, "getuid", None)  # not on Windows
    return getuid() if getuid is not None else None
