"""Which GPU a run's ``cuda:N`` is, and its peak and memory: matched by PCI bus ID.

Without torch's bus IDs the order comes from ``CUDA_DEVICE_ORDER`` and ``CUDA_VISIBLE_DEVICES``
(CUDA C++ Programming Guide, "CUDA Environment Variables"), never guessed where CUDA's
fastest-first order decides. A MIG slice's peak is the GPU's scaled by its share of the SMs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import (
    GpuFacts,
    GpuKind,
    HardwareFacts,
    NvidiaFacts,
    PeakFlops,
    TorchDevice,
    TorchFacts,
)
from mfu_advisor.probe.pci_ids import AMD_GRAPHICS, NVIDIA

#: torch device type -> the probe's ``TorchSupport.backend`` values that serve it
#: (ROCm GPUs are driven through torch's "cuda" device type).
BACKENDS: dict[str, tuple[str, ...]] = {
    "cuda": ("cuda", "rocm"),
    "mps": ("mps",),
    "xpu": ("xpu",),
}

_NVIDIA = f"0x{NVIDIA:04x}"
_AMD = f"0x{AMD_GRAPHICS:04x}"


@dataclass(frozen=True)
class RunDevice:
    """The GPU a run used, how it was matched, and the share of it the run had."""

    gpu: GpuFacts
    how: str
    """"torch's PCI bus ID", "CUDA_VISIBLE_DEVICES UUID", "PCI order (CUDA_DEVICE_ORDER=...)"."""
    torch_device: TorchDevice | None
    sm_fraction: float | None
    """A MIG slice's SMs / the GPU's SMs; None for a whole GPU."""
    memory_bytes: int | None
    """Memory the run's device has: the slice's under MIG, else the GPU's."""


def find_run_device(
    hardware: HardwareFacts, device: str, env: Mapping[str, str] | None = None
) -> RunDevice | Unavailable:
    """The GPU behind ``device`` ("cuda:1"), or why it cannot be told."""
    device_type, _, number = device.partition(":")
    index = int(number) if number.isdigit() else 0
    environ = os.environ if env is None else env
    torch = hardware.torch if isinstance(hardware.torch, TorchFacts) else None
    seen = None
    if torch is not None:
        seen = next((d for d in torch.device_details if d.device == f"{device_type}:{index}"), None)
        if device_type == "mps":
            seen = next((d for d in torch.device_details if d.device == "mps"), None)
    if seen is not None and seen.pci_bus_id:
        for gpu in hardware.gpus:
            if gpu.pci_address == seen.pci_bus_id:
                return _with_share(gpu, "torch's PCI bus ID", seen)
    backends = BACKENDS.get(device_type, (device_type,))
    if device_type != "cuda":
        usable = [
            g for g in hardware.gpus if g.torch.usable is True and g.torch.backend in backends
        ]
        if index < len(usable):
            return _with_share(usable[index], "the probe's order", seen)
        return Unavailable(
            f"the probe found no {device_type} device number {index} usable by torch"
        )
    return _cuda_by_environment(hardware, index, environ, seen)


def _compute_gpus(hardware: HardwareFacts) -> list[GpuFacts]:
    """NVIDIA GPUs (else AMD discrete GPUs, for ROCm), in PCI bus order."""
    nvidia = [g for g in hardware.gpus if g.vendor_id == _NVIDIA]
    if nvidia:
        return sorted(nvidia, key=lambda g: g.pci_address)
    amd = [g for g in hardware.gpus if g.vendor_id == _AMD and g.kind is GpuKind.DISCRETE]
    return sorted(amd, key=lambda g: g.pci_address)


def _cuda_by_environment(
    hardware: HardwareFacts, index: int, env: Mapping[str, str], seen: TorchDevice | None
) -> RunDevice | Unavailable:
    gpus = _compute_gpus(hardware)
    if not gpus:
        return Unavailable("the probe found no NVIDIA or AMD GPU for cuda")
    order = env.get("CUDA_DEVICE_ORDER", "FASTEST_FIRST").strip().upper()
    by_pci = order == "PCI_BUS_ID"
    alike = len({g.name for g in gpus}) == 1
    visible = env.get("CUDA_VISIBLE_DEVICES")
    entries = [e.strip() for e in visible.split(",")] if visible is not None else None
    if entries is not None:
        # CUDA stops at the first invalid entry (CUDA Programming Guide).
        listed: list[GpuFacts] = []
        for entry in entries:
            gpu = _visible_entry(entry, gpus, by_pci or alike)
            if gpu is None:
                break
            if isinstance(gpu, Unavailable):
                return gpu
            listed.append(gpu)
        if index >= len(listed):
            return Unavailable(f"CUDA_VISIBLE_DEVICES={visible!r} leaves no device number {index}")
        how = f"CUDA_VISIBLE_DEVICES={visible!r}"
        return _with_share(listed[index], how, seen)
    if not (by_pci or alike):
        return Unavailable(
            "CUDA numbers GPUs fastest first and these GPUs differ "
            f"({', '.join(dict.fromkeys(g.name for g in gpus))}): run with "
            "CUDA_DEVICE_ORDER=PCI_BUS_ID, or let the probe ask torch"
        )
    if index >= len(gpus):
        return Unavailable(f"the probe found no cuda device number {index}")
    how = "PCI order (CUDA_DEVICE_ORDER=PCI_BUS_ID)" if by_pci else "PCI order (identical GPUs)"
    return _with_share(gpus[index], how, seen)


def _visible_entry(
    entry: str, gpus: list[GpuFacts], pci_order_known: bool
) -> GpuFacts | Unavailable | None:
    """One CUDA_VISIBLE_DEVICES entry -> its GPU; None for an entry CUDA treats as invalid."""
    if entry.isdigit():
        position = int(entry)
        if not pci_order_known:
            return Unavailable(
                f"CUDA_VISIBLE_DEVICES index {entry} counts GPUs fastest first and these GPUs "
                "differ: use GPU UUIDs or CUDA_DEVICE_ORDER=PCI_BUS_ID"
            )
        return gpus[position] if position < len(gpus) else None
    lowered = entry.lower()
    if lowered.startswith("mig-"):
        parents = [g for g in gpus if _mig_enabled(g)]
        if len(parents) == 1:
            return parents[0]
        return Unavailable(f"cannot tell which GPU holds the MIG slice {entry}")
    prefix = lowered if lowered.startswith("gpu-") else f"gpu-{lowered}"
    for gpu in gpus:
        uuid = gpu.nvidia.uuid if isinstance(gpu.nvidia, NvidiaFacts) else None
        if isinstance(uuid, str) and uuid.lower().startswith(prefix):
            return gpu
    return None


def _mig_enabled(gpu: GpuFacts) -> bool:
    return isinstance(gpu.nvidia, NvidiaFacts) and gpu.nvidia.mig_mode is True


def _with_share(gpu: GpuFacts, how: str, seen: TorchDevice | None) -> RunDevice:
    memory = None
    if isinstance(gpu.nvidia, NvidiaFacts) and isinstance(gpu.nvidia.memory_total_bytes, int):
        memory = gpu.nvidia.memory_total_bytes
    fraction = None
    mig = _mig_enabled(gpu)
    whole = gpu.compute_units if isinstance(gpu.compute_units, int) else None
    if seen is not None and seen.total_memory_bytes and (mig or memory is None):
        memory = seen.total_memory_bytes
    slice_sms = seen.multiprocessor_count if seen is not None else None
    if mig and slice_sms and whole and slice_sms < whole:
        fraction = slice_sms / whole
    return RunDevice(gpu, how, seen, fraction, memory)


def run_device_peak(run: RunDevice, dtype_key: str) -> PeakFlops | Unavailable:
    """The device's peak for ``dtype_key``, scaled to a MIG slice's SMs."""
    peak = run.gpu.peak_flops.get(dtype_key)
    if peak is None:
        return Unavailable(f"the probe gives no {dtype_key} peak for {run.gpu.name}")
    if isinstance(peak, Unavailable):
        return peak
    mig = _mig_enabled(run.gpu)
    if run.sm_fraction is not None:
        sms = run.torch_device.multiprocessor_count if run.torch_device else None
        return dataclasses.replace(
            peak,
            flops=peak.flops * run.sm_fraction,
            estimated=True,
            note=(
                f"{peak.note}; MIG slice: {sms} of {run.gpu.compute_units} SMs "
                f"({run.sm_fraction:.3f} of the GPU's peak)"
            ).lstrip("; "),
        )
    if mig:
        return Unavailable(
            f"MIG is enabled on {run.gpu.name} and the slice's SM count is unknown "
            "(the probe did not see the slice through torch)"
        )
    return peak
