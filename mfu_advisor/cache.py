"""The one folder where mfu-advisor keeps what it has learnt about this machine.

Two things live there, both this tool's own files (nothing of the machine's is
ever changed): torch's answers to the probe (``torch-<key>.json``,
probe/torch_cache.py) and measured matmul rooflines (``roofline-<key>.json``,
bench/roofline.py). Each file is keyed by everything its numbers depend on, so
a stale one is never read; deleting the folder is always safe.

Where (first that applies):

1. ``$MFU_ADVISOR_CACHE_DIR``, when set and not empty;
2. ``$XDG_CACHE_HOME/mfu-advisor``, when ``XDG_CACHE_HOME`` is an absolute path;
3. ``~/.cache/mfu-advisor``.

The XDG Base Directory Specification
(https://specifications.freedesktop.org/basedir-spec/latest/) makes
``$HOME/.cache`` the default when ``XDG_CACHE_HOME`` is unset or empty, and says
a relative path there is invalid and must be ignored.

``MFU_ADVISOR_NO_CACHE`` set to anything but ``""`` or ``0`` switches caching
off: nothing is read from the folder and nothing is written to it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: Environment variable naming the cache folder outright.
CACHE_DIR_ENV = "MFU_ADVISOR_CACHE_DIR"
#: Environment variable that switches the cache off.
NO_CACHE_ENV = "MFU_ADVISOR_NO_CACHE"
#: The folder's name under ``$XDG_CACHE_HOME`` or ``~/.cache``.
FOLDER_NAME = "mfu-advisor"


def cache_dir() -> Path:
    """The folder mfu-advisor caches in (it may not exist yet; writers create it)."""
    explicit = os.environ.get(CACHE_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / FOLDER_NAME
    try:
        home = Path.home()
    except RuntimeError:
        # No HOME and no passwd entry (some containers): a per-user temporary folder
        # still lets the cache work for the life of the machine.
        return Path(tempfile.gettempdir()) / f"{FOLDER_NAME}-{os.getuid()}"
    return home / ".cache" / FOLDER_NAME


def caching_disabled() -> bool:
    """True when ``MFU_ADVISOR_NO_CACHE`` asks for no cache at all."""
    return os.environ.get(NO_CACHE_ENV, "") not in ("", "0")
