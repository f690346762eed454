"""Remembering torch's answers so that ``probe`` need not import torch (seconds) every time.

They are kept in the user cache folder under a key of everything that can change them (torch
install, Python, torch's environment variables, CPU affinity, GPUs, boot ID);
``MFU_ADVISOR_NO_CACHE=1`` or ``probe --fresh`` asks anew (docs/probe.md).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mfu_advisor.cache import cache_folder
from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable
from mfu_advisor.files import data_file, read_json_capped, write_atomic
from mfu_advisor.sanitize import terminal_safe

#: How many cached answer files to keep (one per distinct environment).
MAX_CACHE_FILES = 8
#: Largest cache file read, in bytes (a real one is a few kB).
MAX_CACHE_FILE_BYTES = 1024 * 1024
#: Bounds of cached counts: threads, devices, and per-device fields. Generous
#: ceilings that no real machine reaches (the largest GPUs have a few hundred SMs
#: and under 300 GB), there only to catch a damaged or edited file.
MAX_THREADS = 65_536
MAX_DEVICES = 1_024
_DEVICE_RANGES = {"multiprocessor_count": 10_000, "total_memory_bytes": 2**44}


def torch_install_fingerprint() -> dict[str, Any] | None:
    """Identity of the torch installation, found without importing it; None if absent."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations)))
    stamps: dict[str, list[int]] = {}
    try:
        names = [n for n in os.listdir(folder) if n == "version.py" or n.startswith("_C.")]
    except OSError:
        names = []
    for name in sorted(names):
        try:
            st = (folder / name).stat()
        except OSError:
            continue
        stamps[name] = [st.st_size, st.st_mtime_ns]
    return {"folder": str(folder), "files": stamps}


def cache_key(install: Mapping[str, Any], gpu_inventory: Any) -> dict[str, Any]:
    """Everything that can change torch's answers (see the module docstring)."""
    try:
        affinity: list[int] | None = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = None
    try:
        boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot_id = None
    return {
        "torch": dict(install),
        "python": [sys.executable, sys.version],
        "env": {name: os.environ.get(name) for name in data_file("torch.toml")["env_vars"]},
        "affinity": affinity,
        "gpus": gpu_inventory,
        "boot_id": boot_id,
    }


def cached_answers(
    collect: Callable[[], dict[str, Any]], gpu_inventory: Any, *, fresh: bool = False
) -> tuple[dict[str, Any], str]:
    """Torch's answers and where they came from ("asked torch now" or "cached ...")."""
    install = torch_install_fingerprint()
    if install is None:
        return {"error": "torch is not installed in this Python"}, "looked for torch"
    folder = cache_folder()
    key = cache_key(install, gpu_inventory)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    path = None if isinstance(folder, Unavailable) else folder / f"torch-{digest}.json"
    if path is not None and not fresh:
        hit = _read(path, key)
        if hit is not None:
            answers, when = hit
            return answers, f"cached {when} (same torch install, environment and GPUs)"
    answers = collect()
    if path is not None and "error" not in answers:
        _write(path, key, answers)
    return answers, "asked torch now"


def _read(path: Path, key: Mapping[str, Any]) -> tuple[dict[str, Any], str] | None:
    doc = read_json_capped(path, MAX_CACHE_FILE_BYTES)
    if not isinstance(doc, dict) or doc.get("key") != json.loads(json.dumps(key)):
        return None
    answers = doc.get("answers")
    if not isinstance(answers, dict) or not plausible_answers(answers):
        return None
    return answers, terminal_safe(str(doc.get("created_at", "earlier")))[:40]


def plausible_answers(answers: Mapping[str, Any]) -> bool:
    """Whether cached answers look like torch's: the right types, counts in range."""
    if not isinstance(answers.get("version"), str) or len(answers["version"]) > 100:
        return False
    if not _count_in(answers.get("num_threads"), 1, MAX_THREADS):
        return False
    devices = answers.get("devices", [])
    if not isinstance(devices, list) or len(devices) > MAX_DEVICES:
        return False
    for device in devices:
        if not isinstance(device, dict) or not isinstance(device.get("device"), str):
            return False
        for field, upper in _DEVICE_RANGES.items():
            if field in device and not _count_in(device[field], 0, upper):
                return False
    return True


def _count_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _write(path: Path, key: Mapping[str, Any], answers: Mapping[str, Any]) -> None:
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    doc = {"key": key, "created_at": now, "answers": answers}
    try:
        write_atomic(path, json.dumps(doc, indent=1, sort_keys=True))
    except (OSError, UserError):
        return  # an unwritable cache only costs speed next time
    _prune(path.parent)


def _prune(folder: Path) -> None:
    try:
        files = sorted(folder.glob("torch-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[MAX_CACHE_FILES:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
