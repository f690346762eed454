"""The probe on recorded machines: vendors, kinds, core counts, usable CPUs and peaks."""

from __future__ import annotations

import pytest
from probe_helpers import flops, probe_fixture

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import GpuKind, NvidiaFacts, PeakFlops


def test_alder_lake_p_laptop_is_hybrid_intel_with_an_intel_iris_xe() -> None:
    facts = probe_fixture("alder_lake_p_iris_xe")
    cpu = facts.cpu
    assert (cpu.vendor, cpu.vendor_id, cpu.microarchitecture) == (
        "Intel",
        "GenuineIntel",
        "Alder Lake",
    )
    assert (cpu.family, cpu.model_number) == (6, 154)
    assert (cpu.logical_cpus, cpu.physical_cores) == (16, 12)
    assert (cpu.performance_cores, cpu.efficiency_cores) == (4, 8)
    assert [(t.name, t.microarchitecture, t.cpus) for t in cpu.core_types] == [
        ("performance", "Golden Cove", tuple(range(8))),
        ("efficiency", "Gracemont", tuple(range(8, 16))),
    ]
    assert cpu.isa == ("avx", "fma", "avx2", "avx_vnni")
    assert cpu.usable_cpus == 16
    assert (cpu.base_clock_mhz, cpu.max_clock_mhz) == (2100.0, 4700.0)
    assert cpu.hypervisor is None
    # 4 P-cores x 32 FLOP/cycle x 4.7 GHz + 8 E-cores x 16 FLOP/cycle x 3.4 GHz.
    assert flops(cpu.peak_flops, "fp32") == pytest.approx(4 * 32 * 4.7e9 + 8 * 16 * 3.4e9)
    assert all(p.estimated for p in cpu.peak_flops.values() if isinstance(p, PeakFlops))
    bf16 = cpu.peak_flops["bf16"]
    assert isinstance(bf16, Unavailable) and bf16.reason.startswith("emulated")

    (gpu,) = facts.gpus
    assert (gpu.vendor, gpu.vendor_id, gpu.device_id) == ("Intel", "0x8086", "0x46a6")
    assert gpu.kind is GpuKind.INTEGRATED
    assert gpu.name == "Intel Iris Xe Graphics" and gpu.name_source == "device table"
    assert (gpu.compute_units, gpu.compute_unit_kind) == (96, "EU")
    assert flops(gpu.peak_flops, "fp32") == pytest.approx(96 * 16 * 1.4e9)
    assert gpu.torch.usable is False
    # Xe-LP is not among the GPUs PyTorch's XPU build validates (issue 12, finding 12).
    assert "validated on Intel Arc A/B-series and Core Ultra" in gpu.torch.note
    assert "Xe-LP" in gpu.torch.note
    assert gpu.nvidia is None
    assert isinstance(facts.nvml, Unavailable)


def test_rtx_4070_ti_desktop_gets_its_datasheet_peak_and_cuda() -> None:
    facts = probe_fixture("rtx_4070_ti_desktop")
    assert (facts.cpu.vendor, facts.cpu.microarchitecture) == ("AMD", "Zen 4")
    assert (facts.cpu.physical_cores, facts.cpu.threads_per_core) == (8, 2)
    assert "avx512_bf16" in facts.cpu.isa
    assert flops(facts.cpu.peak_flops, "bf16") is not None  # native on Zen 4
    (gpu,) = facts.gpus  # the HD audio function 0000:01:00.1 is not a display device
    assert (gpu.vendor, gpu.kind, gpu.name) == (
        "NVIDIA",
        GpuKind.DISCRETE,
        "NVIDIA GeForce RTX 4070 Ti",
    )
    bf16 = gpu.peak_flops["bf16"]
    assert isinstance(bf16, PeakFlops) and not bf16.estimated
    assert bf16.flops == pytest.approx(80.2e12) and "whitepaper" in bf16.source
    assert (gpu.torch.usable, gpu.torch.backend, gpu.torch.note) == (
        True,
        "cuda",
        "torch sees it as cuda:0",
    )
    assert isinstance(gpu.nvidia, NvidiaFacts)
    assert gpu.nvidia.clock_event_reasons == ("gpu_idle",)
    assert gpu.nvidia.cuda_driver_version == "12.4"
    assert gpu.nvidia.power_limit_w == 285.0
    assert isinstance(gpu.nvidia.serial, Unavailable)
    assert gpu.family == "Ada Lovelace" and gpu.compute_units == 60
    assert facts.nvml == "550.54.15"


def test_laptop_with_iris_xe_and_a_3d_controller_lists_both_gpus() -> None:
    facts = probe_fixture("laptop_iris_xe_rtx3060_3d")
    assert (facts.cpu.performance_cores, facts.cpu.efficiency_cores) == (6, 8)
    intel, nvidia = facts.gpus
    assert (intel.vendor, intel.kind, intel.class_code) == ("Intel", GpuKind.INTEGRATED, "0x030000")
    assert (nvidia.vendor, nvidia.kind, nvidia.class_code) == (
        "NVIDIA",
        GpuKind.DISCRETE,
        "0x030200",
    )
    assert nvidia.name == "NVIDIA GeForce RTX 3060 Laptop GPU"
    # A laptop GPU's rated boost is the maker's choice (1283-1703 MHz for the 3060
    # Laptop) and GeForce NVML gives none: the peak is unknown, with the range. The
    # old answer used NVML's max clock (2100 MHz: 30 x 256 x 2.1 GHz, +23%).
    fp32 = nvidia.peak_flops["fp32"]
    assert isinstance(fp32, Unavailable)
    assert "1283-1703 MHz" in fp32.reason and "9.9-13.1 TFLOP/s" in fp32.reason
    assert nvidia.torch.usable is True and intel.torch.usable is False


def test_h100_server_keeps_the_aspeed_bmc_apart_from_eight_h100s() -> None:
    facts = probe_fixture("h100_sxm_x8_aspeed")
    cpu = facts.cpu
    assert (cpu.vendor, cpu.microarchitecture) == ("Intel", "Sapphire Rapids")
    assert (cpu.logical_cpus, cpu.physical_cores, cpu.sockets, cpu.numa_nodes) == (224, 112, 2, 2)
    assert {"amx_bf16", "amx_tile", "avx512_bf16", "avx512_fp16"} <= set(cpu.isa)
    assert flops(cpu.peak_flops, "bf16") == pytest.approx(112 * 1024 * 3.8e9)  # AMX
    bmc, *h100s = facts.gpus
    assert (bmc.vendor, bmc.kind, bmc.name) == ("ASPEED", GpuKind.BMC, "ASPEED Graphics Family")
    assert bmc.name_source == "pci.ids"
    assert bmc.torch.usable is False and all(
        isinstance(p, Unavailable) for p in bmc.peak_flops.values()
    )
    assert len(h100s) == 8
    for index, gpu in enumerate(h100s):
        assert (gpu.vendor, gpu.kind, gpu.name) == (
            "NVIDIA",
            GpuKind.DISCRETE,
            "NVIDIA H100 80GB HBM3",
        )
        assert gpu.torch.note == f"torch sees it as cuda:{index}"
        assert flops(gpu.peak_flops, "bf16") == pytest.approx(989.4e12)
        assert isinstance(gpu.nvidia, NvidiaFacts) and gpu.nvidia.mig_mode is False


def test_ryzen_laptop_radeon_680m_is_an_integrated_amd_gpu() -> None:
    facts = probe_fixture("ryzen_680m_laptop")
    assert (facts.cpu.vendor, facts.cpu.microarchitecture) == ("AMD", "Zen 3+")
    (gpu,) = facts.gpus
    assert (gpu.vendor, gpu.vendor_id, gpu.kind) == ("AMD", "0x1002", GpuKind.INTEGRATED)
    assert gpu.name == "AMD Radeon 680M" and (gpu.compute_units, gpu.compute_unit_kind) == (
        12,
        "CU",
    )
    assert flops(gpu.peak_flops, "fp32") is not None
    assert gpu.torch.usable is False and "ROCm" in gpu.torch.note


def test_kvm_guest_with_only_virtio_devices_has_no_gpu_and_says_kvm() -> None:
    facts = probe_fixture("kvm_epyc_virtio")
    cpu = facts.cpu
    assert (cpu.vendor, cpu.model, cpu.microarchitecture) == ("AMD", "AMD EPYC", "Zen 3")
    assert isinstance(cpu.hypervisor, str) and cpu.hypervisor.startswith("KVM")
    assert facts.gpus == ()
    assert isinstance(cpu.max_clock_mhz, Unavailable)  # no cpufreq in the guest
    fp32 = cpu.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops) and "cpu MHz" in fp32.note  # falls back to cpuinfo's clock
    assert fp32.flops == pytest.approx(4 * 32 * 2445.406e6)
    assert cpu.cgroup_cpu_limit is None and cpu.usable_cpus == 4


def test_qemu_stdvga_is_a_virtual_display_not_a_gpu() -> None:
    facts = probe_fixture("qemu_stdvga_xeon")
    (gpu,) = facts.gpus
    assert (gpu.vendor_id, gpu.device_id, gpu.kind) == ("0x1234", "0x1111", GpuKind.VIRTUAL)
    assert gpu.name == "QEMU Virtual Video Controller"
    assert gpu.torch.usable is False and "emulated" in gpu.torch.note
    assert facts.cpu.hypervisor == "QEMU"


def test_container_limited_to_two_cpus_on_a_64_core_host_says_two() -> None:
    facts = probe_fixture("container_2cpu_on_64core")
    cpu = facts.cpu
    assert (cpu.logical_cpus, cpu.physical_cores) == (128, 64)
    assert len(cpu.affinity_cpus) == 128
    assert cpu.cgroup_cpu_limit == 2.0
    assert cpu.usable_cpus == 2
    # The peak is over the 2 CPUs' worth of time the quota allows, not 64 cores.
    assert flops(cpu.peak_flops, "fp32") == pytest.approx(2 * 32 * 3529.052e6)
    assert flops(cpu.core_types[0].peak_flops, "fp32") == pytest.approx(64 * 32 * 3529.052e6)
    assert facts.memory.cgroup_limit_bytes == 8 * 2**30
    assert facts.torch is not None and not isinstance(facts.torch, Unavailable)
    assert facts.torch.num_threads == 64  # oversubscribed: the rules can say so


def test_apple_m2_is_read_from_sysctl_without_proc_or_sys() -> None:
    facts = probe_fixture("apple_m2")
    cpu = facts.cpu
    assert (cpu.vendor, cpu.model, cpu.microarchitecture) == ("Apple", "Apple M2", "Apple M2")
    assert (cpu.performance_cores, cpu.efficiency_cores, cpu.logical_cpus) == (4, 4, 8)
    assert set(cpu.isa) == {"asimd", "asimdhp", "bf16", "i8mm"}
    assert flops(cpu.peak_flops, "bf16") is not None  # M2 has FEAT_BF16
    assert facts.memory.total_bytes == 16 * 2**30
    (gpu,) = facts.gpus
    assert (gpu.vendor, gpu.kind, gpu.name) == ("Apple", GpuKind.INTEGRATED, "Apple M2 GPU")
    assert gpu.compute_units == 10
    assert (gpu.torch.usable, gpu.torch.backend) == (True, "mps")
    assert flops(gpu.peak_flops, "fp32") == pytest.approx(10 * 256 * 1398e6)
    assert facts.host.os == "Darwin" and facts.host.hostname == "macbook-air.local"


def test_neoverse_v2_server_is_named_from_the_arm_part_number() -> None:
    facts = probe_fixture("neoverse_v2_grace")
    cpu = facts.cpu
    assert (cpu.vendor, cpu.vendor_id, cpu.microarchitecture) == ("ARM", "0x41", "Neoverse V2")
    assert cpu.model_number == 0xD4F
    assert (cpu.logical_cpus, cpu.physical_cores, cpu.threads_per_core) == (72, 72, 1)
    assert {"sve", "sve2", "bf16", "i8mm"} <= set(cpu.isa)
    assert flops(cpu.peak_flops, "bf16") is not None
    assert cpu.hypervisor is None
    assert facts.torch is not None and not isinstance(facts.torch, Unavailable)
    assert facts.torch.blas == "OpenBLAS"


@pytest.mark.parametrize(
    ("machine", "reason_part"),
    [
        ("nvml_library_not_found", "libnvidia-ml"),
        ("nvml_driver_not_loaded", "driver not loaded"),
        ("nvml_no_permission", "no permission"),
    ],
)
def test_nvml_failing_to_start_becomes_a_reason_on_each_nvidia_gpu(
    machine: str, reason_part: str
) -> None:
    facts = probe_fixture(machine)
    assert isinstance(facts.nvml, Unavailable) and reason_part in facts.nvml.reason
    (gpu,) = facts.gpus
    assert gpu.vendor == "NVIDIA" and gpu.name_source == "device table"
    assert isinstance(gpu.nvidia, Unavailable) and reason_part in gpu.nvidia.reason
    # The datasheet table still knows the card from its PCI device ID.
    assert flops(gpu.peak_flops, "bf16") is not None
    assert gpu.torch.usable is False


def test_library_not_found_with_cpu_torch_asks_for_a_cuda_build_and_a_driver() -> None:
    (gpu,) = probe_fixture("nvml_library_not_found").gpus
    assert gpu.name == "NVIDIA GeForce RTX 4090"
    assert "install a CUDA build of torch" in gpu.torch.note and "driver" in gpu.torch.note


def test_driver_not_loaded_with_cuda_torch_says_so() -> None:
    (gpu,) = probe_fixture("nvml_driver_not_loaded").gpus
    assert gpu.torch.note.startswith("NVIDIA driver not loaded")


def test_fields_nvml_does_not_support_are_unavailable_one_by_one() -> None:
    facts = probe_fixture("nvml_not_supported_fields")
    (gpu,) = facts.gpus
    nv = gpu.nvidia
    assert isinstance(nv, NvidiaFacts)
    for missing in (nv.serial, nv.sm_count, nv.mig_mode, nv.power_draw_w):
        assert missing == Unavailable("NVML: not supported on this GPU")
    assert nv.power_limit_w == 350.0 and nv.sm_clock_max_mhz == 2100
    assert flops(gpu.peak_flops, "bf16") == pytest.approx(71e12)  # datasheet, no SM count needed


def test_lost_gpu_is_reported_on_its_own_pci_function() -> None:
    facts = probe_fixture("nvml_gpu_lost")
    healthy, lost = facts.gpus
    assert healthy.pci_address == "0000:17:00.0" and isinstance(healthy.nvidia, NvidiaFacts)
    assert lost.pci_address == "0000:65:00.0"
    assert isinstance(lost.nvidia, Unavailable) and "GPU is lost" in lost.nvidia.reason
    assert lost.torch.usable is False and "GPU is lost" in lost.torch.note
    assert len(facts.gpus) == 2


def test_gpu_states_for_the_rules_are_decoded() -> None:
    capped = probe_fixture("gpu_sw_power_cap").gpus[0].nvidia
    assert isinstance(capped, NvidiaFacts)
    assert capped.clock_event_reasons == ("sw_power_cap",)
    assert (capped.sm_clock_mhz, capped.sm_clock_max_mhz) == (1200, 2040)
    narrow = probe_fixture("gpu_pcie_x4_on_x16").gpus[0].nvidia
    assert isinstance(narrow, NvidiaFacts) and (narrow.pcie_width, narrow.pcie_width_max) == (4, 16)
    mig = probe_fixture("gpu_mig_enabled").gpus[0].nvidia
    assert isinstance(mig, NvidiaFacts) and mig.mig_mode is True
    busy = probe_fixture("gpu_busy_other_process").gpus[0].nvidia
    assert isinstance(busy, NvidiaFacts)
    assert (busy.other_processes, busy.utilization_gpu_percent) == (1, 98)


def test_no_torch_skips_torch_and_leaves_gpu_usability_unknown_with_what_it_needs() -> None:
    facts = probe_fixture("alder_lake_p_iris_xe", include_torch=False)
    assert facts.torch == Unavailable("skipped: --no-torch")
    (gpu,) = facts.gpus
    assert isinstance(gpu.torch.usable, Unavailable)
    assert "XPU" in gpu.torch.note
