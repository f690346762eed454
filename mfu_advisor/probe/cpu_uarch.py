"""CPU vendors and microarchitectures from numbers: CPUID, ARM MIDR, macOS cpufamily."""

from __future__ import annotations

from typing import Any

from mfu_advisor.files import data_file


def _table(key: str) -> Any:
    return data_file("cpus.toml")[key]


def vendor_from_cpuid(vendor_id: str) -> str:
    """Vendor name for a CPUID vendor string ("GenuineIntel" -> "Intel")."""
    vendors = _table("cpuid_vendors")
    if vendor_id in vendors:
        return str(vendors[vendor_id])
    stripped = vendor_id.strip()
    for raw, vendor in vendors.items():
        if raw.strip() == stripped:
            return str(vendor)
    return f"Unknown ({stripped})" if stripped else "Unknown"


def x86_microarchitecture(vendor_id: str, family: int, model: int) -> str | None:
    """Microarchitecture of an x86 CPU from its CPUID vendor, family and model."""
    vendor = vendor_from_cpuid(vendor_id)
    if vendor == "Intel":
        if family == 6:
            return _table("intel_family6").get(f"0x{model:02x}")
        return _table("intel_other").get(f"{family}:0x{model:02x}")
    if vendor == "AMD":
        for row in _table("amd"):
            if row["family"] == family and any(lo <= model <= hi for lo, hi in row["models"]):
                return str(row["name"])
        return None
    if vendor == "Hygon" and family == 0x18:
        return "Dhyana (Zen)"  # Hygon's licensed Zen core
    return None


def arm_implementer_name(implementer: int) -> str:
    """Name of an ARM MIDR implementer code, or "Unknown implementer 0x.."."""
    name = _table("arm_implementers").get(f"0x{implementer:02x}")
    return str(name) if name else f"Unknown implementer 0x{implementer:02x}"


def arm_microarchitecture(implementer: int, part: int) -> str | None:
    """Core microarchitecture from MIDR implementer and part number, or None if unknown."""
    return _table("arm_parts").get(f"0x{implementer:02x}:0x{part:03x}")


def apple_microarchitecture(cpufamily: int) -> str | None:
    """Chip name for a macOS ``hw.cpufamily`` value ("Apple M2"), or None if unknown."""
    return _table("apple_cpufamilies").get(f"0x{cpufamily & 0xFFFFFFFF:08x}")


def core_microarchitecture(package: str | None, core_type: str) -> str | None:
    """Microarchitecture of one core type of a package ("performance" or "efficiency")."""
    if package is None:
        return None
    hybrid = _table("hybrid_cores").get(package)
    if hybrid is not None:
        return str(hybrid[0] if core_type == "performance" else hybrid[1])
    return package if core_type == "performance" else None
