"""macOS: CPU, memory and the Apple-silicon GPU from one ``sysctl`` call.

Whole subtrees (``hw``) are asked, so a macOS without one name does not fail the
call. Names are Apple's (sys/sysctl.h; the "hw.optional" flags at
https://developer.apple.com/documentation/kernel/1387446-sysctlbyname/determining_instruction_set_characteristics).
"""

from __future__ import annotations

import dataclasses
import re

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import (
    CacheFacts,
    CoreTypeFacts,
    CpuFacts,
    GpuFacts,
    GpuKind,
    HostFacts,
    MemoryFacts,
    PeakFlops,
    Peaks,
    TorchSupport,
    all_unavailable,
)
from mfu_advisor.probe.sources import MachineRoot

SYSCTL_ARGV = ("sysctl", "hw", "machdep.cpu", "kern.hostname", "kern.osrelease")

#: Most performance levels sysctl can report: Apple silicon has two (performance and
#: efficiency cores); a larger hw.nperflevels is a corrupt or forged value, read as none.
MAX_PERF_LEVELS = 8

#: Apple's PCI vendor ID (PCI-SIG), used for the SoC GPU that has no PCI function.
APPLE_VENDOR_ID = 0x106B


def read_sysctl(root: MachineRoot) -> dict[str, str] | Unavailable:
    """``sysctl`` output as name -> value text."""
    text = root.run("sysctl", SYSCTL_ARGV)
    if isinstance(text, Unavailable):
        return text
    values: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep:
            values[name.strip()] = value.strip()
    return values


def _int(values: dict[str, str], name: str) -> int | None:
    try:
        return int(values[name])
    except (KeyError, ValueError):
        return None


def darwin_host(root: MachineRoot, values: dict[str, str] | Unavailable) -> HostFacts:
    """Host facts from sysctl's kern.* names."""
    from mfu_advisor.probe.host import read_host

    base = read_host(root)
    if isinstance(values, Unavailable):
        return HostFacts(values, base.os, values, base.python_version)
    hostname: Maybe[str] = values.get("kern.hostname") or Unavailable("no kern.hostname")
    kernel: Maybe[str] = values.get("kern.osrelease") or Unavailable("no kern.osrelease")
    return HostFacts(hostname, base.os, kernel, base.python_version)


def darwin_cpu(values: dict[str, str] | Unavailable, warnings: list[str]) -> CpuFacts:
    """CPU facts from sysctl; Apple silicon's performance levels become core types."""
    from mfu_advisor.probe.cpu_clock import NO_CLOCK, PeakClock, clock_fields, peak_clock
    from mfu_advisor.probe.cpu_peaks import core_type, sum_peaks
    from mfu_advisor.probe.cpu_uarch import apple_microarchitecture, core_microarchitecture
    from mfu_advisor.probe.cpuinfo import MAX_CPUS

    if isinstance(values, Unavailable):
        warnings.append(f"CPU facts unknown: {values.reason}")
        values = {}
    logical = _int(values, "hw.logicalcpu") or _int(values, "hw.ncpu") or 0
    if not 0 <= logical < MAX_CPUS:
        warnings.append(f"hw.logicalcpu is {logical}, beyond any machine: read as unknown")
        logical = 0
    physical_raw = _int(values, "hw.physicalcpu")
    physical: Maybe[int] = physical_raw if physical_raw else Unavailable("no hw.physicalcpu")
    brand = values.get("machdep.cpu.brand_string", "unknown")
    apple = values.get("hw.optional.arm64") == "1" or brand.startswith("Apple")
    family_raw = _int(values, "hw.cpufamily")
    uarch: Maybe[str] = Unavailable("no hw.cpufamily")
    if apple:
        flags = data_file("cpus.toml")["isa"]["apple"]
        isa = tuple(name for key, name in flags.items() if values.get(key) == "1")
        vendor, vendor_id = "Apple", "0x61"  # ARM implementer code of Apple Inc.
        if family_raw is not None:
            family_u32 = family_raw & 0xFFFFFFFF  # sysctl prints it as a signed int
            uarch = apple_microarchitecture(family_u32) or Unavailable(
                f"hw.cpufamily 0x{family_u32:08x} is not in the table"
            )
    else:
        words = (
            values.get("machdep.cpu.features", "")
            + " "
            + values.get("machdep.cpu.leaf7_features", "")
        ).split()
        known = data_file("cpus.toml")["isa"]["intel_mac"]
        isa = tuple(name for word, name in known.items() if word in words)
        vendor_id = values.get("machdep.cpu.vendor", "unknown")
        vendor = "Intel" if vendor_id == "GenuineIntel" else vendor_id
    uarch_name = uarch if isinstance(uarch, str) else None
    levels = _int(values, "hw.nperflevels") or 0
    if not 0 <= levels <= MAX_PERF_LEVELS:
        warnings.append(
            f"hw.nperflevels is {levels}, outside the 0-{MAX_PERF_LEVELS} a Mac reports: "
            "read as no performance levels"
        )
        levels = 0
    core_types: list[CoreTypeFacts] = []
    clocks: list[PeakClock] = []
    for level in range(levels):
        cores = _int(values, f"hw.perflevel{level}.physicalcpu") or 0
        name = "performance" if level == 0 else "efficiency"
        core_uarch = core_microarchitecture(uarch_name, name) if uarch_name else None
        apple_clocks = data_file("cpus.toml")["apple_clocks"]
        mhz = apple_clocks["mhz"].get(core_uarch or "")
        clock = peak_clock("apple_table", mhz, source=apple_clocks["source"]) if mhz else NO_CLOCK
        clocks.append(clock)
        core_types.append(core_type(name, (), cores, core_uarch or uarch, _clock(mhz), clock, isa))
    if not core_types:
        mhz = _clock_value(values)
        clocks.append(peak_clock("sysctl_cpufrequency", mhz) if mhz else NO_CLOCK)
        cores = physical_raw or logical
        core_types.append(core_type("performance", (), cores, uarch, _clock(mhz), clocks[-1], isa))
    performance: Maybe[int] = core_types[0].physical_cores
    efficiency: Maybe[int] = sum(t.physical_cores for t in core_types[1:])
    total_peaks = sum_peaks([t.peak_flops for t in core_types])
    max_clocks = [t.max_clock_mhz for t in core_types if isinstance(t.max_clock_mhz, float | int)]
    threads = logical // physical_raw if physical_raw else Unavailable("no hw.physicalcpu")
    no_cgroups = None  # macOS has no cgroups
    return CpuFacts(
        vendor=vendor,
        vendor_id=vendor_id,
        model=brand,
        family=family_raw & 0xFFFFFFFF if family_raw is not None else Unavailable("no family"),
        model_number=Unavailable("macOS does not expose a model number for Apple silicon")
        if apple
        else (_int(values, "machdep.cpu.model") or Unavailable("no machdep.cpu.model")),
        microarchitecture=uarch,
        isa=isa,
        logical_cpus=logical,
        physical_cores=physical,
        performance_cores=performance,
        efficiency_cores=efficiency,
        core_types=tuple(core_types),
        threads_per_core=threads,
        sockets=_int(values, "hw.packages") or 1,
        base_clock_mhz=_clock(_clock_value(values)),
        max_clock_mhz=max(max_clocks) if max_clocks else _clock(_clock_value(values)),
        caches=_caches(values, levels),
        numa_nodes=1,
        hypervisor=Unavailable("not read on macOS"),
        affinity_cpus=tuple(range(logical)),
        cgroup_cpu_limit=no_cgroups,
        usable_cpus=max(1, logical),
        peak_flops=total_peaks,
        **clock_fields(*clocks),
    )


def _clock_value(values: dict[str, str]) -> float | None:
    hz = _int(values, "hw.cpufrequency_max") or _int(values, "hw.cpufrequency")
    return hz / 1e6 if hz else None


def _clock(mhz: float | None) -> Maybe[float]:
    return mhz if mhz else Unavailable("macOS does not report Apple-silicon clocks")


def _caches(values: dict[str, str], levels: int) -> tuple[CacheFacts, ...]:
    caches: list[CacheFacts] = []
    prefixes = [f"hw.perflevel{i}." for i in range(levels)] or ["hw."]
    for prefix in prefixes:
        cores = _int(values, prefix + "physicalcpu") or 1
        per_l2 = _int(values, prefix + "cpusperl2") or cores
        for name, level, kind, instances in (
            ("l1icachesize", 1, "instruction", cores),
            ("l1dcachesize", 1, "data", cores),
            ("l2cachesize", 2, "unified", max(1, cores // max(1, per_l2))),
        ):
            size = _int(values, prefix + name)
            if size:
                caches.append(CacheFacts(level, kind, size, instances))
    return tuple(caches)


def darwin_memory(values: dict[str, str] | Unavailable) -> MemoryFacts:
    """Total memory from ``hw.memsize``; macOS has no cgroup limit."""
    if isinstance(values, Unavailable):
        return MemoryFacts(values, values, None)
    total = _int(values, "hw.memsize")
    return MemoryFacts(
        total if total else Unavailable("no hw.memsize"),
        Unavailable("available memory is not read on macOS"),
        None,
    )


#: ``ioreg -rd1 -c AGXAccelerator`` prints the Apple GPU's driver properties,
#: among them ``"gpu-core-count" = 10`` (sysctl does not know the GPU).
IOREG_ARGV = ("ioreg", "-rd1", "-c", "AGXAccelerator")


def apple_gpu(
    root: MachineRoot, values: dict[str, str] | Unavailable, torch: TorchSupport
) -> GpuFacts | None:
    """The Apple-silicon GPU (no PCI function); None on an Intel Mac."""
    if isinstance(values, Unavailable):
        return None
    brand = values.get("machdep.cpu.brand_string", "")
    if not brand.startswith("Apple"):
        return None
    cores = _gpu_core_count(root)
    return GpuFacts(
        pci_address="soc",
        vendor="Apple",
        vendor_id=f"0x{APPLE_VENDOR_ID:04x}",
        device_id="n/a",
        class_code="n/a",
        name=f"{brand} GPU",
        name_source="sysctl",
        kind=GpuKind.INTEGRATED,
        family=brand,
        compute_units=cores,
        compute_unit_kind="GPU core",
        torch=torch,
        peak_flops=_apple_gpu_peaks(brand, cores),
        nvidia=None,
    )


def _gpu_core_count(root: MachineRoot) -> Maybe[int]:
    text = root.run("ioreg", IOREG_ARGV)
    if isinstance(text, Unavailable):
        return text
    match = re.search(r'"gpu-core-count"\s*=\s*([0-9]+)', text)
    if match is None:
        return Unavailable("ioreg shows no gpu-core-count")
    return int(match.group(1))


def _apple_gpu_peaks(brand: str, cores: Maybe[int]) -> Peaks:
    """The catalog's figure for this chip's GPU, scaled to the probed core count."""
    from mfu_advisor.probe.catalog import find_hardware

    entry = find_hardware(f"{brand} GPU")
    if entry is None or entry.kind != "gpu":
        return all_unavailable(f"{brand} GPU is not in the Apple GPU table")
    table_cores = entry.details.get("gpu_cores")
    out: dict[str, PeakFlops | Unavailable] = {}
    for dtype, peak in entry.peak_flops.items():
        if isinstance(peak, PeakFlops) and isinstance(cores, int) and isinstance(table_cores, int):
            scale = cores / table_cores
            peak = dataclasses.replace(
                peak,
                flops=peak.flops * scale,
                note=f"{peak.note}; scaled to the {cores} GPU cores ioreg reports",
            )
        elif isinstance(peak, PeakFlops):
            peak = dataclasses.replace(
                peak, note=f"{peak.note}; GPU core count not probed: the table's {table_cores}"
            )
        out[dtype] = peak
    return out
