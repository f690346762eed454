"""CPU vendors and microarchitectures from numbers: CPUID family/model, ARM MIDR, macOS cpufamily.

Never from the model-name string: "AMD Ryzen" and "Intel Core" are marketing;
family and model numbers are what the silicon reports.

Sources:

- Intel family 6 models: Linux ``arch/x86/include/asm/intel-family.h``
  (https://github.com/torvalds/linux/blob/master/arch/x86/include/asm/intel-family.h),
  which follows Intel's SDM vol. 4 table 2-1.
- AMD Zen generations: Linux ``arch/x86/kernel/cpu/amd.c``, ``bsp_init_amd()``
  ("Figure out Zen generations"), from AMD's Processor Programming References.
- ARM implementers and part numbers: Linux ``arch/arm64/include/asm/cputype.h``.
- macOS ``hw.cpufamily``: XNU ``osfmk/mach/machine.h`` (``CPUFAMILY_ARM_*``), as
  mapped to chips by LLVM ``llvm/lib/TargetParser/Host.cpp`` (``getHostCPUName``).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: CPUID leaf 0 vendor strings -> vendor. "GenuineIotel" is a known bit-flip on
#: some Intel parts; "AMDisbetter!" was used by early AMD K5 samples.
CPUID_VENDORS: Mapping[str, str] = MappingProxyType(
    {
        "GenuineIntel": "Intel",
        "GenuineIotel": "Intel",
        "AuthenticAMD": "AMD",
        "AMDisbetter!": "AMD",
        "HygonGenuine": "Hygon",
        "CentaurHauls": "Centaur",
        "  Shanghai  ": "Zhaoxin",
        "VIA VIA VIA ": "VIA",
        "CyrixInstead": "Cyrix",
        "GenuineTMx86": "Transmeta",
        "Geode by NSC": "National Semiconductor",
        "Vortex86 SoC": "DM&P",
    }
)


def vendor_from_cpuid(vendor_id: str) -> str:
    """Vendor name for a CPUID vendor string ("GenuineIntel" -> "Intel").

    The string is matched exactly first (Zhaoxin's has significant spaces),
    then stripped; unknown strings come back as "Unknown (<string>)".
    """
    if vendor_id in CPUID_VENDORS:
        return CPUID_VENDORS[vendor_id]
    stripped = vendor_id.strip()
    for raw, vendor in CPUID_VENDORS.items():
        if raw.strip() == stripped:
            return vendor
    return f"Unknown ({stripped})" if stripped else "Unknown"


#: Intel family 6 model -> microarchitecture (intel-family.h). Hybrid parts are
#: named by product ("Alder Lake"); :func:`core_microarchitecture` names the cores.
INTEL_FAMILY6: Mapping[int, str] = MappingProxyType(
    {
        0x2A: "Sandy Bridge",
        0x2D: "Sandy Bridge-EP",
        0x3A: "Ivy Bridge",
        0x3E: "Ivy Bridge-EP",
        0x3C: "Haswell",
        0x3F: "Haswell-EP",
        0x45: "Haswell",
        0x46: "Haswell",
        0x3D: "Broadwell",
        0x47: "Broadwell",
        0x4F: "Broadwell-EP",
        0x56: "Broadwell-DE",
        0x4E: "Skylake",
        0x5E: "Skylake",
        # Model 0x55 is Skylake-SP, Cascade Lake (stepping 5-7) or Cooper Lake
        # (stepping 10-11); the stepping is not part of this lookup.
        0x55: "Skylake-SP/Cascade Lake",
        0x8E: "Kaby Lake/Coffee Lake",
        0x9E: "Kaby Lake/Coffee Lake",
        0xA5: "Comet Lake",
        0xA6: "Comet Lake",
        0x66: "Cannon Lake",
        0x7D: "Ice Lake",
        0x7E: "Ice Lake",
        0x9D: "Ice Lake",
        0x6A: "Ice Lake-SP",
        0x6C: "Ice Lake-D",
        0xA7: "Rocket Lake",
        0x8C: "Tiger Lake",
        0x8D: "Tiger Lake",
        0x8F: "Sapphire Rapids",
        0xCF: "Emerald Rapids",
        0xAD: "Granite Rapids",
        0xAE: "Granite Rapids-D",
        0xD7: "Bartlett Lake",
        0x8A: "Lakefield",
        0x97: "Alder Lake",
        0x9A: "Alder Lake",
        0xB7: "Raptor Lake",
        0xBA: "Raptor Lake",
        0xBF: "Raptor Lake",
        0xAA: "Meteor Lake",
        0xAC: "Meteor Lake",
        0xC5: "Arrow Lake",
        0xC6: "Arrow Lake",
        0xB5: "Arrow Lake",
        0xBD: "Lunar Lake",
        0xCC: "Panther Lake",
        # Atom / E-core-only parts
        0x5C: "Goldmont",
        0x5F: "Goldmont",
        0x7A: "Goldmont Plus",
        0x86: "Tremont",
        0x96: "Tremont",
        0x9C: "Tremont",
        0xBE: "Alder Lake-N",
        0xAF: "Sierra Forest",
        0xB6: "Grand Ridge",
        0xDD: "Clearwater Forest",
        0x57: "Knights Landing",
        0x85: "Knights Mill",
    }
)

#: Intel families other than 6 (intel-family.h: Family 19 is Diamond Rapids).
INTEL_OTHER_FAMILIES: Mapping[tuple[int, int], str] = MappingProxyType(
    {(19, 0x01): "Diamond Rapids"}
)


def _amd_microarchitecture(family: int, model: int) -> str | None:
    """AMD Zen generation by family/model ranges of Linux amd.c (bsp_init_amd)."""
    if family == 0x17:
        if model in (0x08, 0x18):  # Pinnacle Ridge, Picasso: 12 nm Zen+
            return "Zen+"
        if 0x00 <= model <= 0x2F or 0x50 <= model <= 0x5F:
            return "Zen"
        if (
            0x30 <= model <= 0x4F
            or 0x60 <= model <= 0x7F
            or model in (0x90, 0x91)
            or (0xA0 <= model <= 0xAF)
        ):
            return "Zen 2"
        return None
    if family == 0x19:
        if 0x40 <= model <= 0x4F:  # Rembrandt: 6 nm Zen 3+
            return "Zen 3+"
        if 0x00 <= model <= 0x0F or 0x20 <= model <= 0x5F:
            return "Zen 3"
        if 0x10 <= model <= 0x1F or 0x60 <= model <= 0xAF:
            return "Zen 4"
        return None
    if family == 0x1A:
        # Strix Point (0x20-0x2f) and Krackan Point (0x60-0x6f) execute 512-bit
        # operations on a 256-bit datapath; Turin, Granite Ridge and Strix Halo
        # have the full 512-bit datapath.
        if 0x20 <= model <= 0x2F or 0x60 <= model <= 0x6F:
            return "Zen 5 (256-bit FPU)"
        if 0x00 <= model <= 0x1F or 0x40 <= model <= 0x4F or 0x70 <= model <= 0x7F:
            return "Zen 5"
        return None
    if family == 0x15:
        if model <= 0x0F:
            return "Bulldozer"
        if model <= 0x1F:
            return "Piledriver"
        if 0x30 <= model <= 0x3F:
            return "Steamroller"
        if 0x60 <= model <= 0x7F:
            return "Excavator"
        return None
    if family == 0x16:
        return "Jaguar" if model <= 0x0F else "Puma"
    return None


def x86_microarchitecture(vendor_id: str, family: int, model: int) -> str | None:
    """Microarchitecture of an x86 CPU from its CPUID vendor, family and model.

    ``family`` and ``model`` are the displayed values (``/proc/cpuinfo``'s
    "cpu family" and "model", extended bits already added). Returns None when
    the combination is not in the tables.
    """
    vendor = vendor_from_cpuid(vendor_id)
    if vendor == "Intel":
        if family == 6:
            return INTEL_FAMILY6.get(model)
        return INTEL_OTHER_FAMILIES.get((family, model))
    if vendor == "AMD":
        return _amd_microarchitecture(family, model)
    if vendor == "Hygon" and family == 0x18:
        return "Dhyana (Zen)"  # Hygon's licensed Zen core
    return None


#: ARM MIDR implementer codes (cputype.h ARM_CPU_IMP_*).
ARM_IMPLEMENTERS: Mapping[int, str] = MappingProxyType(
    {
        0x41: "ARM",
        0x42: "Broadcom",
        0x43: "Cavium",
        0x46: "Fujitsu",
        0x48: "HiSilicon",
        0x4E: "NVIDIA",
        0x50: "Applied Micro",
        0x51: "Qualcomm",
        0x53: "Samsung",
        0x61: "Apple",
        0x69: "Intel",
        0x6D: "Microsoft",
        0x70: "Phytium",
        0xC0: "Ampere",
    }
)

#: (implementer, part) -> microarchitecture (cputype.h *_CPU_PART_*).
ARM_PARTS: Mapping[tuple[int, int], str] = MappingProxyType(
    {
        (0x41, 0xD03): "Cortex-A53",
        (0x41, 0xD04): "Cortex-A35",
        (0x41, 0xD05): "Cortex-A55",
        (0x41, 0xD07): "Cortex-A57",
        (0x41, 0xD08): "Cortex-A72",
        (0x41, 0xD09): "Cortex-A73",
        (0x41, 0xD0A): "Cortex-A75",
        (0x41, 0xD0B): "Cortex-A76",
        (0x41, 0xD0C): "Neoverse N1",
        (0x41, 0xD0D): "Cortex-A77",
        (0x41, 0xD40): "Neoverse V1",
        (0x41, 0xD41): "Cortex-A78",
        (0x41, 0xD44): "Cortex-X1",
        (0x41, 0xD47): "Cortex-A710",
        (0x41, 0xD48): "Cortex-X2",
        (0x41, 0xD49): "Neoverse N2",
        (0x41, 0xD4B): "Cortex-A78C",
        (0x41, 0xD4D): "Cortex-A715",
        (0x41, 0xD4E): "Cortex-X3",
        (0x41, 0xD4F): "Neoverse V2",
        (0x41, 0xD81): "Cortex-A720",
        (0x41, 0xD82): "Cortex-X4",
        (0x41, 0xD84): "Neoverse V3",
        (0x41, 0xD85): "Cortex-X925",
        (0x41, 0xD87): "Cortex-A725",
        (0x41, 0xD8E): "Neoverse N3",
        (0x43, 0x0AF): "ThunderX2",
        (0x46, 0x001): "A64FX",
        (0x48, 0xD01): "TaiShan v110",
        (0x4E, 0x003): "Denver",
        (0x4E, 0x004): "Carmel",
        (0x51, 0x001): "Oryon",
        (0x61, 0x022): "Apple M1 Icestorm",
        (0x61, 0x023): "Apple M1 Firestorm",
        (0x61, 0x024): "Apple M1 Icestorm",
        (0x61, 0x025): "Apple M1 Firestorm",
        (0x61, 0x028): "Apple M1 Icestorm",
        (0x61, 0x029): "Apple M1 Firestorm",
        (0x61, 0x032): "Apple M2 Blizzard",
        (0x61, 0x033): "Apple M2 Avalanche",
        (0x61, 0x034): "Apple M2 Blizzard",
        (0x61, 0x035): "Apple M2 Avalanche",
        (0x61, 0x038): "Apple M2 Blizzard",
        (0x61, 0x039): "Apple M2 Avalanche",
        (0x6D, 0xD49): "Neoverse N2",  # Azure Cobalt 100, "based on r0p0 of Neoverse N2"
        (0xC0, 0xAC3): "AmpereOne",
        (0xC0, 0xAC4): "AmpereOne",  # AmpereOne A ("AMPERE1A")
    }
)


def arm_implementer_name(implementer: int) -> str:
    """Name of an ARM MIDR implementer code, or "Unknown implementer 0x.."."""
    return ARM_IMPLEMENTERS.get(implementer, f"Unknown implementer 0x{implementer:02x}")


def arm_microarchitecture(implementer: int, part: int) -> str | None:
    """Core microarchitecture from MIDR implementer and part number, or None if unknown."""
    return ARM_PARTS.get((implementer, part))


#: macOS ``hw.cpufamily`` -> chip (XNU machine.h CPUFAMILY_ARM_*; LLVM Host.cpp
#: maps them: FIRESTORM_ICESTORM = A14/M1, BLIZZARD_AVALANCHE = A15/M2,
#: EVEREST_SAWTOOTH = A16, IBIZA = M3, LOBOS = M3 Pro, PALMA = M3 Max,
#: COLL = A17 Pro, DONAN = M4, BRAVA = M4 Pro/Max, TAHITI = A18 Pro, TUPAI = A18).
APPLE_CPUFAMILIES: Mapping[int, str] = MappingProxyType(
    {
        0x1B588BB3: "Apple M1",  # also A14; M1 Pro/Max/Ultra share it
        0xDA33D83D: "Apple M2",  # also A15; M2 Pro/Max/Ultra share it
        0x8765EDEA: "Apple A16",
        0xFA33415E: "Apple M3",
        0x5F4DEA93: "Apple M3 Pro",
        0x72015832: "Apple M3 Max",
        0x2876F5B5: "Apple A17 Pro",
        0x6F5129AC: "Apple M4",
        0x17D5B93A: "Apple M4 Pro/Max",
        0x75D4ACB9: "Apple A18 Pro",
        0x204526D0: "Apple A18",
    }
)


def apple_microarchitecture(cpufamily: int) -> str | None:
    """Chip name for a macOS ``hw.cpufamily`` value ("Apple M2"), or None if unknown."""
    return APPLE_CPUFAMILIES.get(cpufamily & 0xFFFFFFFF)


#: Hybrid parts: product -> (performance-core, efficiency-core) microarchitecture.
#: Intel: Intel Architecture Day 2021 / product briefs; Apple: core names from
#: Linux cputype.h (M1, M2) and Apple's per-chip P/E terminology (M3, M4).
HYBRID_CORES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "Lakefield": ("Sunny Cove", "Tremont"),
        "Alder Lake": ("Golden Cove", "Gracemont"),
        "Raptor Lake": ("Raptor Cove", "Gracemont"),
        "Meteor Lake": ("Redwood Cove", "Crestmont"),
        "Arrow Lake": ("Lion Cove", "Skymont"),
        "Lunar Lake": ("Lion Cove", "Skymont"),
        "Panther Lake": ("Cougar Cove", "Darkmont"),
        "Apple M1": ("Apple M1 Firestorm", "Apple M1 Icestorm"),
        "Apple M2": ("Apple M2 Avalanche", "Apple M2 Blizzard"),
        "Apple M3": ("Apple M3 P-core", "Apple M3 E-core"),
        "Apple M3 Pro": ("Apple M3 P-core", "Apple M3 E-core"),
        "Apple M3 Max": ("Apple M3 P-core", "Apple M3 E-core"),
        "Apple M4": ("Apple M4 P-core", "Apple M4 E-core"),
        "Apple M4 Pro/Max": ("Apple M4 P-core", "Apple M4 E-core"),
    }
)


def core_microarchitecture(package: str | None, core_type: str) -> str | None:
    """Microarchitecture of one core type of a package ("performance" or "efficiency").

    Hybrid products map to their core designs ("Alder Lake", "efficiency" ->
    "Gracemont"); other packages are their own core design for "performance"
    and have no efficiency cores (None).
    """
    if package is None:
        return None
    if package in HYBRID_CORES:
        performance, efficiency = HYBRID_CORES[package]
        return performance if core_type == "performance" else efficiency
    return package if core_type == "performance" else None
