"""GPU facts: PCI display functions joined with NVML, the knowledge tables and torch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import (
    GpuFacts,
    GpuKind,
    NvidiaFacts,
    Peaks,
    TorchDevice,
    TorchFacts,
    all_unavailable,
)
from mfu_advisor.probe.pci import PciFunction, TextNames
from mfu_advisor.probe.pci_ids import NVIDIA
from mfu_advisor.probe.sources import MachineRoot
from mfu_advisor.probe.torch_support import torch_device, torch_support

if TYPE_CHECKING:
    from mfu_advisor.probe.gpu_peaks import GpuMatch, GpuSpec
    from mfu_advisor.probe.nvml import NvmlDevice


def assemble_gpus(
    root: MachineRoot,
    functions: Sequence[PciFunction],
    nvml_devices: Sequence[NvmlDevice],
    nvml_status: Maybe[str],
    torch: TorchFacts | Unavailable,
    cpu_model: str = "",
) -> tuple[GpuFacts, ...]:
    """One :class:`GpuFacts` per display function, plus NVML GPUs absent from the bus listing."""
    namer = TextNames(root)
    pairs = _pair_nvml_devices(functions, nvml_devices)
    gpus = [
        _gpu(function, pairs.get(function.address), nvml_status, torch, namer, cpu_model)
        for function in functions
    ]
    paired = {id(d) for d in pairs.values()}
    for device in nvml_devices:
        if id(device) in paired:
            continue
        # NVML sees a GPU that /sys/bus/pci does not show (a container without
        # /sys/bus/pci, WSL): describe it from NVML alone.
        function = PciFunction(
            address=device.pci_bus_id or f"nvml:{device.nvml_index}",
            vendor_id=NVIDIA,
            device_id=device.pci_device_id if device.pci_device_id is not None else 0,
            class_code=0x030200,
            subsystem_vendor_id=None,
            subsystem_device_id=None,
            driver="nvidia",
        )
        gpus.append(_gpu(function, device, nvml_status, torch, namer, cpu_model))
    return tuple(gpus)


def _pair_nvml_devices(
    functions: Sequence[PciFunction], nvml_devices: Sequence[NvmlDevice]
) -> dict[str, NvmlDevice]:
    """PCI address -> the NVML device there: by bus address, else in bus order."""
    pairs: dict[str, NvmlDevice] = {}
    addresses = {f.address for f in functions}
    for device in nvml_devices:
        if device.pci_bus_id in addresses and device.pci_bus_id not in pairs:
            pairs[device.pci_bus_id] = device
    spare = [f.address for f in functions if f.vendor_id == NVIDIA and f.address not in pairs]
    for device in nvml_devices:
        if device.pci_bus_id is None and spare:
            pairs[spare.pop(0)] = device
    return pairs


def _gpu(
    function: PciFunction,
    nvml_device: NvmlDevice | None,
    nvml_status: Maybe[str],
    torch: TorchFacts | Unavailable,
    namer: TextNames,
    cpu_model: str,
) -> GpuFacts:
    from mfu_advisor.probe.gpu_peaks import lookup_pci
    from mfu_advisor.probe.pci_ids import device_kind, vendor_name

    vendor = vendor_name(function.vendor_id)
    kind = device_kind(function.vendor_id, function.device_id, function.class_code)
    nvidia = _nvidia_facts(function, nvml_device, nvml_status)
    nvml_name = nvidia.name if isinstance(nvidia, NvidiaFacts) else None
    seen = torch_device(torch, "", function.address) if isinstance(torch, TorchFacts) else None
    sm_count = _sm_count(nvidia, seen)
    subsystem = (
        (function.subsystem_vendor_id, function.subsystem_device_id)
        if function.subsystem_vendor_id is not None and function.subsystem_device_id is not None
        else None
    )
    match = lookup_pci(
        function.vendor_id,
        function.device_id,
        subsystem=subsystem,
        revision=function.revision,
        name=nvml_name if isinstance(nvml_name, str) else (seen.name if seen else None),
        units=sm_count if isinstance(sm_count, int) else None,
        cpu_model=cpu_model or None,
    )
    spec = match.spec
    missing = Unavailable(match.reason or "not in the GPU table")
    family: Maybe[str] = spec.arch.name if spec is not None else missing
    units: Maybe[int] = spec.sm_count if spec is not None else missing
    unit_kind: Maybe[str] = spec.arch.unit if spec is not None else missing
    if spec is not None and spec.integrated:
        name, name_source = spec.name, "device table"
    elif spec is None and match.candidates and not isinstance(nvml_name, str):
        # One ID, several boards, nothing to tell them apart: name them all.
        names = dict.fromkeys(c.name for c in match.candidates)
        name, name_source = " or ".join(names), "device table (ambiguous)"
    else:
        name, name_source = _name(function, vendor, nvml_name, spec, namer)
    peaks = _peaks(function, kind, name, nvidia, match, sm_count)
    if isinstance(nvidia, NvidiaFacts):
        cc = nvidia.compute_capability
        families = data_file("gpus.toml")["nvidia_family"]
        family = (
            families.get(cc, Unavailable(f"compute capability {cc} not in the table"))
            if isinstance(cc, str)
            else cc
        )
        units = sm_count if isinstance(sm_count, int) or spec is None else spec.sm_count
        unit_kind = "SM"
    support = torch_support(
        function.vendor_id, kind, function.address, function.driver, nvidia, torch, family
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


def _sm_count(nvidia: NvidiaFacts | Unavailable | None, seen: TorchDevice | None) -> Maybe[int]:
    """SMs of the whole GPU: NVML's (MIG handles only, in practice), else torch's."""
    # NVML gives it only for MIG handles; a MIG-enabled GPU's torch device is a slice.
    nvml_count = nvidia.sm_count if isinstance(nvidia, NvidiaFacts) else None
    if isinstance(nvml_count, int):
        return nvml_count
    mig = isinstance(nvidia, NvidiaFacts) and nvidia.mig_mode is True
    if seen is not None and seen.multiprocessor_count and not mig:
        return seen.multiprocessor_count
    if isinstance(nvml_count, Unavailable):
        return Unavailable(f"{nvml_count.reason}; torch gave no SM count")
    return Unavailable("neither NVML nor torch gave an SM count")


def _nvidia_facts(
    function: PciFunction, nvml_device: NvmlDevice | None, nvml_status: Maybe[str]
) -> NvidiaFacts | Unavailable | None:
    if function.vendor_id != NVIDIA:
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
    spec: GpuSpec | None,
    namer: TextNames,
) -> tuple[str, str]:
    if isinstance(nvml_name, str) and nvml_name:
        return nvml_name, "NVML"
    if spec is not None:
        return spec.name, "device table"
    text = namer.name(function)
    if text is not None:
        # "QEMU (Bochs stdvga)" -> "QEMU": the plain vendor word, unless the name starts with it.
        short = vendor.split(" (")[0]
        name = text[0] if text[0].lower().startswith(short.lower()) else f"{short} {text[0]}"
        return name, text[1]
    return f"{vendor} device 0x{function.device_id:04x}", "vendor only"


def _peaks(
    function: PciFunction,
    kind: GpuKind,
    name: str,
    nvidia: NvidiaFacts | Unavailable | None,
    match: GpuMatch,
    sm_count: Maybe[int],
) -> Peaks:
    from mfu_advisor.probe.gpu_peaks import find_gpu, laptop_peaks, nvidia_formula_peaks

    if kind in (GpuKind.BMC, GpuKind.VIRTUAL):
        return all_unavailable("not a compute device")
    spec = match.spec
    if spec is None and function.vendor_id == NVIDIA and not match.candidates:
        spec = find_gpu(name)  # a GPU listed by NVML alone has no device ID to look up
    if spec is not None:
        if spec.boost_range_mhz is not None and isinstance(nvidia, NvidiaFacts):
            boost = nvidia.sm_clock_boost_mhz
            if isinstance(boost, int):
                at_clock = laptop_peaks(spec, float(boost), "this laptop's rated boost (NVML)")
                if at_clock is not None:
                    return at_clock
        return spec.peak_flops
    if match.candidates:
        return all_unavailable(match.reason)
    if function.vendor_id == NVIDIA:
        return nvidia_formula_peaks(name, nvidia, sm_count)
    return all_unavailable(match.reason)
