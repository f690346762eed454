"""Helpers for the bench tests: hand-built hardware facts and a tiny configuration."""

from __future__ import annotations

from collections.abc import Mapping

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import (
    CpuFacts,
    GpuFacts,
    GpuKind,
    HardwareFacts,
    HostFacts,
    MemoryFacts,
    PeakFlops,
    TorchDevice,
    TorchFacts,
    TorchSupport,
)

MISSING = Unavailable("not recorded in this test")


def cpu_facts(peaks: Mapping[str, PeakFlops | Unavailable]) -> CpuFacts:
    """A 2-core Zen 3 VM like the development machine, with the given peaks."""
    return CpuFacts(
        vendor="AMD",
        vendor_id="AuthenticAMD",
        model="AMD EPYC",
        family=25,
        model_number=1,
        microarchitecture="Zen 3",
        isa=("avx2", "fma"),
        logical_cpus=2,
        physical_cores=2,
        performance_cores=2,
        efficiency_cores=0,
        core_types=(),
        threads_per_core=1,
        sockets=1,
        base_clock_mhz=MISSING,
        max_clock_mhz=MISSING,
        caches=(),
        numa_nodes=1,
        hypervisor="KVM",
        affinity_cpus=(0, 1),
        cgroup_cpu_limit=None,
        usable_cpus=2,
        peak_flops=dict(peaks),
    )


def gpu_facts(
    name: str,
    backend: str,
    peaks: Mapping[str, PeakFlops | Unavailable],
    *,
    usable: bool = True,
    pci_address: str = "0000:01:00.0",
) -> GpuFacts:
    """A GPU as the probe would describe it."""
    return GpuFacts(
        pci_address=pci_address,
        vendor="NVIDIA" if backend == "cuda" else "Intel",
        vendor_id="0x10de" if backend == "cuda" else "0x8086",
        device_id="0x0000",
        class_code="0x030000",
        name=name,
        name_source="device table",
        kind=GpuKind.DISCRETE if backend == "cuda" else GpuKind.INTEGRATED,
        family=MISSING,
        compute_units=MISSING,
        compute_unit_kind=MISSING,
        torch=TorchSupport(usable=usable, backend=backend if usable else None, note=""),
        peak_flops=dict(peaks),
        nvidia=None,
    )


def hardware(
    cpu: CpuFacts,
    gpus: tuple[GpuFacts, ...] = (),
    torch_devices: tuple[TorchDevice, ...] | None = None,
) -> HardwareFacts:
    """Whole-machine facts around ``cpu`` and ``gpus``; ``torch_devices``: torch's list."""
    return HardwareFacts(
        source="test",
        host=HostFacts(hostname="test", os="Linux", kernel="6.1", python_version="3.11"),
        cpu=cpu,
        memory=MemoryFacts(
            total_bytes=8 * 2**30, available_bytes=4 * 2**30, cgroup_limit_bytes=None
        ),
        gpus=gpus,
        nvml=Unavailable("no NVIDIA driver"),
        torch=(
            Unavailable("skipped: --no-torch")
            if torch_devices is None
            else TorchFacts(
                version="2.13.0+cu128",
                flavour="cuda",
                cuda_version="12.8",
                hip_version=None,
                devices=("cpu", *(d.device for d in torch_devices)),
                blas=MISSING,
                onednn=MISSING,
                cpu_capability=MISSING,
                num_threads=2,
                compile_ready=MISSING,
                compile_note="",
                device_details=torch_devices,
            )
        ),
    )


#: A model small enough to train a few hundred steps a second on one core.
TINY = BenchOptions(
    preset="cpu-small",
    device="cpu",
    n_layer=1,
    n_head=2,
    n_embd=16,
    block_size=8,
    batch_size=2,
    vocab_size=17,
    budget_s=0.3,
    warmup_steps=1,
    min_steps=5,
    roofline=False,
)
