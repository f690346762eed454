"""Display devices on the PCI bus, identified by numbers and named from tables or text.

sysfs: Documentation/ABI/testing/sysfs-bus-pci; display classes: PCI Code and ID Assignment
Specification, class 03h. A ``pci.ids`` or ``lspci`` name is a device name, never the vendor.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.sources import MachineRoot

PCI_DEVICES = "/sys/bus/pci/devices"

#: Where distributions install the PCI ID database (pciutils' pci.ids,
#: https://pci-ids.ucw.cz/): Debian/Ubuntu, Fedora/RHEL (hwdata), others.
PCI_IDS_PATHS: tuple[str, ...] = (
    "/usr/share/misc/pci.ids",
    "/usr/share/hwdata/pci.ids",
    "/usr/share/pci.ids",
)

#: ``lspci -D -nnmm``: full addresses, machine-readable, names with [numbers].
LSPCI_ARGV = ("lspci", "-D", "-nnmm")


class PciFunction(NamedTuple):
    """One display-class PCI function, as numbers."""

    address: str
    """Domain:bus:device.function, e.g. "0000:01:00.0" (lower-case hex)."""
    vendor_id: int
    device_id: int
    class_code: int
    """The 24-bit class code, e.g. 0x030000."""
    subsystem_vendor_id: int | None
    subsystem_device_id: int | None
    driver: str | None
    """Kernel driver bound to it ("nvidia", "i915", "amdgpu"), None when none is bound."""
    revision: int | None = None
    """The PCI revision ID (sysfs ``revision``): tells apart boards sharing a device ID
    (libdrm's amdgpu.ids names AMD GPUs by device ID and revision)."""


def normalize_pci_address(address: str) -> str:
    """ "00000000:3B:00.0" (NVML) or "3b:00.0" (lspci) -> "0000:3b:00.0" (sysfs)."""
    text = address.strip().lower()
    parts = text.split(":")
    if len(parts) == 2:
        parts = ["0000", *parts]
    if len(parts) == 3:
        domain = parts[0][-4:].rjust(4, "0")
        return f"{domain}:{parts[1]}:{parts[2]}"
    return text


class PciListing(NamedTuple):
    """The display functions on the bus, and vendors of functions whose class was unreadable."""

    functions: tuple[PciFunction, ...]
    unclassified_vendor_ids: frozenset[int]
    """Vendor IDs of functions with a garbled or unreadable ``class`` (maybe GPUs)."""


def read_display_functions(
    root: MachineRoot, display_classes: frozenset[int], warnings: list[str]
) -> PciListing | Unavailable:
    """Display-class functions (``class >> 8`` in ``display_classes``), sorted by address."""
    addresses = root.listdir(PCI_DEVICES)
    if isinstance(addresses, Unavailable):
        return addresses
    found: list[PciFunction] = []
    unclassified: set[int] = set()
    for address in addresses:
        folder = f"{PCI_DEVICES}/{address}"
        class_code = root.read_int(f"{folder}/class", 16)
        if isinstance(class_code, Unavailable):
            if "not present" not in class_code.reason:
                warnings.append(f"PCI {address}: {class_code.reason}")
                vendor_of_unknown = root.read_int(f"{folder}/vendor", 16)
                if isinstance(vendor_of_unknown, int):
                    unclassified.add(vendor_of_unknown)
            continue
        if (class_code >> 8) not in display_classes:
            continue
        vendor = root.read_int(f"{folder}/vendor", 16)
        device = root.read_int(f"{folder}/device", 16)
        if isinstance(vendor, Unavailable) or isinstance(device, Unavailable):
            bad = vendor if isinstance(vendor, Unavailable) else device
            assert isinstance(bad, Unavailable)
            warnings.append(f"PCI {address}: display device skipped: {bad.reason}")
            continue
        sub_vendor = root.read_int(f"{folder}/subsystem_vendor", 16)
        sub_device = root.read_int(f"{folder}/subsystem_device", 16)
        revision = root.read_int(f"{folder}/revision", 16)
        found.append(
            PciFunction(
                address=normalize_pci_address(address),
                vendor_id=vendor,
                device_id=device,
                class_code=class_code,
                subsystem_vendor_id=sub_vendor if isinstance(sub_vendor, int) else None,
                subsystem_device_id=sub_device if isinstance(sub_device, int) else None,
                driver=_driver(root, folder),
                revision=revision if isinstance(revision, int) and 0 <= revision <= 0xFF else None,
            )
        )
    return PciListing(tuple(sorted(found, key=lambda f: f.address)), frozenset(unclassified))


def _driver(root: MachineRoot, folder: str) -> str | None:
    # The ``driver`` symlink's target name is also the DRIVER= line of uevent,
    # which a snapshot records as a plain file.
    uevent = root.read_text(f"{folder}/uevent")
    if isinstance(uevent, Unavailable):
        return None
    for line in uevent.splitlines():
        if line.startswith("DRIVER="):
            return line.partition("=")[2].strip() or None
    return None


class TextNames:
    """Device names from pci.ids and lspci, each source read at most once and only when needed."""

    def __init__(self, root: MachineRoot) -> None:
        self.root = root
        self._pci_ids: dict[tuple[int, int], str] | None = None
        self._lspci: dict[str, tuple[int | None, str]] | None = None

    def name(self, function: PciFunction) -> tuple[str, str] | None:
        """(device name, "pci.ids" or "lspci") of a function, or None."""
        if self._pci_ids is None:
            texts = (self.root.read_text(path) for path in PCI_IDS_PATHS)
            self._pci_ids = next((parse_pci_ids(t) for t in texts if isinstance(t, str)), {})
        name = self._pci_ids.get((function.vendor_id, function.device_id))
        if name:
            return name, "pci.ids"
        if self._lspci is None:
            text = self.root.run("lspci", LSPCI_ARGV)
            self._lspci = parse_lspci_names(text) if isinstance(text, str) else {}
        found = self._lspci.get(function.address)
        if found and found[0] in (None, function.device_id):
            return found[1], "lspci"
        return None


_VENDOR_LINE = re.compile(r"^([0-9a-fA-F]{4})\s+(.*)$")
_DEVICE_LINE = re.compile(r"^\t([0-9a-fA-F]{4})\s+(.*)$")


def parse_pci_ids(text: str) -> dict[tuple[int, int], str]:
    """(vendor, device) -> device name from pci.ids text (vendor names are not kept)."""
    names: dict[tuple[int, int], str] = {}
    vendor: int | None = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("C "):
            break  # the device classes section follows the vendors
        if match := _VENDOR_LINE.match(line):
            vendor = int(match.group(1), 16)
        elif vendor is not None and (match := _DEVICE_LINE.match(line)):
            names[(vendor, int(match.group(1), 16))] = match.group(2).strip()
    return names


_LSPCI_SLOT = re.compile(r"^([0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")
_TRAILING_ID = re.compile(r"\s*\[([0-9a-fA-F]{4})\]\s*$")


def parse_lspci_names(text: str) -> dict[str, tuple[int | None, str]]:
    """``lspci -D -nnmm`` output -> address -> (device ID in brackets, device name)."""
    import shlex

    names: dict[str, tuple[int | None, str]] = {}
    for line in text.splitlines():
        try:
            fields = shlex.split(line)
        except ValueError:
            continue
        if len(fields) < 4 or not _LSPCI_SLOT.match(fields[0]):
            continue
        device_field = fields[3]
        match = _TRAILING_ID.search(device_field)
        device_id = int(match.group(1), 16) if match else None
        name = device_field[: match.start()] if match else device_field
        if name.strip():
            names[normalize_pci_address(fields[0])] = (device_id, name.strip())
    return names
