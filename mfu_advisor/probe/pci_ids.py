"""PCI vendor names and display-device kinds, from numeric IDs only."""

from __future__ import annotations

import functools

from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import GpuKind

INTEL = 0x8086
AMD_GRAPHICS = 0x1002
NVIDIA = 0x10DE

#: PCI class codes (the 24-bit sysfs ``class`` value shifted right by 8) of display
#: devices: VGA-compatible, 3D (a datacenter GPU, a laptop's second GPU), other display.
DISPLAY_CLASSES: frozenset[int] = frozenset({0x0300, 0x0302, 0x0380})


@functools.cache
def _kinds() -> dict[str, frozenset[int] | frozenset[tuple[int, int]]]:
    """pci.toml's [kinds]: ID lists and "first, last" ranges as sets, "vvvv:dddd" as pairs."""
    out: dict[str, frozenset[int] | frozenset[tuple[int, int]]] = {}
    for key, values in data_file("pci.toml")["kinds"].items():
        if values and isinstance(values[0], str):
            out[key] = frozenset((int(v[:4], 16), int(v[5:], 16)) for v in values)
        elif values and isinstance(values[0], list):
            out[key] = frozenset(i for low, high in values for i in range(low, high + 1))
        else:
            out[key] = frozenset(values)
    return out


def vendor_name(vendor_id: int) -> str:
    """Short vendor name for a PCI vendor ID, or "Unknown vendor 0xabcd"."""
    name = data_file("pci.toml")["vendors"].get(f"0x{vendor_id:04x}")
    return str(name) if name else f"Unknown vendor 0x{vendor_id:04x}"


def device_kind(vendor_id: int, device_id: int, class_code: int) -> GpuKind:
    """Integrated, discrete, virtual, BMC or unknown, decided by numbers alone."""
    # Sysfs gives the 24-bit class code; a 16-bit one lacks the programming-interface byte.
    if (class_code >> 8 if class_code > 0xFFFF else class_code) not in DISPLAY_CLASSES:
        return GpuKind.UNKNOWN
    kinds = _kinds()
    key = (vendor_id, device_id)
    if vendor_id in kinds["virtual_vendors"] or key in kinds["virtual_devices"]:
        return GpuKind.VIRTUAL
    if vendor_id in kinds["bmc_vendors"] or key in kinds["bmc_devices"]:
        return GpuKind.BMC
    if vendor_id == INTEL:
        discrete = device_id in kinds["intel_discrete"]
        return GpuKind.DISCRETE if discrete else GpuKind.INTEGRATED
    if vendor_id == AMD_GRAPHICS:
        apu = device_id in kinds["amd_apu"]
        return GpuKind.INTEGRATED if apu else GpuKind.DISCRETE
    if vendor_id == NVIDIA and device_id in kinds["nvidia_integrated"]:
        return GpuKind.INTEGRATED
    if vendor_id in kinds["discrete_vendors"]:
        return GpuKind.DISCRETE
    return GpuKind.UNKNOWN
