"""What the probe found: plain frozen dataclasses, units in the field names."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable, fields_to_json, to_jsonable

#: The dtypes a peak can be given for, in the order reports show them.
#: tf32 and fp8 exist only on GPUs with tensor cores that support them.
PEAK_DTYPES: tuple[str, ...] = ("fp32", "tf32", "bf16", "fp16", "fp8")


@dataclass(frozen=True)
class PeakFlops:
    """A peak throughput for one device and one dtype."""

    flops: float
    """Dense peak, in FLOP/s (one fused multiply-add counts as 2 FLOPs)."""
    source: str
    """Where the number comes from: a datasheet or whitepaper citation, or the formula used."""
    estimated: bool
    """True when derived from a formula (units x width x clock) rather than quoted."""
    note: str = ""
    """Qualifiers: "dense", the accumulate precision, "emulated", per core type, ..."""


#: dtype name (one of PEAK_DTYPES) -> its peak, or why there is none.
Peaks = Mapping[str, "PeakFlops | Unavailable"]

#: NvidiaFacts built before the rated boost clock was asked (older snapshots, fakes).
_BOOST_NOT_RECORDED = Unavailable("NVML: max customer boost clock not recorded")

#: What a CPU clock field holds before the probe sets it (facts built elsewhere).
_CLOCK_NOT_RECORDED = Unavailable("the clock used for the peak was not recorded")


def all_unavailable(reason: str) -> Peaks:
    """Peaks with every dtype Unavailable for the same reason."""
    return MappingProxyType({dtype: Unavailable(reason) for dtype in PEAK_DTYPES})


def _json_with_peaks(facts: Any) -> dict[str, Any]:
    """A dataclass with a ``peak_flops`` field: its fields, the peaks' numbers apart from
    their provenance (the JSON shape shared by CPU and GPU facts)."""
    plain = {k: v for k, v in fields_to_json(facts).items() if k != "peak_flops"}
    peaks: Peaks = facts.peak_flops
    plain["peak_flops"] = {
        dtype: (p.flops if isinstance(p, PeakFlops) else None) for dtype, p in peaks.items()
    }
    plain["peak_flops_detail"] = {
        dtype: (to_jsonable(p) if isinstance(p, PeakFlops) else {"reason": p.reason})
        for dtype, p in peaks.items()
    }
    return plain


@dataclass(frozen=True)
class CacheFacts:
    """One level of CPU cache."""

    level: int
    kind: str
    """"data", "instruction" or "unified"."""
    size_bytes: int
    """Size of one instance."""
    instances: int
    """How many instances exist in the machine (e.g. one L2 per core)."""


@dataclass(frozen=True)
class CoreTypeFacts:
    """A group of identical cores: all cores on most CPUs, P or E cores on hybrid Intel."""

    name: str
    """"performance" or "efficiency"; "performance" for every core of a non-hybrid CPU."""
    cpus: tuple[int, ...]
    """Logical CPU numbers of this type."""
    physical_cores: int
    microarchitecture: Maybe[str]
    max_clock_mhz: Maybe[float]
    peak_flops: Peaks
    """Dense peak per dtype of all physical cores of this type (not only the usable ones)."""
    peak_clock_mhz: Maybe[float] = _CLOCK_NOT_RECORDED
    """The clock the peak is computed at (max turbo, or a nominal clock: ``clock_source``)."""
    clock_source: str = "unknown"
    """Where ``peak_clock_mhz`` came from: a key of data/cpus.toml [clock_source]."""
    peak_clock_is_max: bool = False
    """True when ``peak_clock_mhz`` is the maximum clock, so the peak is an upper bound;
    False when only a nominal or current clock is known and the peak may be exceeded."""
    clock_note: str = ""
    """One sentence: which clock the peak uses and what that implies."""

    def to_json(self) -> dict[str, Any]:
        return _json_with_peaks(self)


@dataclass(frozen=True)
class CpuFacts:
    """The host CPU(s)."""

    vendor: str
    """"Intel", "AMD", "ARM", "Apple", ... from the CPUID vendor string or ARM implementer."""
    vendor_id: str
    """Raw identifier: "GenuineIntel", "AuthenticAMD", or an ARM implementer such as "0x41"."""
    model: str
    """Model name as the CPU reports it (e.g. "12th Gen Intel(R) Core(TM) i7-1260P")."""
    family: Maybe[int]
    """CPUID family (x86) or architecture (ARM)."""
    model_number: Maybe[int]
    """CPUID model (x86) or part number (ARM)."""
    microarchitecture: Maybe[str]
    """E.g. "Zen 3", "Alder Lake", "Neoverse V2", "Apple M2"; from numbers, never names."""
    isa: tuple[str, ...]
    """Matmul-relevant ISA features present, by canonical name (docs/probe.md)."""
    logical_cpus: int
    physical_cores: Maybe[int]
    performance_cores: Maybe[int]
    """Physical P-cores on hybrid parts; all physical cores otherwise."""
    efficiency_cores: Maybe[int]
    """Physical E-cores on hybrid parts; 0 otherwise."""
    core_types: tuple[CoreTypeFacts, ...]
    threads_per_core: Maybe[int]
    sockets: Maybe[int]
    base_clock_mhz: Maybe[float]
    max_clock_mhz: Maybe[float]
    caches: tuple[CacheFacts, ...]
    numa_nodes: Maybe[int]
    hypervisor: Maybe[str | None]
    """Hypervisor vendor ("KVM", "Microsoft", ...), None on bare metal."""
    affinity_cpus: tuple[int, ...]
    """Logical CPUs in this process's affinity mask."""
    cgroup_cpu_limit: Maybe[float | None]
    """CPUs allowed by the cgroup quota (cpu.max or cfs_quota_us/period); None if unlimited."""
    usable_cpus: int
    """CPUs this process can really keep busy: min(affinity, ceil(cgroup quota))."""
    peak_flops: Peaks
    """Whole-CPU dense peak per dtype over the usable CPUs (sum over core types on hybrid parts)."""
    peak_clock_mhz: Maybe[float] = _CLOCK_NOT_RECORDED
    """The clock the peak is computed at (the performance cores' on hybrid parts)."""
    clock_source: str = "unknown"
    """Where that clock came from (data/cpus.toml [clock_source]): "cpufreq_max",
    "hypervisor_cpu_mhz" (a VM's nominal clock), ..."""
    peak_clock_is_max: bool = False
    """True when every core type's peak uses its maximum clock (the peak is an upper bound);
    False when the real maximum is unknown and a measured matmul may exceed the peak."""
    clock_note: str = ""
    """One sentence: which clock the peak uses and what that implies."""

    def to_json(self) -> dict[str, Any]:
        return _json_with_peaks(self)


@dataclass(frozen=True)
class MemoryFacts:
    """System memory."""

    total_bytes: Maybe[int]
    available_bytes: Maybe[int]
    cgroup_limit_bytes: Maybe[int | None]
    """memory.max (v2) or limit_in_bytes (v1); None when unlimited."""


class GpuKind(enum.StrEnum):
    """What sort of display/compute device a PCI function is."""

    INTEGRATED = "integrated"
    DISCRETE = "discrete"
    VIRTUAL = "virtual"
    BMC = "bmc"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class NvidiaFacts:
    """What NVML says about one NVIDIA GPU. Each field may be Unavailable with the NVML reason."""

    index: int
    name: Maybe[str]
    uuid: Maybe[str]
    serial: Maybe[str]
    memory_total_bytes: Maybe[int]
    memory_used_bytes: Maybe[int]
    compute_capability: Maybe[str]
    """"major.minor", e.g. "8.9"."""
    sm_count: Maybe[int]
    sm_clock_max_mhz: Maybe[int]
    sm_clock_mhz: Maybe[int]
    power_limit_w: Maybe[float]
    power_draw_w: Maybe[float]
    pcie_gen: Maybe[int]
    pcie_gen_max: Maybe[int]
    pcie_width: Maybe[int]
    pcie_width_max: Maybe[int]
    clock_event_reasons: Maybe[tuple[str, ...]]
    """Why clocks are held down, decoded to words ("sw_power_cap", "hw_thermal_slowdown", ...)."""
    mig_mode: Maybe[bool]
    utilization_gpu_percent: Maybe[int]
    other_processes: Maybe[int]
    """Compute processes on this GPU that are not this one."""
    driver_version: Maybe[str]
    cuda_driver_version: Maybe[str]
    sm_clock_boost_mhz: Maybe[int] = _BOOST_NOT_RECORDED
    """The rated boost clock (NVML max customer boost clock); NOT_SUPPORTED on GeForce."""


@dataclass(frozen=True)
class TorchSupport:
    """Whether PyTorch on this machine can use a device, and if not what it would take."""

    usable: Maybe[bool]
    """Unavailable when torch was not asked (``--no-torch``) or its answers are missing."""
    backend: str | None
    """"cuda", "rocm", "xpu", "mps" or None."""
    note: str
    """Why it is (not) usable and what would be needed, in one sentence."""


@dataclass(frozen=True)
class GpuFacts:
    """One display or compute device found on the PCI bus (or Apple's SoC GPU)."""

    pci_address: str
    vendor: str
    """From the numeric vendor ID (tables in probe/pci_ids.py), never from a name."""
    vendor_id: str
    """"0x8086"-style hex."""
    device_id: str
    class_code: str
    """"0x030000"-style hex."""
    name: str
    name_source: str
    """Where the name came from: "device table", "NVML", "pci.ids", "lspci", "vendor only"."""
    kind: GpuKind
    family: Maybe[str]
    compute_units: Maybe[int]
    """EUs (Intel), CUs (AMD) or SMs (NVIDIA)."""
    compute_unit_kind: Maybe[str]
    torch: TorchSupport
    peak_flops: Peaks
    nvidia: NvidiaFacts | Unavailable | None
    """NVML facts for NVIDIA devices (Unavailable with the NVML reason); None for other vendors."""

    def to_json(self) -> dict[str, Any]:
        plain = _json_with_peaks(self)
        usable = self.torch.usable
        plain["usable_by_torch"] = usable if isinstance(usable, bool) else None
        if isinstance(usable, Unavailable):
            plain.setdefault("unavailable", {})["usable_by_torch"] = usable.reason
        return plain


@dataclass(frozen=True)
class TorchDevice:
    """One device as torch sees it."""

    device: str
    """torch's device string: "cpu", "cuda:0" (also ROCm GPUs), "xpu:0", "mps"."""
    name: str
    """What torch calls it, e.g. "NVIDIA GeForce RTX 4070 Ti"."""
    pci_bus_id: str | None = None
    """"0000:01:00.0" for a GPU whose bus address torch reports; None otherwise."""
    compute_capability: str | None = None
    """CUDA "major.minor" (ROCm: the gfx arch name); None for other devices."""
    multiprocessor_count: int | None = None
    total_memory_bytes: int | None = None


@dataclass(frozen=True)
class TorchFacts:
    """The PyTorch build in this environment."""

    version: str
    flavour: str
    """"cpu", "cuda", "rocm", "xpu" or "mps"."""
    cuda_version: str | None
    hip_version: str | None
    devices: tuple[str, ...]
    """Devices torch can see, e.g. ("cpu", "cuda:0")."""
    blas: Maybe[str]
    onednn: Maybe[str]
    cpu_capability: Maybe[str]
    """ATen CPU capability, e.g. "AVX2", "AVX512"."""
    num_threads: int
    """torch.get_num_threads() at start-up."""
    compile_ready: Maybe[bool]
    compile_note: str
    """What torch.compile needs here and whether it is present (C++ compiler, triton)."""
    device_details: tuple[TorchDevice, ...] = ()
    """The devices of ``devices`` with names and bus addresses."""
    accelerator_note: str = ""
    """Why an accelerator build sees no device (torch's own warning), else empty."""
    answers_source: str = ""
    """"asked torch now", "cached: ..." or "recorded in the snapshot"."""


@dataclass(frozen=True)
class HostFacts:
    """The operating system around the hardware."""

    hostname: Maybe[str]
    os: str
    """"Linux", "Darwin", "Windows"."""
    kernel: Maybe[str]
    python_version: str


@dataclass(frozen=True)
class HardwareFacts:
    """Everything the probe found on one machine (live or a snapshot)."""

    source: str
    """"live" or the snapshot path the facts were read from."""
    host: HostFacts
    cpu: CpuFacts
    memory: MemoryFacts
    gpus: tuple[GpuFacts, ...]
    nvml: Maybe[str]
    """NVML driver version when NVML answered, else why it did not."""
    torch: Maybe[TorchFacts]
    """Unavailable("skipped: --no-torch") when the probe was told not to import torch."""
    warnings: tuple[str, ...] = field(default=())
    """Inputs that were present but unreadable or garbled, one line each."""
