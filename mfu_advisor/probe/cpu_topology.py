"""CPU topology from sysfs: online CPUs, physical cores, core types, clocks, caches, NUMA.

Documentation/ABI/testing/sysfs-devices-system-cpu, Documentation/admin-guide/pm/cpufreq.rst;
hybrid Intel parts: the ``cpu_core`` / ``cpu_atom`` PMU folders (arch/x86/events/intel/core.c).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.cpuinfo import CpuinfoBlock, parse_cpu_list
from mfu_advisor.probe.facts import CacheFacts
from mfu_advisor.probe.sources import MachineRoot

CPU_SYSFS = "/sys/devices/system/cpu"


class CoreGroup(NamedTuple):
    """Logical CPUs of one core type, before peaks are attached."""

    name: str
    """"performance" or "efficiency"."""
    cpus: tuple[int, ...]
    arm_part: tuple[int, int] | None = None
    """(implementer, part) of this group's cores on arm64, which may differ per group."""


def read_online_cpus(
    root: MachineRoot, processors: Mapping[int, CpuinfoBlock], warnings: list[str]
) -> tuple[int, ...]:
    """Online logical CPUs from ``/sys/devices/system/cpu/online``, else /proc/cpuinfo."""
    text = root.read_text(f"{CPU_SYSFS}/online")
    if isinstance(text, str):
        cpus = parse_cpu_list(text)
        if cpus:
            return cpus
        warnings.append(f"{CPU_SYSFS}/online holds {text.strip()[:40]!r}, not a CPU list")
    return tuple(sorted(processors))


def physical_core_map(
    root: MachineRoot, processors: Mapping[int, CpuinfoBlock], online: Sequence[int]
) -> Maybe[dict[int, tuple[int, int]]]:
    """Logical CPU -> (package, core) key: CPUs sharing a key are SMT siblings of one core."""
    from_cpuinfo: dict[int, tuple[int, int]] = {}
    for cpu in online:
        block = processors.get(cpu)
        if block is None:
            break
        package, core = block.get_int("physical id"), block.get_int("core id")
        if package is None or core is None:
            break
        from_cpuinfo[cpu] = (package, core)
    else:
        if from_cpuinfo:
            return from_cpuinfo
    return sysfs_core_map(root, online)


def sysfs_core_map(root: MachineRoot, online: Sequence[int]) -> Maybe[dict[int, tuple[int, int]]]:
    """Logical CPU -> (package, core) from sysfs ``topology`` alone."""
    mapping: dict[int, tuple[int, int]] = {}
    for cpu in online:
        if cpu in mapping:
            continue
        folder = f"{CPU_SYSFS}/cpu{cpu}/topology"
        siblings_text = root.read_text(f"{folder}/thread_siblings_list")
        if isinstance(siblings_text, Unavailable):
            return siblings_text
        siblings = parse_cpu_list(siblings_text)
        if not siblings or cpu not in siblings:
            return Unavailable(f"{folder}/thread_siblings_list holds {siblings_text.strip()!r}")
        package = root.read_int(f"{folder}/physical_package_id")
        package_id = package if isinstance(package, int) else 0
        for sibling in siblings:
            mapping[sibling] = (package_id, min(siblings))
    return mapping


def read_core_groups(
    root: MachineRoot, processors: Mapping[int, CpuinfoBlock], online: Sequence[int]
) -> tuple[CoreGroup, ...]:
    """Core types: Intel hybrid P/E from the cpu_core/cpu_atom PMUs, arm64 by part number."""
    online_set = set(online)
    p_text = root.read_text("/sys/devices/cpu_core/cpus")
    if isinstance(p_text, str):
        e_text = root.read_text("/sys/devices/cpu_atom/cpus")
        p_cpus = parse_cpu_list(p_text)
        e_cpus = parse_cpu_list(e_text) if isinstance(e_text, str) else None
        if p_cpus and e_cpus:
            return (
                CoreGroup("performance", tuple(c for c in p_cpus if c in online_set)),
                CoreGroup("efficiency", tuple(c for c in e_cpus if c in online_set)),
            )
    parts: dict[tuple[int, int], list[int]] = {}
    for cpu in online:
        block = processors.get(cpu)
        if block is None:
            break
        implementer = block.get_int("CPU implementer", 0)
        part = block.get_int("CPU part", 0)
        if implementer is None or part is None:
            break
        parts.setdefault((implementer, part), []).append(cpu)
    if len(parts) > 1:
        # big.LITTLE: the part with the most capacity is the performance type.
        ranked = sorted(parts.items(), key=lambda item: -_capacity(root, item[1][0]))
        return tuple(
            CoreGroup("performance" if rank == 0 else "efficiency", tuple(cpus), key)
            for rank, (key, cpus) in enumerate(ranked)
        )
    only_part = next(iter(parts)) if len(parts) == 1 else None
    return (CoreGroup("performance", tuple(online), only_part),)


def _capacity(root: MachineRoot, cpu: int) -> int:
    """arm64 ``cpu_capacity`` (1024 = the biggest core), else its max clock; 0 when unknown."""
    capacity = root.read_int(f"{CPU_SYSFS}/cpu{cpu}/cpu_capacity")
    if isinstance(capacity, int):
        return capacity
    max_khz = root.read_int(f"{CPU_SYSFS}/cpu{cpu}/cpufreq/cpuinfo_max_freq")
    return max_khz if isinstance(max_khz, int) else 0


def read_cpufreq_mhz(root: MachineRoot, cpu: int, name: str, warnings: list[str]) -> Maybe[float]:
    """A cpufreq value of one CPU (``cpuinfo_max_freq``, ``base_frequency``), kHz -> MHz."""
    path = f"{CPU_SYSFS}/cpu{cpu}/cpufreq/{name}"
    khz = root.read_int(path)
    if isinstance(khz, Unavailable):
        if "not an integer" in khz.reason:
            warnings.append(khz.reason)
        return khz
    if not 0 < khz <= MAX_CPU_KHZ:
        reason = f"{path} holds {khz} kHz, outside a plausible CPU clock (0-{MAX_CPU_KHZ} kHz)"
        if khz > 0:
            warnings.append(reason)
        return Unavailable(reason)
    return khz / 1000.0


#: No CPU runs above 10 GHz (the overclocking record is about 9 GHz): a larger
#: cpufreq value is garbled.
MAX_CPU_KHZ = 10_000_000


def boost_above_cpufreq_max(root: MachineRoot, cpu: int) -> bool:
    """acpi-cpufreq with boost on: ``cpuinfo_max_freq`` is the highest P-state, not the boost.

    amd-pstate reports the highest boost perf as cpuinfo_max_freq, so only the acpi-cpufreq
    driver is affected (Documentation/admin-guide/pm/cpufreq.rst, "The boost file";
    Documentation/admin-guide/pm/amd-pstate.rst).
    """
    driver = root.read_text(f"{CPU_SYSFS}/cpu{cpu}/cpufreq/scaling_driver")
    if not isinstance(driver, str) or driver.strip() != "acpi-cpufreq":
        return False
    boost = root.read_text(f"{CPU_SYSFS}/cpufreq/boost")
    return isinstance(boost, str) and boost.strip() == "1"


_SIZE = re.compile(r"^\s*([0-9]+)\s*([KMG]?)\s*$")
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_CACHE_KINDS = {"Data": "data", "Instruction": "instruction", "Unified": "unified"}


def read_caches(
    root: MachineRoot, groups: Sequence[CoreGroup], online: Sequence[int], warnings: list[str]
) -> tuple[CacheFacts, ...]:
    """Cache levels, read from the first CPU of each core type."""
    seen: set[tuple[int, str, tuple[int, ...]]] = set()
    caches: list[CacheFacts] = []
    for group in groups:
        if not group.cpus:
            continue
        cpu = group.cpus[0]
        folder = f"{CPU_SYSFS}/cpu{cpu}/cache"
        names = root.listdir(folder)
        if isinstance(names, Unavailable):
            continue
        for index in (n for n in names if re.fullmatch(r"index[0-9]+", n)):
            cache = _read_cache_index(root, f"{folder}/{index}", group, online, warnings)
            if cache is None:
                continue
            key, facts = cache
            if key not in seen:
                seen.add(key)
                caches.append(facts)
    return tuple(sorted(caches, key=lambda c: (c.level, c.kind, -c.size_bytes)))


def _read_cache_index(
    root: MachineRoot,
    folder: str,
    group: CoreGroup,
    online: Sequence[int],
    warnings: list[str],
) -> tuple[tuple[int, str, tuple[int, ...]], CacheFacts] | None:
    level = root.read_int(f"{folder}/level")
    kind_text = root.read_text(f"{folder}/type")
    size_text = root.read_text(f"{folder}/size")
    shared_text = root.read_text(f"{folder}/shared_cpu_list")
    if isinstance(level, Unavailable) or isinstance(kind_text, Unavailable):
        return None
    if isinstance(size_text, Unavailable) or isinstance(shared_text, Unavailable):
        return None
    match = _SIZE.match(size_text)
    shared = parse_cpu_list(shared_text)
    if match is None or not shared:
        warnings.append(f"{folder}: unreadable size {size_text.strip()[:20]!r} or CPU list")
        return None
    size = int(match.group(1)) * _SIZE_UNITS[match.group(2)]
    kind = _CACHE_KINDS.get(kind_text.strip(), kind_text.strip().lower())
    within_group = set(shared) <= set(group.cpus)
    population = len(group.cpus) if within_group else len(online)
    instances = max(1, math.ceil(population / len(shared)))
    return (level, kind, shared), CacheFacts(level, kind, size, instances)


def read_numa_nodes(root: MachineRoot) -> Maybe[int]:
    """NUMA nodes with memory or CPUs online: /sys/devices/system/node/online (a node list)."""
    text = root.read_text("/sys/devices/system/node/online")
    if isinstance(text, str):
        nodes = parse_cpu_list(text)
        if nodes:
            return len(nodes)
    names = root.listdir("/sys/devices/system/node")
    if isinstance(names, Unavailable):
        return names
    count = sum(1 for n in names if re.fullmatch(r"node[0-9]+", n))
    return count if count else Unavailable("/sys/devices/system/node lists no nodes")
