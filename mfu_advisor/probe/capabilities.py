"""What the run's device can do natively, read from the probe's facts. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping

from mfu_advisor.facts import Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import CpuFacts, GpuFacts, HardwareFacts, NvidiaFacts, PeakFlops
from mfu_advisor.probe.run_device import RunDevice, find_run_device

#: CUDA compute capability from which tensor cores do bf16 and TF32 (Ampere,
#: sm_80; NVIDIA A100 Tensor Core GPU Architecture whitepaper, 2020) and fp16
#: (Volta, sm_70; NVIDIA Tesla V100 GPU Architecture whitepaper, 2017).
BF16_MIN_CAPABILITY = (8, 0)
TF32_MIN_CAPABILITY = (8, 0)
FP16_MIN_CAPABILITY = (7, 0)


def _native_features(dtype: str) -> frozenset[str]:
    """ISA features that give a CPU native ``dtype`` matmuls (cpus.toml [[native_half]])."""
    rows = data_file("cpus.toml")["native_half"]
    return frozenset(row["feature"] for row in rows if row["dtype"] == dtype)


def cpu_has_native_bf16(cpu: CpuFacts) -> bool:
    """True when the CPU has bf16 matmul instructions (without them torch emulates bf16)."""
    return bool(_native_features("bf16") & set(cpu.isa))


def cpu_has_native_fp16(cpu: CpuFacts) -> bool:
    """True when the CPU has fp16 matmul arithmetic."""
    return bool(_native_features("fp16") & set(cpu.isa))


def capability(nvidia: NvidiaFacts | Unavailable | None) -> tuple[int, int] | None:
    """CUDA compute capability (major, minor) from NVML facts, None when unknown."""
    if not isinstance(nvidia, NvidiaFacts) or not isinstance(nvidia.compute_capability, str):
        return None
    try:
        major, minor = nvidia.compute_capability.split(".", 1)
        return int(major), int(minor)
    except ValueError:
        return None


def usable_gpus(hardware: HardwareFacts) -> list[GpuFacts]:
    """GPUs this torch build can use (unknown usability does not count)."""
    return [g for g in hardware.gpus if g.torch.usable is True]


def run_gpu(hardware: HardwareFacts | None, device: str) -> GpuFacts | None:
    """The GPU a run on ``device`` ("cuda:1") used, matched by PCI bus ID (probe/run_device.py)."""
    run = _run_device(hardware, device)
    return run.gpu if run is not None else None


def run_memory_bytes(hardware: HardwareFacts | None, device: str) -> int | None:
    """Memory of the run's device: a MIG slice's own, else the GPU's; None when unknown."""
    run = _run_device(hardware, device)
    return run.memory_bytes if run is not None else None


def _run_device(hardware: HardwareFacts | None, device: str) -> RunDevice | None:
    if hardware is None:
        return None
    device_type = device.partition(":")[0]
    if device_type in ("cpu", ""):
        return None
    found = find_run_device(hardware, device)
    return None if isinstance(found, Unavailable) else found


def peak(peaks: object, dtype: str) -> float | None:
    """A peak FLOP/s from a probe ``peak_flops`` mapping, None when missing."""
    if not isinstance(peaks, Mapping):
        return None
    value = peaks.get(dtype)
    return value.flops if isinstance(value, PeakFlops) else None
