"""System memory from ``/proc/meminfo`` (fields documented in proc(5))."""

from __future__ import annotations

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.facts import MemoryFacts
from mfu_advisor.probe.sources import MachineRoot


def read_meminfo(root: MachineRoot, warnings: list[str]) -> dict[str, int] | Unavailable:
    """``/proc/meminfo`` as field -> bytes (the file's "kB" are KiB)."""
    text = root.read_text("/proc/meminfo")
    if isinstance(text, Unavailable):
        return text
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, sep, rest = line.partition(":")
        fields = rest.split()
        if not sep or not fields:
            continue
        try:
            number = int(fields[0])
        except ValueError:
            warnings.append(f"/proc/meminfo: garbled line {line[:60]!r}")
            continue
        unit = fields[1] if len(fields) > 1 else ""
        values[key.strip()] = number * 1024 if unit == "kB" else number
    return values


def memory_facts(
    root: MachineRoot, cgroup_limit_bytes: Maybe[int | None], warnings: list[str]
) -> MemoryFacts:
    """Total and available memory plus the cgroup limit found by the cgroup reader."""
    values = read_meminfo(root, warnings)
    if isinstance(values, Unavailable):
        return MemoryFacts(values, values, cgroup_limit_bytes)
    total: Maybe[int] = values.get("MemTotal", Unavailable("/proc/meminfo has no MemTotal"))
    available: Maybe[int] = values.get(
        "MemAvailable", Unavailable("/proc/meminfo has no MemAvailable (kernel before 3.14)")
    )
    return MemoryFacts(total, available, cgroup_limit_bytes)
