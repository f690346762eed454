"""The operating system around the hardware, and whether a hypervisor sits underneath."""

from __future__ import annotations

import sys

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import HostFacts
from mfu_advisor.probe.sources import MachineRoot

#: PCI vendor of virtio devices (Red Hat, Inc.; PCI-SIG vendor list and the
#: virtio 1.2 spec, section 4.1.2, https://docs.oasis-open.org/virtio/virtio/v1.2/virtio-v1.2.html).
VIRTIO_PCI_VENDOR = 0x1AF4


def read_host(root: MachineRoot) -> HostFacts:
    """Host name, OS, kernel release and the Python that runs (or ran) the probe."""
    hostname = _first_line(root.read_text("/proc/sys/kernel/hostname"))
    kernel = _first_line(root.read_text("/proc/sys/kernel/osrelease"))
    if root.is_live:
        python_version = ".".join(str(part) for part in sys.version_info[:3])
    else:
        python_version = str(root.manifest.get("python_version", "unknown"))
    return HostFacts(hostname, root.os_name, kernel, python_version)


def _first_line(text: str | Unavailable) -> Maybe[str]:
    if isinstance(text, Unavailable):
        return text
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return line or Unavailable("empty file")


def read_hypervisor(root: MachineRoot, cpu_flags: str | None) -> Maybe[str | None]:
    """Hypervisor name; None on bare metal; Unavailable when nothing tells either way."""
    xen = root.read_text("/sys/hypervisor/type")
    if isinstance(xen, str) and xen.strip():
        return xen.strip().capitalize() if xen.strip() == "xen" else xen.strip()
    flagged = cpu_flags is not None and "hypervisor" in cpu_flags.split()
    vendor = root.read_text("/sys/class/dmi/id/sys_vendor")
    if isinstance(vendor, str):
        text = vendor.strip()
        for needle, name in data_file("cpus.toml")["dmi_hypervisors"].items():
            if text.startswith(needle):
                if name == "Microsoft Hyper-V" and not flagged and cpu_flags is not None:
                    return None  # a Surface laptop also says "Microsoft Corporation"
                return name
    if flagged:
        if _has_virtio_device(root):
            return "KVM (virtio devices; hypervisor vendor not exposed)"
        return "present (vendor not exposed)"
    if cpu_flags is not None:
        return None
    if isinstance(vendor, str):
        return None  # arm64: firmware names a hardware vendor, not a hypervisor
    return Unavailable("no CPUID hypervisor flag on this architecture and no DMI table")


def _has_virtio_device(root: MachineRoot) -> bool:
    devices = root.listdir("/sys/bus/pci/devices")
    if isinstance(devices, Unavailable):
        return False
    for address in devices:
        vendor = root.read_int(f"/sys/bus/pci/devices/{address}/vendor", 16)
        if vendor == VIRTIO_PCI_VENDOR:
            return True
    return False
