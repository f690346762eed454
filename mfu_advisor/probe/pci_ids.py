"""PCI vendor names, display-device kinds and NVIDIA device names, from numeric IDs only.

Everything here is keyed by the numbers a PCI function reports in sysfs
(``/sys/bus/pci/devices/*/{vendor,device,class}``). Names are never parsed to
decide a vendor or a kind: a substring test on "Intel Corporation" finds
"ati", which is how a home-made script once called an Iris Xe an AMD GPU.

Sources:

- Vendor and device IDs: the PCI ID Repository, https://pci-ids.ucw.cz/
  (``pci.ids``, snapshot 2026-05-24 read for this table).
- Intel discrete GPU device IDs: Linux ``include/drm/intel/pciids.h``
  (``INTEL_DG1_IDS``, ``INTEL_DG2_IDS``, ``INTEL_ATS_M_IDS``, ``INTEL_PVC_IDS``,
  ``INTEL_BMG_IDS``, ``INTEL_CRI_IDS``),
  https://github.com/torvalds/linux/blob/master/include/drm/intel/pciids.h
- Matrox server (BMC) G200 variants: Linux
  ``drivers/gpu/drm/mgag200/mgag200_drv.c`` (``mgag200_pciidlist``).
- GPU models by device ID (names, peaks) live in ``mfu_advisor/data/gpus.toml``
  (:mod:`mfu_advisor.probe.gpu_peaks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mfu_advisor.probe.facts import GpuKind

INTEL = 0x8086
AMD_GRAPHICS = 0x1002
AMD = 0x1022
NVIDIA = 0x10DE

#: PCI vendor ID -> short vendor name, as reports show it (PCI ID Repository).
PCI_VENDORS: Mapping[int, str] = MappingProxyType(
    {
        INTEL: "Intel",
        AMD_GRAPHICS: "AMD",  # pci.ids: "Advanced Micro Devices, Inc. [AMD/ATI]" (nee ATI)
        AMD: "AMD",  # pci.ids: "Advanced Micro Devices, Inc. [AMD]" (CPU-side functions)
        NVIDIA: "NVIDIA",
        0x1AF4: "Red Hat (virtio)",  # pci.ids: "Red Hat, Inc." (virtio devices)
        0x1B36: "Red Hat (QEMU)",  # pci.ids: "Red Hat, Inc." (QEMU-specific devices)
        # pci.ids registers 0x1234 to "Technical Corp."; QEMU/Bochs use it for the
        # standard VGA (QEMU docs/specs/standard-vga.rst: PCI ID 1234:1111).
        0x1234: "QEMU (Bochs stdvga)",
        0x15AD: "VMware",
        0x1414: "Microsoft (Hyper-V)",
        0x80EE: "Oracle VirtualBox",  # pci.ids: "InnoTek Systemberatung GmbH"
        0x1AB8: "Parallels",
        0x5853: "XenSource",
        0x1013: "Cirrus Logic",
        0x1A03: "ASPEED",
        0x102B: "Matrox",
        0x19E5: "Huawei",
        0x106B: "Apple",
        0x5143: "Qualcomm",
        0x17CB: "Qualcomm",  # pci.ids: "Qualcomm Technologies, Inc" (PCIe functions)
        0x13B5: "ARM",
        0x1D17: "Zhaoxin",
        0x1ED5: "Moore Threads",
        0x1DA3: "Habana Labs",
        0x1D0F: "Amazon",
        0x1AE0: "Google",
        0x14E4: "Broadcom",
        0x15B3: "Mellanox",
        0x1000: "Broadcom / LSI",
    }
)

#: PCI class codes (the 24-bit sysfs ``class`` value shifted right by 8) of display devices.
#: 0x0300 VGA-compatible controller, 0x0302 3D controller (e.g. a datacenter GPU
#: or a laptop's second GPU), 0x0380 other display controller.
DISPLAY_CLASSES: frozenset[int] = frozenset({0x0300, 0x0302, 0x0380})

#: Vendors whose display devices are all emulated by a hypervisor.
_VIRTUAL_VENDORS: frozenset[int] = frozenset(
    {0x1AF4, 0x1B36, 0x1234, 0x15AD, 0x1414, 0x80EE, 0x1AB8, 0x5853}
)

#: Individual emulated display devices of vendors that also make real hardware.
#: 1013:00b8 is the Cirrus GD 5446 that QEMU and KVM emulate by default on old
#: machine types; physical GD 5446 cards are 1990s parts nobody trains on.
_VIRTUAL_DEVICES: frozenset[tuple[int, int]] = frozenset({(0x1013, 0x00B8)})

#: Baseboard-management-controller VGA functions: they drive the server's
#: remote console and compute nothing.
_BMC_VENDORS: frozenset[int] = frozenset({0x1A03})  # ASPEED makes only BMC graphics
_BMC_DEVICES: frozenset[tuple[int, int]] = frozenset(
    {(0x102B, device) for device in (0x0522, 0x0524, 0x0530, 0x0532, 0x0533, 0x0534, 0x0536)}
    | {(0x102B, 0x0538), (0x102B, 0x053A)}  # Matrox G200e/eV/eW/eH/eR/eW3/eH3/eH5
    | {(0x19E5, 0x1711)}  # Huawei Hi1710 iBMC VGA
)


def _id_ranges(*ranges: tuple[int, int]) -> frozenset[int]:
    return frozenset(i for low, high in ranges for i in range(low, high + 1))


#: Intel device IDs of discrete GPUs; every other Intel display device is integrated.
#: From Linux include/drm/intel/pciids.h.
INTEL_DISCRETE_IDS: frozenset[int] = _id_ranges(
    (0x4905, 0x4909),  # DG1 (Iris Xe MAX, SG1 server GPU)
    (0x4F80, 0x4F8C),  # DG2 SoC variants listed by pci.ids as "DG2 [Intel Xe Graphics]"
    (0x5690, 0x5698),  # DG2 mobile: Arc A-series laptop GPUs
    (0x56A0, 0x56BF),  # DG2 desktop and embedded: Arc A310..A770, Arc Pro
    (0x56C0, 0x56C2),  # ATS-M: Data Center GPU Flex 140/170
    (0x0B69, 0x0B6E),  # PVC: Data Center GPU Max
    (0x0BD0, 0x0BE5),  # PVC: Data Center GPU Max
    (0xE202, 0xE223),  # BMG: Arc B-series (Battlemage), Arc Pro B50/B60
    (0x674C, 0x6750),  # CRI: Crescent Island data-center GPU
)

#: AMD (vendor 0x1002) device IDs of APU graphics, i.e. integrated GPUs; other
#: AMD display devices are discrete. From pci.ids ("Renoir", "Rembrandt", ...).
AMD_APU_IDS: frozenset[int] = (
    _id_ranges(
        (0x9640, 0x964F),  # Llano
        (0x9802, 0x980A),  # Wrestler (Ontario/Zacate)
        (0x9830, 0x983F),  # Kabini
        (0x9850, 0x985F),  # Mullins
        (0x9900, 0x99FF),  # Trinity/Richland (ARUBA)
        (0x1304, 0x131D),  # Kaveri
    )
    | {0x9874, 0x98E4}  # Carrizo, Stoney
    | {0x15DD, 0x15D8, 0x15FF}  # Raven Ridge, Picasso/Raven 2, Fenghuang
    | {0x1636, 0x1638, 0x164C, 0x15E7}  # Renoir, Cezanne, Lucienne, Barcelo
    | {0x163F, 0x1435}  # Van Gogh (Steam Deck LCD), Sephiroth (Steam Deck OLED)
    | {0x1681, 0x164D}  # Rembrandt (Radeon 680M/660M)
    | {0x164E, 0x13C0}  # Raphael, Granite Ridge (Ryzen 7000/9000 desktop iGPU)
    | {0x1506}  # Mendocino
    | {0x15BF, 0x15C8, 0x164F}  # Phoenix1, Phoenix2, Phoenix
    | {0x1900, 0x1901}  # Hawk Point 1/2
    | {0x150E, 0x1586}  # Strix Point, Strix Halo
    | {0x1114, 0x1902}  # Krackan Point 1/2
    | {0x13DB, 0x13FE}  # Cyan Skillfish (PlayStation 5 APU, BC-250)
)

#: NVIDIA GPUs that are part of an SoC and share system memory.
#: 10de:2e12 is the GB10 of DGX Spark (pci.ids "GB10").
_NVIDIA_INTEGRATED_IDS: frozenset[int] = frozenset({0x2E12})

#: Vendors whose display devices are discrete cards.
_DISCRETE_VENDORS: frozenset[int] = frozenset({NVIDIA, 0x1ED5})


def vendor_name(vendor_id: int) -> str:
    """Short vendor name for a PCI vendor ID, or "Unknown vendor 0xabcd"."""
    return PCI_VENDORS.get(vendor_id, f"Unknown vendor 0x{vendor_id:04x}")


def display_class(class_code: int) -> int:
    """The 16-bit base class + subclass of a class code.

    Accepts the 24-bit sysfs value (``0x030000``, with the programming
    interface) or an already shifted 16-bit value (``0x0300``).
    """
    return class_code >> 8 if class_code > 0xFFFF else class_code


def is_display_device(class_code: int) -> bool:
    """True for VGA, 3D and other display controllers (see :data:`DISPLAY_CLASSES`)."""
    return display_class(class_code) in DISPLAY_CLASSES


def device_kind(vendor_id: int, device_id: int, class_code: int) -> GpuKind:
    """Integrated, discrete, virtual, BMC or unknown, decided by numbers alone.

    ``class_code`` may be the 24-bit sysfs value or the 16-bit class (see
    :func:`display_class`). A device that is not a display controller is
    ``UNKNOWN``.
    """
    if not is_display_device(class_code):
        return GpuKind.UNKNOWN
    key = (vendor_id, device_id)
    if vendor_id in _VIRTUAL_VENDORS or key in _VIRTUAL_DEVICES:
        return GpuKind.VIRTUAL
    if vendor_id in _BMC_VENDORS or key in _BMC_DEVICES:
        return GpuKind.BMC
    if vendor_id == INTEL:
        return GpuKind.DISCRETE if device_id in INTEL_DISCRETE_IDS else GpuKind.INTEGRATED
    if vendor_id == AMD_GRAPHICS:
        return GpuKind.INTEGRATED if device_id in AMD_APU_IDS else GpuKind.DISCRETE
    if vendor_id == NVIDIA and device_id in _NVIDIA_INTEGRATED_IDS:
        return GpuKind.INTEGRATED
    if vendor_id in _DISCRETE_VENDORS:
        return GpuKind.DISCRETE
    return GpuKind.UNKNOWN
