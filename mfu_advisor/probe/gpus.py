"""GPU facts: PCI display functions joined with NVML, the knowledge tables and torch.

Vendor and kind always come from the PCI numbers (``pci_ids``). The name is
taken, in order, from the integrated-GPU table, NVML, the NVIDIA device-ID
table, the system's pci.ids, then ``lspci`` text; the first that knows it wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.facts import (
    PEAK_DTYPES,
    GpuFacts,
    GpuKind,
    NvidiaFacts,
    Peaks,
    TorchFacts,
)
from mfu_advisor.probe.pci import LSPCI_ARGV, PciFunction, PciIdsNames, parse_lspci_names
from mfu_advisor.probe.sources import MachineRoot
from mfu_advisor.probe.torch_support import NVIDIA_VENDOR_ID, torch_support

if TYPE_CHECKING:
    from mfu_advisor.probe.nvml import NvmlDevice

#: CUDA compute capability major.minor -> architecture. Source: CUDA C++
#: Programming Guide, "Compute Capabilities" and the architecture whitepapers
#: (https://docs.nvidia.com/cuda/cuda-c-programming-guide/#compute-capabilities).
NVIDIA_ARCHITECTURES: dict[str, str] = {
    "6.0": "Pascal",
    "6.1": "Pascal",
    "7.0": "Volta",
    "7.2": "Volta",
    "7.5": "Turing",
    "8.0": "Ampere",
    "8.6": "Ampere",
    "8.7": "Ampere",
    "8.9": "Ada Lovelace",
    "9.0": "Hopper",
    "10.0": "Blackwell",
    "10.3": "Blackwell",
    "12.0": "Blackwell",
    "12.1": "Blackwell",
}


class _Namer:
    """Device names from pci.ids and lspci, each source read at most once."""

    def __init__(self, root: MachineRoot) -> None:
        self.root = root
        self.pci_ids = PciIdsNames(root)
        self._lspci: dict[str, tuple[int | None, str]] | None = None

    def from_text(self, function: PciFunction) -> tuple[str, str] | None:
        name = self.pci_ids.device_name(function.vendor_id, function.device_id)
        if name:
            return name, "pci.ids"
        if self._lspci is None:
            text = self.root.run("lspci", LSPCI_ARGV)
            self._lspci = parse_lspci_names(text) if isinstance(text, str) else {}
        found = self._lspci.get(function.address)
        if found and found[0] in (None, function.device_id):
            return found[1], "lspci"
        return None


def assemble_gpus(
    root: MachineRoot,
    functions: Sequence[PciFunction],
    nvml_devices: Sequence[NvmlDevice],
    nvml_status: Maybe[str],
    torch: TorchFacts | Unavailable,
) -> tuple[GpuFacts, ...]:
    """One :class:`GpuFacts` per display function, plus NVML GPUs absent from the bus listing."""
    namer = _Namer(root)
    pairs = _pair_nvml_devices(functions, nvml_devices)
    gpus: list[GpuFacts] = []
    for function in functions:
        gpus.append(_gpu(function, pairs.get(function.address), nvml_status, torch, namer))
    paired = {id(d) for d in pairs.values()}
    for device in nvml_devices:
        if id(device) in paired:
            continue
        # NVML sees a GPU that /sys/bus/pci does not show (a container without
        # /sys/bus/pci, WSL): describe it from NVML alone.
        function = PciFunction(
            address=device.pci_bus_id or f"nvml:{device.nvml_index}",
            vendor_id=NVIDIA_VENDOR_ID,
            device_id=device.pci_device_id if device.pci_device_id is not None else 0,
            class_code=0x030200,
            subsystem_vendor_id=None,
            subsystem_device_id=None,
            driver="nvidia",
        )
        gpus.append(_gpu(function, device, nvml_status, torch, namer))
    return tuple(gpus)


def _pair_nvml_devices(
    functions: Sequence[PciFunction], nvml_devices: Sequence[NvmlDevice]
) -> dict[str, NvmlDevice]:
    """PCI address -> the NVML device there: by bus address, else in bus order.

    A device whose handle NVML could not open (a lost GPU) has no address; it
    pairs with the next NVIDIA function left over, since NVML numbers devices
    in PCI bus order unless told otherwise.
    """
    pairs: dict[str, NvmlDevice] = {}
    addresses = {f.address for f in functions}
    for device in nvml_devices:
        if device.pci_bus_id in addresses and device.pci_bus_id not in pairs:
            pairs[device.pci_bus_id] = device
    spare = [
        f.address for f in functions if f.vendor_id == NVIDIA_VENDOR_ID and f.address not in pairs
    ]
    for device in nvml_devices:
        if device.pci_bus_id is None and spare:
            pairs[spare.pop(0)] = device
    return pairs


def _gpu(
    function: PciFunction,
    nvml_device: NvmlDevice | None,
    nvml_status: Maybe[str],
    torch: TorchFacts | Unavailable,
    namer: _Namer,
) -> GpuFacts:
    from mfu_advisor.probe.igpu_table import lookup_integrated_gpu
    from mfu_advisor.probe.pci_ids import device_kind, nvidia_device_name, vendor_name

    vendor = vendor_name(function.vendor_id)
    kind = device_kind(function.vendor_id, function.device_id, function.class_code)
    nvidia = _nvidia_facts(function, nvml_device, nvml_status)
    nvml_name = nvidia.name if isinstance(nvidia, NvidiaFacts) else None

    family: Maybe[str] = Unavailable("not in the integrated-GPU table")
    units: Maybe[int] = Unavailable("not in the integrated-GPU table")
    unit_kind: Maybe[str] = Unavailable("not in the integrated-GPU table")
    igpu = lookup_integrated_gpu(function.vendor_id, function.device_id)
    if igpu is not None:
        name, name_source = igpu.name, "device table"
        family, units, unit_kind = igpu.family, igpu.compute_units, igpu.compute_unit_kind
        peaks: Peaks = igpu.peak_flops
    else:
        name, name_source = _name(function, vendor, nvml_name, nvidia_device_name, namer)
        peaks = _peaks(function, kind, name, nvidia)
    if isinstance(nvidia, NvidiaFacts):
        cc, sms = nvidia.compute_capability, nvidia.sm_count
        family = (
            NVIDIA_ARCHITECTURES.get(cc, Unavailable(f"compute capability {cc} not in the table"))
            if isinstance(cc, str)
            else cc
        )
        units, unit_kind = sms, "SM"
    support = torch_support(
        function.vendor_id, kind, function.address, function.driver, nvidia, torch
    )
    return GpuFacts(
        pci_address=function.address,
        vendor=vendor,
        vendor_id=f"0x{function.vendor_id:04x}",
        device_id=f"0x{function.device_id:04x}",
        class_code=f"0x{function.class_code:06x}",
        name=name,
        name_source=name_source,
        kind=kind,
        family=family,
        compute_units=units,
        compute_unit_kind=unit_kind,
        torch=support,
        peak_flops=peaks,
        nvidia=nvidia,
    )


def _nvidia_facts(
    function: PciFunction, nvml_device: NvmlDevice | None, nvml_status: Maybe[str]
) -> NvidiaFacts | Unavailable | None:
    if function.vendor_id != NVIDIA_VENDOR_ID:
        return None
    if nvml_device is not None:
        return nvml_device.facts
    if isinstance(nvml_status, Unavailable):
        return nvml_status
    return Unavailable("NVML does not list this device")


def _name(
    function: PciFunction,
    vendor: str,
    nvml_name: Maybe[str] | None,
    nvidia_device_name: object,
    namer: _Namer,
) -> tuple[str, str]:
    if isinstance(nvml_name, str) and nvml_name:
        return nvml_name, "NVML"
    if function.vendor_id == NVIDIA_VENDOR_ID:
        assert callable(nvidia_device_name)
        table_name = nvidia_device_name(function.device_id)
        if table_name:
            full = table_name if table_name.startswith("NVIDIA") else f"NVIDIA {table_name}"
            return full, "device table"
    text = namer.from_text(function)
    if text is not None:
        # "QEMU (Bochs stdvga)" -> "QEMU": the plain vendor word, unless the name starts with it.
        short = vendor.split(" (")[0]
        name = text[0] if text[0].lower().startswith(short.lower()) else f"{short} {text[0]}"
        return name, text[1]
    return f"{vendor} device 0x{function.device_id:04x}", "vendor only"


def _peaks(
    function: PciFunction, kind: GpuKind, name: str, nvidia: NvidiaFacts | Unavailable | None
) -> Peaks:
    from mfu_advisor.probe.gpu_peaks import nvidia_peaks

    if kind in (GpuKind.BMC, GpuKind.VIRTUAL):
        return _all_unavailable("not a compute device")
    if function.vendor_id == NVIDIA_VENDOR_ID:
        if isinstance(nvidia, NvidiaFacts):
            return nvidia_peaks(
                name, nvidia.compute_capability, nvidia.sm_count, _float(nvidia.sm_clock_max_mhz)
            )
        reason = nvidia.reason if isinstance(nvidia, Unavailable) else "no NVML facts"
        return nvidia_peaks(name, Unavailable(reason), Unavailable(reason), Unavailable(reason))
    return _all_unavailable(
        f"no peak table entry for {function.vendor_id:04x}:{function.device_id:04x}"
    )


def _float(value: Maybe[int]) -> Maybe[float]:
    return float(value) if isinstance(value, int) else value


def _all_unavailable(reason: str) -> Peaks:
    return {dtype: Unavailable(reason) for dtype in PEAK_DTYPES}
