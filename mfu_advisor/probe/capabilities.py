"""What the run's device can do natively, read from the probe's facts. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import CpuFacts, GpuFacts, HardwareFacts, NvidiaFacts, PeakFlops
from mfu_advisor.probe.run_device import RunDevice, find_run_device

#: x86 flags and arm64 hwcaps that give a CPU native bf16 matmul instructions:
#: AVX512-BF16 (Cooper Lake, Zen 4 and later), AMX-BF16 (Sapphire Rapids),
#: arm64 BF16 (BFDOT/BFMMLA, Armv8.6-A). Without them torch converts bf16 to
#: fp32 in software (oneDNN's "bf16 emulation"), which is slower than fp32.
#: Flag names: arch/x86/include/asm/cpufeatures.h; arch/arm64/kernel/cpuinfo.c.
NATIVE_BF16_CPU_FEATURES = frozenset({"avx512_bf16", "amx_bf16", "bf16"})

#: Native fp16 matmul on a CPU: AVX512-FP16 and AMX-FP16 (Sapphire Rapids /
#: Granite Rapids), arm64 ``asimdhp`` (half-precision arithmetic).
NATIVE_FP16_CPU_FEATURES = frozenset({"avx512_fp16", "amx_fp16", "asimdhp"})

#: CUDA compute capability from which tensor cores do bf16 and TF32 (Ampere,
#: sm_80; NVIDIA A100 Tensor Core GPU Architecture whitepaper, 2020) and fp16
#: (Volta, sm_70; NVIDIA Tesla V100 GPU Architecture whitepaper, 2017).
BF16_MIN_CAPABILITY = (8, 0)
TF32_MIN_CAPABILITY = (8, 0)
FP16_MIN_CAPABILITY = (7, 0)


def cpu_has_native_bf16(cpu: CpuFacts) -> bool:
    """True when the CPU has bf16 matmul instructions (see :data:`NATIVE_BF16_CPU_FEATURES`)."""
    return bool(NATIVE_BF16_CPU_FEATURES & set(cpu.isa))


def cpu_has_native_fp16(cpu: CpuFacts) -> bool:
    """True when the CPU has fp16 matmul arithmetic (see :data:`NATIVE_FP16_CPU_FEATURES`)."""
    return bool(NATIVE_FP16_CPU_FEATURES & set(cpu.isa))


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
