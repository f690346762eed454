"""The CPUs and memory this process may really use: affinity mask and cgroup limits.

Every ancestor cgroup's limit applies, so the tightest up to the mount point wins: v2
``cpu.max``, ``memory.max`` (https://docs.kernel.org/admin-guide/cgroup-v2.html); v1
``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (https://docs.kernel.org/scheduler/sched-bwc.html),
``memory.limit_in_bytes`` (https://docs.kernel.org/admin-guide/cgroup-v1/memory.html).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.cpuinfo import parse_cpu_list
from mfu_advisor.probe.sources import MachineRoot

#: memory.limit_in_bytes on cgroup v1 says "no limit" with a huge page-rounded
#: number (LONG_MAX rounded down to a page, 9223372036854771712 on x86-64).
#: Anything at or above 2**60 bytes (1 EiB) is treated as unlimited.
UNLIMITED_MEMORY_BYTES = 2**60


class CgroupMount(NamedTuple):
    """One cgroup hierarchy mounted in this process's mount namespace."""

    version: int
    """1 or 2."""
    root: str
    """The cgroup path shown at the mount point (mountinfo field 4)."""
    mount_point: str
    controllers: frozenset[str]
    """v1 controllers of this hierarchy (super options); empty for v2."""


class CgroupLimits(NamedTuple):
    """Limits that apply to this process through its cgroups."""

    cpu_limit: Maybe[float | None]
    """CPUs' worth of time per second allowed by the tightest quota; None when unlimited."""
    memory_limit_bytes: Maybe[int | None]
    """Tightest memory limit in bytes; None when unlimited."""


def read_affinity(root: MachineRoot, warnings: list[str]) -> Maybe[tuple[int, ...]]:
    """Logical CPUs in this process's affinity mask (``Cpus_allowed_list`` of /proc/self/status)."""
    status = root.read_text("/proc/self/status")
    if isinstance(status, Unavailable):
        return status
    for line in status.splitlines():
        if line.startswith("Cpus_allowed_list:"):
            cpus = parse_cpu_list(line.partition(":")[2])
            if cpus is None or not cpus:
                reason = f"/proc/self/status has a garbled Cpus_allowed_list: {line[:60]!r}"
                warnings.append(reason)
                return Unavailable(reason)
            return cpus
    return Unavailable("/proc/self/status has no Cpus_allowed_list line")


def read_cgroup_limits(root: MachineRoot, warnings: list[str]) -> CgroupLimits:
    """CPU and memory limits of this process's cgroups (v1, v2 or both, as mounted)."""
    memberships = _read_memberships(root)
    mounts = _read_mounts(root)
    if isinstance(memberships, Unavailable) or isinstance(mounts, Unavailable):
        reason = memberships if isinstance(memberships, Unavailable) else mounts
        assert isinstance(reason, Unavailable)
        return CgroupLimits(reason, reason)
    cpu_dirs = _controller_dirs(memberships, mounts, "cpu")
    memory_dirs = _controller_dirs(memberships, mounts, "memory")
    cpu_limit = _tightest(root, cpu_dirs, warnings, _cpu_quota_at)
    memory_limit = _tightest(root, memory_dirs, warnings, _memory_limit_at)
    return CgroupLimits(cpu_limit, memory_limit)


def usable_cpu_count(affinity_count: int, cpu_limit: Maybe[float | None]) -> int:
    """CPUs this process can keep busy: ``min(affinity, ceil(quota))``, at least 1.

    Rounded up as the JVM does (OpenJDK ``CgroupSubsystem::active_processor_count``,
    src/hotspot/os/linux/cgroupSubsystem_linux.cpp): 1.5 CPUs keep 2 threads busy.
    """
    count = affinity_count
    if isinstance(cpu_limit, float | int) and not isinstance(cpu_limit, bool):
        count = min(count, math.ceil(cpu_limit - 1e-9))
    return max(1, count)


# -- /proc/self/cgroup and /proc/self/mountinfo -------------------------------------


def _read_memberships(root: MachineRoot) -> dict[tuple[int, str], str] | Unavailable:
    """(version, controller) -> cgroup path; controller "" for the v2 unified hierarchy."""
    text = root.read_text("/proc/self/cgroup")
    if isinstance(text, Unavailable):
        return text
    out: dict[tuple[int, str], str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, path = parts
        if hierarchy == "0" and controllers == "":
            out[(2, "")] = path
        else:
            for controller in controllers.split(","):
                out[(1, controller)] = path
    return out


_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \040-style octal.
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def _read_mounts(root: MachineRoot) -> list[CgroupMount] | Unavailable:
    """cgroup mounts from /proc/self/mountinfo (format in proc(5): fields, "-", fstype ...)."""
    text = root.read_text("/proc/self/mountinfo")
    if isinstance(text, Unavailable):
        return text
    mounts: list[CgroupMount] = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if dash < 5 or len(fields) < dash + 4:  # fstype, source, super options: a cut line
            continue
        fstype = fields[dash + 1]
        if fstype == "cgroup2":
            mounts.append(CgroupMount(2, _unescape(fields[3]), _unescape(fields[4]), frozenset()))
        elif fstype == "cgroup":
            controllers = frozenset(fields[dash + 3].split(","))
            mounts.append(CgroupMount(1, _unescape(fields[3]), _unescape(fields[4]), controllers))
    return mounts


def _controller_dirs(
    memberships: dict[tuple[int, str], str], mounts: list[CgroupMount], controller: str
) -> list[tuple[int, list[str]]]:
    """For each hierarchy that carries ``controller``: (version, folders from leaf up to mount)."""
    found: list[tuple[int, list[str]]] = []
    for mount in mounts:
        if mount.version == 2:
            path = memberships.get((2, ""))
        elif controller in mount.controllers:
            path = memberships.get((1, controller))
        else:
            continue
        if path is None:
            continue
        found.append((mount.version, _folders_up(mount, path)))
    return found


def _folders_up(mount: CgroupMount, cgroup_path: str) -> list[str]:
    """The process's cgroup folder under the mount point and each ancestor up to the mount."""
    mount_root = mount.root.rstrip("/")
    if cgroup_path == mount.root or cgroup_path.startswith(mount_root + "/"):
        relative = cgroup_path[len(mount_root) :]
    else:
        # The cgroup lies outside what is mounted here (a container's view of a
        # host path): the mount point itself is the closest folder we can read.
        relative = ""
    parts = [p for p in relative.split("/") if p]
    base = mount.mount_point.rstrip("/")
    return [base + "".join("/" + p for p in parts[:depth]) for depth in range(len(parts), -1, -1)]


# -- limits --------------------------------------------------------------------------


def _tightest(
    root: MachineRoot,
    hierarchies: list[tuple[int, list[str]]],
    warnings: list[str],
    limit_at: Callable[[MachineRoot, int, str], Any],
) -> Any:
    """The smallest limit any folder sets (None: none does); a garbled one wins, warned."""
    best = None
    for version, folders in hierarchies:
        for folder in folders:
            limit = limit_at(root, version, folder)
            if isinstance(limit, Unavailable):
                warnings.append(limit.reason)
                return limit
            if limit is not None and (best is None or limit < best):
                best = limit
    return best


def _cpu_quota_at(root: MachineRoot, version: int, folder: str) -> float | Unavailable | None:
    """The CPU quota set in one cgroup folder; None when there is none (or no file)."""
    if version == 2:
        file = f"{folder}/cpu.max"
        text = root.read_text(file)
        if isinstance(text, Unavailable):
            return None
        fields = text.split()
        if len(fields) in (1, 2) and fields[0] == "max":
            return None
        try:
            quota, period = map(int, fields)  # a count other than 2 is a ValueError too
        except ValueError:
            return Unavailable(f"{file} holds {text.strip()[:40]!r}, not '$MAX $PERIOD'")
        if quota <= 0 or period <= 0:
            return Unavailable(f"{file} holds a non-positive quota or period: {text.strip()!r}")
        return quota / period
    quota_file = f"{folder}/cpu.cfs_quota_us"
    quota_text = root.read_text(quota_file)
    if isinstance(quota_text, Unavailable):
        return None
    garbled = Unavailable(f"{folder}: cpu.cfs_quota_us / cpu.cfs_period_us are not integers")
    try:
        quota_v1 = int(quota_text.strip())
    except ValueError:
        return garbled
    if quota_v1 < 0:
        return None
    period_text = root.read_text(f"{folder}/cpu.cfs_period_us")
    if isinstance(period_text, Unavailable):
        return period_text
    try:
        period_v1 = int(period_text.strip())
    except ValueError:
        return garbled
    if quota_v1 == 0 or period_v1 <= 0:
        return Unavailable(f"{folder} has a zero CFS quota or period")
    return quota_v1 / period_v1


def _memory_limit_at(root: MachineRoot, version: int, folder: str) -> int | Unavailable | None:
    """The memory limit set in one cgroup folder; None when there is none (or no file)."""
    file = f"{folder}/{'memory.max' if version == 2 else 'memory.limit_in_bytes'}"
    text = root.read_text(file)
    if isinstance(text, Unavailable) or text.strip() == "max":
        return None
    try:
        limit = int(text.strip())
    except ValueError:
        return Unavailable(f"{file} holds {text.strip()[:40]!r}, not a byte count")
    return limit if limit < UNLIMITED_MEMORY_BYTES else None
