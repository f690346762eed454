"""Example machines for the rules' fact sets: the probe's facts for a few real machines.

The 2-core Zen 3 VM this project is developed on, an Alder Lake laptop with an
Iris Xe, a Sapphire Rapids Xeon, an A100 SXM4 80GB box. Numbers are rounded
from the real machines; peaks marked as examples are not used as datasheets.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import (
    CoreTypeFacts,
    CpuFacts,
    GpuFacts,
    GpuKind,
    HardwareFacts,
    HostFacts,
    MemoryFacts,
    NvidiaFacts,
    PeakFlops,
    TorchFacts,
    TorchSupport,
)

_EXAMPLE = "example fact set"


def _peaks(**flops: float) -> dict[str, PeakFlops]:
    return {dtype: PeakFlops(value, _EXAMPLE, estimated=True) for dtype, value in flops.items()}


def zen3_vm_cpu(**changes: Any) -> CpuFacts:
    """The 2-core AMD EPYC (Zen 3) KVM guest: AVX2 + FMA, no native bf16, no SMT."""
    base = CpuFacts(
        vendor="AMD",
        vendor_id="AuthenticAMD",
        model="AMD EPYC",
        family=25,
        model_number=1,
        microarchitecture="Zen 3",
        isa=("avx", "fma", "avx2"),
        logical_cpus=2,
        physical_cores=2,
        performance_cores=2,
        efficiency_cores=0,
        core_types=(CoreTypeFacts("performance", (0, 1), 2, "Zen 3", 2450.0, _peaks(fp32=157e9)),),
        threads_per_core=1,
        sockets=1,
        base_clock_mhz=2450.0,
        max_clock_mhz=2450.0,
        caches=(),
        numa_nodes=1,
        hypervisor="KVM",
        affinity_cpus=(0, 1),
        cgroup_cpu_limit=None,
        usable_cpus=2,
        peak_flops=_peaks(fp32=157e9, bf16=157e9),
    )
    return dataclasses.replace(base, **changes)


def _intel_cpu(
    model: str,
    model_number: int,
    microarchitecture: str,
    isa: tuple[str, ...],
    *,
    logical_cpus: int,
    physical_cores: int,
    **changes: Any,
) -> CpuFacts:
    """An Intel part (family 6) with SMT on bare metal, the process allowed on every CPU."""
    fields: dict[str, Any] = {
        "vendor": "Intel",
        "vendor_id": "GenuineIntel",
        "model": model,
        "family": 6,
        "model_number": model_number,
        "microarchitecture": microarchitecture,
        "isa": isa,
        "logical_cpus": logical_cpus,
        "physical_cores": physical_cores,
        "performance_cores": physical_cores,
        "threads_per_core": 2,
        "hypervisor": None,
        "affinity_cpus": tuple(range(logical_cpus)),
        "usable_cpus": logical_cpus,
    }
    fields.update(changes)
    return zen3_vm_cpu(**fields)


def alder_lake_cpu(**changes: Any) -> CpuFacts:
    """A 12-core i7-1260P: 4 P-cores with SMT (CPUs 0-7) and 8 E-cores (CPUs 8-15)."""
    p_cores = CoreTypeFacts(
        "performance", tuple(range(8)), 4, "Golden Cove", 4700.0, _peaks(fp32=601e9)
    )
    e_cores = CoreTypeFacts(
        "efficiency", tuple(range(8, 16)), 8, "Gracemont", 3400.0, _peaks(fp32=435e9)
    )
    base = _intel_cpu(
        "12th Gen Intel(R) Core(TM) i7-1260P",
        154,
        "Alder Lake",
        ("avx", "fma", "avx2", "avx_vnni"),
        logical_cpus=16,
        physical_cores=12,
        performance_cores=4,
        efficiency_cores=8,
        core_types=(p_cores, e_cores),
        peak_flops=_peaks(fp32=1036e9),
    )
    return dataclasses.replace(base, **changes)


def sapphire_rapids_cpu(**changes: Any) -> CpuFacts:
    """A 16-core Xeon with AMX and AVX-512 BF16 (native bf16), SMT on."""
    base = _intel_cpu(
        "Intel(R) Xeon(R) Gold 6438Y+",
        143,
        "Sapphire Rapids",
        ("avx", "fma", "avx2", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16"),
        logical_cpus=32,
        physical_cores=16,
        peak_flops=_peaks(fp32=2.0e12, bf16=16e12),
    )
    return dataclasses.replace(base, **changes)


def nvidia_facts(**changes: Any) -> NvidiaFacts:
    """A healthy, idle A100 SXM4 80GB as NVML reports it."""
    base = NvidiaFacts(
        index=0,
        name="NVIDIA A100-SXM4-80GB",
        uuid="GPU-00000000-0000-0000-0000-000000000000",
        serial="0000000000000",
        memory_total_bytes=85899345920,
        memory_used_bytes=4 * 2**20,
        compute_capability="8.0",
        sm_count=108,
        sm_clock_max_mhz=1410,
        sm_clock_mhz=1410,
        power_limit_w=400.0,
        power_draw_w=60.0,
        pcie_gen=4,
        pcie_gen_max=4,
        pcie_width=16,
        pcie_width_max=16,
        clock_event_reasons=(),
        mig_mode=False,
        utilization_gpu_percent=0,
        other_processes=0,
        driver_version="550.54.15",
        cuda_driver_version="12.4",
    )
    return dataclasses.replace(base, **changes)


def a100_gpu(nvidia: NvidiaFacts | None = None, *, usable: bool | Unavailable = True) -> GpuFacts:
    """An A100 on the PCI bus; ``usable`` says whether this torch build can drive it."""
    note = "torch sees it as cuda:0" if usable is True else "this torch is a cpu build"
    return GpuFacts(
        pci_address="0000:07:00.0",
        vendor="NVIDIA",
        vendor_id="0x10de",
        device_id="0x20b2",
        class_code="0x030200",
        name="NVIDIA A100-SXM4-80GB",
        name_source="NVML",
        kind=GpuKind.DISCRETE,
        family="Ampere",
        compute_units=108,
        compute_unit_kind="SM",
        torch=TorchSupport(usable, "cuda" if usable is True else None, note),
        # NVIDIA A100 datasheet: FP32 19.5, TF32 156, BF16 312 TFLOP/s dense.
        peak_flops={
            "fp32": PeakFlops(19.5e12, "NVIDIA A100 datasheet", False, "dense"),
            "tf32": PeakFlops(156e12, "NVIDIA A100 datasheet", False, "dense"),
            "bf16": PeakFlops(312e12, "NVIDIA A100 datasheet", False, "dense"),
            "fp16": PeakFlops(312e12, "NVIDIA A100 datasheet", False, "dense"),
        },
        nvidia=nvidia or nvidia_facts(),
    )


def iris_xe_igpu() -> GpuFacts:
    """Alder Lake-P's Iris Xe (96 EUs), not usable by a CPU build of torch."""
    return GpuFacts(
        pci_address="0000:00:02.0",
        vendor="Intel",
        vendor_id="0x8086",
        device_id="0x46a6",
        class_code="0x030000",
        name="Intel Iris Xe Graphics (96 EU)",
        name_source="device table",
        kind=GpuKind.INTEGRATED,
        family="Xe-LP",
        compute_units=96,
        compute_unit_kind="EU",
        torch=TorchSupport(
            False,
            None,
            "this torch is a cpu build: using it takes a torch XPU build + Intel GPU driver",
        ),
        peak_flops=_peaks(fp32=2.2e12, fp16=4.4e12),
        nvidia=None,
    )


def torch_facts(**changes: Any) -> TorchFacts:
    """The CPU build of torch 2.13 with a working C++ compiler for torch.compile."""
    base = TorchFacts(
        version="2.13.0+cpu",
        flavour="cpu",
        cuda_version=None,
        hip_version=None,
        devices=("cpu",),
        blas="OpenBLAS",
        onednn="3.7",
        cpu_capability="AVX2",
        num_threads=2,
        compile_ready=True,
        compile_note="a C++ compiler (g++) is present for inductor's CPU backend",
    )
    return dataclasses.replace(base, **changes)


def machine(
    cpu: CpuFacts | None = None,
    gpus: tuple[GpuFacts, ...] = (),
    torch: TorchFacts | Unavailable | None = None,
    memory_total_bytes: int = 8 * 2**30,
) -> HardwareFacts:
    """A whole machine: the Zen 3 VM with no GPU unless told otherwise."""
    return HardwareFacts(
        source="example",
        host=HostFacts("example", "Linux", "6.1.0", "3.11.9"),
        cpu=cpu or zen3_vm_cpu(),
        memory=MemoryFacts(memory_total_bytes, memory_total_bytes // 2, None),
        gpus=gpus,
        nvml=Unavailable("not asked: no NVIDIA GPU on the PCI bus") if not gpus else "550.54.15",
        torch=torch if torch is not None else torch_facts(),
    )
