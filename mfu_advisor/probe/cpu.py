"""CPU facts on Linux: identity, ISA, cores, usable CPUs, clocks, caches and peak FLOP/s."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.cgroup import CgroupLimits, read_affinity, usable_cpu_count
from mfu_advisor.probe.cpu_clock import (
    NO_CLOCK,
    PeakClock,
    boost_above_clock,
    clock_fields,
    cpuinfo_clock,
    peak_clock,
    table_boost_clock,
)
from mfu_advisor.probe.cpu_peaks import clock_peaks, core_type, sum_peaks
from mfu_advisor.probe.cpu_topology import (
    CoreGroup,
    boost_above_cpufreq_max,
    physical_core_map,
    read_caches,
    read_core_groups,
    read_cpufreq_mhz,
    read_numa_nodes,
    read_online_cpus,
    sysfs_core_map,
)
from mfu_advisor.probe.cpuinfo import (
    CpuinfoBlock,
    clock_from_model_name,
    isa_from_blocks,
    parse_cpuinfo,
    processor_blocks,
)
from mfu_advisor.probe.facts import CoreTypeFacts, CpuFacts, Peaks
from mfu_advisor.probe.host import read_hypervisor
from mfu_advisor.probe.sources import MachineRoot


class CpuIdentity(NamedTuple):
    """Who made the CPU and what it is, from numbers."""

    vendor: str
    vendor_id: str
    model: str
    family: Maybe[int]
    model_number: Maybe[int]
    microarchitecture: Maybe[str]


class GroupClock(NamedTuple):
    """A core type's max and base clocks, and the clock its peak is computed at."""

    max_mhz: Maybe[float]
    base_mhz: Maybe[float]
    peak: PeakClock


def read_linux_cpu(root: MachineRoot, limits: CgroupLimits, warnings: list[str]) -> CpuFacts:
    """Everything about the CPU that /proc and /sys tell."""
    text = root.read_text("/proc/cpuinfo")
    if isinstance(text, Unavailable):
        warnings.append(f"CPU identity unknown: {text.reason}")
        text = ""
    blocks = parse_cpuinfo(text)
    processors = processor_blocks(blocks)
    first = processors[min(processors)] if processors else CpuinfoBlock({})
    identity = cpu_identity(first)
    isa = isa_from_blocks(processors.values())
    if isinstance(isa, Unavailable):
        warnings.append(f"CPU ISA unknown: {isa.reason}")
    isa_names: tuple[str, ...] = isa if isinstance(isa, tuple) else ()

    online = read_online_cpus(root, processors, warnings)
    core_map = checked_core_map(root, processors, online, warnings)
    groups = read_core_groups(root, processors, online)

    affinity = read_affinity(root, warnings)
    usable_set = set(online) & set(affinity) if isinstance(affinity, tuple) else set(online)
    usable_cpus = usable_cpu_count(len(usable_set) or len(online) or 1, limits.cpu_limit)

    hypervisor = read_hypervisor(root, first.get("flags"))
    guest = hypervisor if isinstance(hypervisor, str) else None
    clocks = [_group_clock(root, g, processors, guest, warnings, identity.vendor) for g in groups]
    core_types, usable_peaks = _core_types(
        groups, clocks, identity, isa_names, core_map, usable_set, limits.cpu_limit
    )
    peaks = sum_peaks(usable_peaks)

    physical: Maybe[int]
    sockets: Maybe[int]
    threads_per_core: Maybe[int]
    if isinstance(core_map, Unavailable) or not core_map:
        physical = sockets = threads_per_core = (
            core_map if isinstance(core_map, Unavailable) else _NO_CPUS
        )
    else:
        physical = len(set(core_map.values()))
        sockets = len({package for package, _ in core_map.values()})
        threads_per_core = max(Counter(core_map.values()).values())
    performance, efficiency = _p_and_e_counts(core_types, physical)
    first_clock = clocks[0] if clocks else GroupClock(_NO_CPUS, _NO_CPUS, NO_CLOCK)
    max_clocks = [c.max_mhz for c in clocks if isinstance(c.max_mhz, float)]
    return CpuFacts(
        vendor=identity.vendor,
        vendor_id=identity.vendor_id,
        model=identity.model,
        family=identity.family,
        model_number=identity.model_number,
        microarchitecture=identity.microarchitecture,
        isa=isa_names,
        logical_cpus=len(online),
        physical_cores=physical,
        performance_cores=performance,
        efficiency_cores=efficiency,
        core_types=core_types,
        threads_per_core=threads_per_core,
        sockets=sockets,
        base_clock_mhz=first_clock.base_mhz,
        max_clock_mhz=max(max_clocks) if max_clocks else first_clock.max_mhz,
        caches=read_caches(root, groups, online, warnings),
        numa_nodes=read_numa_nodes(root),
        hypervisor=hypervisor,
        affinity_cpus=tuple(sorted(usable_set)) if isinstance(affinity, tuple) else tuple(online),
        cgroup_cpu_limit=limits.cpu_limit,
        usable_cpus=usable_cpus,
        peak_flops=peaks,
        **clock_fields(*(c.peak for c in clocks)),
    )


_NO_CPUS = Unavailable("no CPU listed in /proc/cpuinfo or sysfs")


def checked_core_map(
    root: MachineRoot,
    processors: Mapping[int, CpuinfoBlock],
    online: Sequence[int],
    warnings: list[str],
) -> Maybe[dict[int, tuple[int, int]]]:
    """Logical CPU -> (package, core), with a truncated /proc/cpuinfo detected."""
    core_map = physical_core_map(root, processors, online)
    if processors and len(processors) < len(online):
        warnings.append(
            f"/proc/cpuinfo lists {len(processors)} CPUs but sysfs has {len(online)} online: "
            "it looks truncated, so the topology comes from sysfs"
        )
    if isinstance(core_map, Unavailable) or not core_map:
        return core_map
    first = processors.get(min(online)) if online else None
    siblings = first.get_int("siblings") if first else None
    cores = first.get_int("cpu cores") if first else None
    if not siblings or not cores or siblings % cores:
        return core_map
    said = siblings // cores
    seen = max(Counter(core_map.values()).values())
    if said == seen:
        return core_map
    sysfs = sysfs_core_map(root, online)
    found = isinstance(sysfs, dict) and bool(sysfs)
    warnings.append(
        f"/proc/cpuinfo says {said} thread(s) per core (siblings {siblings}, cpu cores "
        f"{cores}) but its core ids give {seen}"
        + (": topology taken from sysfs" if found else ", and sysfs has no topology to decide")
    )
    return sysfs if found else core_map


def cpu_identity(first: CpuinfoBlock) -> CpuIdentity:
    """Vendor, model and microarchitecture from the first CPU's /proc/cpuinfo block."""
    from mfu_advisor.probe.cpu_uarch import (
        arm_implementer_name,
        arm_microarchitecture,
        vendor_from_cpuid,
        x86_microarchitecture,
    )

    cpuid_vendor = first.get("vendor_id")
    if cpuid_vendor is not None:
        family, model = first.get_int("cpu family"), first.get_int("model")
        uarch: Maybe[str] = Unavailable("CPUID family/model missing from /proc/cpuinfo")
        if family is not None and model is not None:
            name = x86_microarchitecture(cpuid_vendor, family, model)
            uarch = name or Unavailable(
                f"family {family} model {model} (0x{model:x}) is not in the table"
            )
        return CpuIdentity(
            vendor=vendor_from_cpuid(cpuid_vendor),
            vendor_id=cpuid_vendor,
            model=first.get("model name") or f"{cpuid_vendor} family {family} model {model}",
            family=family if family is not None else Unavailable("no 'cpu family' line"),
            model_number=model if model is not None else Unavailable("no 'model' line"),
            microarchitecture=uarch,
        )
    implementer = first.get_int("CPU implementer", 0)
    part = first.get_int("CPU part", 0)
    if implementer is not None and part is not None:
        vendor = arm_implementer_name(implementer)
        arm_uarch = arm_microarchitecture(implementer, part)
        architecture = first.get_int("CPU architecture")
        model_name = first.get("model name") or (
            f"{vendor} {arm_uarch}" if arm_uarch else f"{vendor} part 0x{part:03x}"
        )
        return CpuIdentity(
            vendor=vendor,
            vendor_id=f"0x{implementer:02x}",
            model=model_name,
            family=architecture if architecture is not None else Unavailable("no architecture"),
            model_number=part,
            microarchitecture=arm_uarch
            or Unavailable(
                f"implementer 0x{implementer:02x} part 0x{part:03x} is not in the table"
            ),
        )
    missing = Unavailable("/proc/cpuinfo has neither vendor_id nor CPU implementer")
    return CpuIdentity(
        "unknown", "unknown", first.get("model name") or "unknown", missing, missing, missing
    )


def _group_clock(
    root: MachineRoot,
    group: CoreGroup,
    processors: Mapping[int, CpuinfoBlock],
    hypervisor: str | None,
    warnings: list[str],
    vendor: str = "",
) -> GroupClock:
    """Max and base clock of a core type, and the clock its peak is computed at."""
    if not group.cpus:
        missing = Unavailable("no online CPU of this type")
        return GroupClock(missing, missing, NO_CLOCK)
    cpu = group.cpus[0]
    max_mhz = read_cpufreq_mhz(root, cpu, "cpuinfo_max_freq", warnings)
    base_mhz = read_cpufreq_mhz(root, cpu, "base_frequency", warnings)
    block = processors.get(cpu, CpuinfoBlock({}))
    model_name = block.get("model name") or ""
    brand = clock_from_model_name(model_name)
    from_brand = False
    if isinstance(base_mhz, Unavailable) and brand is not None:
        base_mhz, from_brand = brand, True
    if isinstance(max_mhz, float):
        if vendor == "AMD" and boost_above_cpufreq_max(root, cpu):
            from mfu_advisor.probe.catalog import cpu_model_max_clock

            boost = cpu_model_max_clock(model_name)
            if boost is not None and boost[0] > max_mhz:
                clock = table_boost_clock(boost[0], max_mhz, boost[1])
                return GroupClock(boost[0], max_mhz, clock)
            return GroupClock(max_mhz, max_mhz, boost_above_clock(max_mhz))
        return GroupClock(max_mhz, base_mhz, peak_clock("cpufreq_max", max_mhz))
    if group.name == "performance" and not hypervisor:
        # No cpufreq maximum (cpufreq off, or a driver that hides it): the model's
        # max boost from the vendor's spec page, when the model is in the table.
        from mfu_advisor.probe.catalog import cpu_model_max_clock

        boost = cpu_model_max_clock(model_name)
        if boost is not None:
            known_base = base_mhz if isinstance(base_mhz, float) else boost[0]
            clock = table_boost_clock(boost[0], known_base, boost[1], cpufreq_missing=True)
            return GroupClock(boost[0], base_mhz, clock)
    if isinstance(base_mhz, float):
        source = "brand_string" if from_brand else "cpufreq_base"
        return GroupClock(max_mhz, base_mhz, peak_clock(source, base_mhz))
    try:
        current_mhz = float(block.get("cpu MHz") or 0)
    except ValueError:
        current_mhz = 0.0
    if current_mhz > 0:
        return GroupClock(max_mhz, base_mhz, cpuinfo_clock(current_mhz, hypervisor))
    return GroupClock(max_mhz, base_mhz, NO_CLOCK)


def _core_types(
    groups: Sequence[CoreGroup],
    clocks: Sequence[GroupClock],
    identity: CpuIdentity,
    isa: tuple[str, ...],
    core_map: Maybe[dict[int, tuple[int, int]]],
    usable_set: Collection[int],
    cpu_limit: Maybe[float | None],
) -> tuple[tuple[CoreTypeFacts, ...], list[Peaks]]:
    """Per core type: facts with the peak of all its cores, and the peak of its usable cores."""
    from mfu_advisor.probe.cpu_uarch import arm_microarchitecture, core_microarchitecture

    budget = cpu_limit if isinstance(cpu_limit, float | int) else math.inf
    core_types: list[CoreTypeFacts] = []
    usable_peaks: list[Peaks] = []
    for i, group in enumerate(groups):
        clock = clocks[i]
        uarch: Maybe[str] = identity.microarchitecture
        if group.arm_part is not None:
            uarch = arm_microarchitecture(*group.arm_part) or uarch
        elif len(groups) > 1 and isinstance(uarch, str):
            # Hybrid x86: "Alder Lake" -> "Golden Cove" / "Gracemont" (different FLOPs/cycle).
            uarch = core_microarchitecture(uarch, group.name) or uarch
        if isinstance(core_map, Unavailable):
            cores = len(group.cpus)
            usable_cores = float(len(set(group.cpus) & set(usable_set)))
        else:
            cores = len({core_map[c] for c in group.cpus if c in core_map})
            usable_cores = float(
                len({core_map[c] for c in group.cpus if c in core_map and c in usable_set})
            )
        # The cgroup quota caps CPU time, not which cores: spend it on the
        # performance cores first, as the scheduler does on hybrid parts.
        usable_cores = min(usable_cores, budget)
        budget = max(0.0, budget - usable_cores)
        core_types.append(
            core_type(group.name, group.cpus, cores, uarch, clock.max_mhz, clock.peak, isa)
        )
        usable_peaks.append(clock_peaks(uarch, isa, clock.peak, usable_cores))
    return tuple(core_types), usable_peaks


def _p_and_e_counts(
    core_types: Sequence[CoreTypeFacts], physical: Maybe[int]
) -> tuple[Maybe[int], Maybe[int]]:
    if len(core_types) == 1:
        return physical, (0 if isinstance(physical, int) else physical)
    perf = sum(t.physical_cores for t in core_types if t.name == "performance")
    eff = sum(t.physical_cores for t in core_types if t.name == "efficiency")
    return perf, eff
