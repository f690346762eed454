"""Builds the recorded-machine fixtures in tests/data/snapshots/ from short descriptions.

Each machine is written as a snapshot folder (docs/snapshot.md) holding only
the files the probe reads, with real values for that hardware (CPUID family
and model, core numbering, cache sizes, PCI IDs, NVML answers). Each machine
is described here by what sets it apart; the writers of the file formats are
in fixture_parts.py. The folders are committed so they can be read and
diffed; ``test_fixture_builder.py`` checks they still equal what this script
writes. Regenerate with::

    python tests/probe/snapshot_fixtures.py
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fixture_parts import (
    ACCELERATE_CONFIG,
    GIB,
    MIB,
    NOT_SUPPORTED,
    OPENBLAS_ARM_CONFIG,
    Machine,
    NvidiaCard,
    X86Cpu,
    add_caches,
    add_card,
    add_cgroup_v1,
    add_cgroup_v2,
    add_cpufreq,
    add_host,
    add_login_session,
    add_nodes,
    add_nvidia_gpu,
    add_pci,
    add_x86,
    arm_cpuinfo,
    core_caches,
    cuda_torch,
    nvml_ok,
    torch_answers,
    x86_cpuinfo,
)

SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "snapshots"

CREATED_AT = "2026-01-15T12:00:00+00:00"

# -- CPUs shared by several machines ----------------------------------------------


def alder_lake_p(
    m: Machine,
    *,
    p_cores: int,
    e_cores: int,
    model_name: str,
    p_max_khz: int,
    e_max_khz: int,
    p_base_khz: int,
    e_base_khz: int,
    l3: str,
) -> None:
    """A hybrid Alder Lake-P package: P-cores with 2 threads first, then E-cores."""
    threads: dict[int, tuple[int, int]] = {}
    for core in range(p_cores):
        threads[2 * core] = threads[2 * core + 1] = (0, 4 * core)
    first_e = 2 * p_cores
    for i in range(e_cores):
        threads[first_e + i] = (0, 4 * p_cores + i)
    flags = (
        "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi "
        "mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon "
        "pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf tsc_known_freq pni "
        "pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm sse4_1 "
        "sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm "
        "3dnowprefetch cpuid_fault epb ssbd ibrs ibpb stibp ibrs_enhanced tpr_shadow flexpriority "
        "ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap "
        "clflushopt clwb intel_pt sha_ni xsaveopt xsavec xgetbv1 xsaves split_lock_detect "
        "avx_vnni dtherm ida arat pln pts hwp hwp_notify hwp_act_window hwp_epp hwp_pkg_req hfi "
        "vnmi umip pku ospke waitpkg gfni vaes vpclmulqdq rdpid movdiri movdir64b fsrm md_clear "
        "serialize arch_lbr ibt flush_l1d arch_capabilities"
    )
    cpu = X86Cpu("GenuineIntel", 6, 154, 3, model_name, flags, 2100.0, threads, 18432)
    m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    total = first_e + e_cores
    m.add("sys/devices/system/cpu/online", f"0-{total - 1}")
    m.add("sys/devices/cpu_core/cpus", f"0-{first_e - 1}")
    m.add("sys/devices/cpu_atom/cpus", f"{first_e}-{total - 1}")
    add_caches(m, 0, core_caches("0-1", "48K", "32K", "1280K", l3, f"0-{total - 1}"))
    add_caches(
        m,
        first_e,
        [
            (1, "Data", "32K", f"{first_e}"),
            (1, "Instruction", "64K", f"{first_e}"),
            (2, "Unified", "2048K", f"{first_e}-{first_e + 3}"),
            (3, "Unified", l3, f"0-{total - 1}"),
        ],
    )
    add_cpufreq(m, 0, p_max_khz, p_base_khz)
    add_cpufreq(m, first_e, e_max_khz, e_base_khz)
    add_nodes(m, 1)


def zen_desktop(
    m: Machine,
    *,
    cores: int,
    family: int,
    model: int,
    model_name: str,
    flags_extra: str,
    max_khz: int,
    l3: str,
) -> None:
    """An AMD desktop/laptop part with SMT: thread siblings are N and N + cores."""
    threads = {n: (0, n % cores) for n in range(2 * cores)}
    flags = (
        "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
        "sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl "
        "nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 "
        "sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm "
        "extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext "
        "perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba "
        "ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a rdseed adx "
        "smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc "
        "cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru wbnoinvd cppc arat npt lbrv "
        "svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold "
        "avic v_vmsave_vmload vgif v_spec_ctrl umip pku ospke vaes vpclmulqdq rdpid overflow_recov "
        "succor smca fsrm " + flags_extra
    )
    cpu = X86Cpu("AuthenticAMD", family, model, 2, model_name, flags, 3800.0, threads, 512)
    l2 = "1024K" if family == 25 and model >= 0x60 else "512K"  # Zen 4 doubled the L2
    caches = core_caches(f"0,{cores}", "32K", "32K", l2, l3, f"0-{2 * cores - 1}")
    add_x86(m, cpu, caches, max_khz=max_khz)


WORKSTATION_FLAGS_EXTRA = "avx512f avx512dq avx512cd avx512bw avx512vl avx512_vnni"


def workstation_cpu(m: Machine) -> None:
    """Intel Xeon W-2245 (Cascade Lake-W, family 6 model 85): 8 cores, 16 threads."""
    threads = {n: (0, n % 8) for n in range(16)}
    flags = (
        "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi "
        "mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon "
        "rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq ssse3 fma cx16 pcid "
        "sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch "
        "fsgsbase bmi1 hle avx2 smep bmi2 erms invpcid rtm mpx avx512f avx512dq rdseed adx smap "
        "clflushopt clwb intel_pt avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves "
        "avx512_vnni md_clear flush_l1d arch_capabilities"
    )
    cpu = X86Cpu(
        "GenuineIntel",
        6,
        85,
        7,
        "Intel(R) Xeon(R) W-2245 CPU @ 3.90GHz",
        flags,
        3900.0,
        threads,
        16896,
    )
    caches = core_caches("0,8", "32K", "32K", "1024K", "16896K", "0-15")
    add_x86(m, cpu, caches, max_khz=4700000, base_khz=3900000)


def workstation(name: str, description: str) -> Machine:
    m = Machine(name, description)
    workstation_cpu(m)
    add_host(m, "ws-lab-3", "6.8.0-49-generic", 131_587_264, 120_000_000, "Dell Inc.")
    add_login_session(m, "0-15", session=4)
    add_pci(m, "0000:00:00.0", 0x8086, 0x2020, 0x060000, driver=None)
    return m


# -- NVIDIA cards (NVML names, SMs, memory and limits as the real boards report them) ----

RTX_4070_TI = NvidiaCard(
    0x2782, (0x1462, 0x5130), "NVIDIA GeForce RTX 4070 Ti", (8, 9), 60, 12282, 3105, 285000,
    class_code=0x030000, serial=NOT_SUPPORTED,
)  # fmt: skip
RTX_3060_LAPTOP = NvidiaCard(
    0x2560, (0x17AA, 0x3A4B), "NVIDIA GeForce RTX 3060 Laptop GPU", (8, 6), 30, 6144, 2100,
    115000, serial=NOT_SUPPORTED,
)  # fmt: skip
RTX_3090 = NvidiaCard(
    0x2204, (0x1043, 0x87B3), "NVIDIA GeForce RTX 3090", (8, 6), 82, 24576, 2100, 350000,
    class_code=0x030000, serial=NOT_SUPPORTED,
)  # fmt: skip
RTX_4090 = NvidiaCard(
    0x2684, (0x10DE, 0x167C), "NVIDIA GeForce RTX 4090", (8, 9), 128, 24564, 3120, 450000,
    class_code=0x030000, serial=NOT_SUPPORTED,
)  # fmt: skip
H100_SXM = NvidiaCard(
    0x2330, (0x10DE, 0x16C1), "NVIDIA H100 80GB HBM3", (9, 0), 132, 81559, 1980, 700000
)
H100_PCIE = NvidiaCard(
    0x2331, (0x10DE, 0x1626), "NVIDIA H100 PCIe", (9, 0), 114, 81559, 1755, 350000
)
A100_SXM = NvidiaCard(
    0x20B2, (0x10DE, 0x1463), "NVIDIA A100-SXM4-80GB", (8, 0), 108, 81920, 1410, 400000
)
A10 = NvidiaCard(0x2236, (0x10DE, 0x1482), "NVIDIA A10", (8, 6), 72, 23028, 1695, 150000)
L4 = NvidiaCard(0x27B8, (0x10DE, 0x16CA), "NVIDIA L4", (8, 9), 58, 23034, 2040, 72000)


# -- the machines ------------------------------------------------------------------

IRIS_XE_LSPCI = (
    '0000:00:00.0 "Host bridge [0600]" "Intel Corporation [8086]" '
    '"Alder Lake-P Host Bridge/DRAM Registers [4621]" -r02 "Lenovo [17aa]" "Device [22e4]"\n'
    '0000:00:02.0 "VGA compatible controller [0300]" "Intel Corporation [8086]" '
    '"Alder Lake-P GT2 [Iris Xe Graphics] [46a6]" -r0c -p00 "Lenovo [17aa]" "Device [22e4]"\n'
)


def alder_lake_p_iris_xe() -> Machine:
    m = Machine(
        "alder_lake_p_iris_xe",
        "Lenovo laptop, i7-1260P (Alder Lake-P, 4P+8E, 16 threads), Iris Xe 8086:46a6, no NVIDIA "
        "GPU, CPU build of torch: the nanoGPT 'mfu 0.01%' machine",
    )
    alder_lake_p(
        m,
        p_cores=4,
        e_cores=8,
        model_name="12th Gen Intel(R) Core(TM) i7-1260P",
        p_max_khz=4700000,
        e_max_khz=3400000,
        p_base_khz=2100000,
        e_base_khz=1500000,
        l3="18432K",
    )
    add_host(m, "thinkpad", "6.5.0-41-generic", 15_999_152, 11_204_332, "LENOVO")
    add_login_session(m, "0-15")
    add_pci(m, "0000:00:00.0", 0x8086, 0x4621, 0x060000, (0x17AA, 0x22E4))
    add_pci(m, "0000:00:02.0", 0x8086, 0x46A6, 0x030000, (0x17AA, 0x22E4), driver="i915")
    m.commands["lspci"] = IRIS_XE_LSPCI
    m.torch = torch_answers("2.3.1+cpu", num_threads=12, capability="AVX2")
    return m


def rtx_4070_ti_desktop() -> Machine:
    m = Machine(
        "rtx_4070_ti_desktop",
        "Desktop, Ryzen 7 7700X (Zen 4, 8 cores / 16 threads), GeForce RTX 4070 Ti 10de:2782, "
        "CUDA build of torch",
    )
    zen_desktop(
        m,
        cores=8,
        family=25,
        model=97,
        model_name="AMD Ryzen 7 7700X 8-Core Processor",
        flags_extra="avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 "
        "avx512vbmi avx512_vbmi2 avx512_vnni avx512_bitalg avx512_vpopcntdq",
        max_khz=5573000,
        l3="32768K",
    )
    add_host(
        m, "tower", "6.8.0-49-generic", 65_536_000, 58_000_000, "Micro-Star International Co., Ltd."
    )
    add_login_session(m, "0-15")
    add_pci(m, "0000:01:00.1", 0x10DE, 0x22BC, 0x040300, (0x1462, 0x5130), driver="snd_hda_intel")
    gpu, torch_gpu = add_nvidia_gpu(
        m, RTX_4070_TI, "0000:01:00.0", memory_used=412 * MIB, clock=210, power_mw=12000,
        pcie=(1, 4, 16, 16), reasons=0x1,
    )  # fmt: skip
    m.nvml, m.torch = nvml_ok([gpu]), cuda_torch([torch_gpu])
    return m


def laptop_iris_xe_rtx3060() -> Machine:
    m = Machine(
        "laptop_iris_xe_rtx3060_3d",
        "Laptop, i7-12700H (Alder Lake-P, 6P+8E, 20 threads), Iris Xe 8086:46a6 as VGA plus "
        "GeForce RTX 3060 Laptop GPU 10de:2560 as a 3D controller (class 0x0302)",
    )
    alder_lake_p(
        m,
        p_cores=6,
        e_cores=8,
        model_name="12th Gen Intel(R) Core(TM) i7-12700H",
        p_max_khz=4700000,
        e_max_khz=3500000,
        p_base_khz=2300000,
        e_base_khz=1700000,
        l3="24576K",
    )
    add_host(m, "legion", "6.8.0-49-generic", 32_480_000, 25_100_000, "LENOVO")
    add_login_session(m, "0-19")
    add_pci(m, "0000:00:02.0", 0x8086, 0x46A6, 0x030000, (0x17AA, 0x3A4B), driver="i915")
    gpu, torch_gpu = add_nvidia_gpu(
        m, RTX_3060_LAPTOP, "0000:01:00.0", memory_used=8 * MIB, clock=1320, power_mw=17000,
        pcie=(4, 4, 8, 16),
    )  # fmt: skip
    m.nvml = nvml_ok([gpu])
    m.torch = cuda_torch([torch_gpu], num_threads=14, capability="AVX2")
    return m


H100_BUSES = ("18", "2a", "3a", "5d", "9a", "ab", "ba", "db")


def h100_sxm_x8_aspeed() -> Machine:
    m = Machine(
        "h100_sxm_x8_aspeed",
        "HGX H100 server: 2x Xeon Platinum 8480+ (Sapphire Rapids, 56 cores each, 224 threads), "
        "8x H100 SXM5 (3D controllers), the only VGA device an ASPEED AST2600 BMC",
    )
    threads: dict[int, tuple[int, int]] = {}
    for n in range(224):
        package = (n // 56) % 2
        threads[n] = (package, n % 56)
    flags = (
        "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi "
        "mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon "
        "pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf tsc_known_freq pni "
        "pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca "
        "sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm "
        "abm 3dnowprefetch cpuid_fault epb cat_l3 cat_l2 cdp_l3 invpcid_single intel_ppin cdp_l2 "
        "ssbd mba ibrs ibpb stibp ibrs_enhanced fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms "
        "invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb intel_pt "
        "avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc "
        "cqm_mbm_total cqm_mbm_local split_lock_detect avx_vnni avx512_bf16 wbnoinvd dtherm ida "
        "arat pln pts hfi avx512vbmi umip pku ospke waitpkg avx512_vbmi2 gfni vaes vpclmulqdq "
        "avx512_vnni avx512_bitalg tme avx512_vpopcntdq la57 rdpid bus_lock_detect cldemote "
        "movdiri movdir64b enqcmd fsrm md_clear serialize tsxldtrk pconfig arch_lbr ibt "
        "amx_bf16 avx512_fp16 amx_tile amx_int8 flush_l1d arch_capabilities"
    )
    cpu = X86Cpu(
        "GenuineIntel", 6, 143, 8, "Intel(R) Xeon(R) Platinum 8480+", flags, 2000.0, threads, 107520
    )
    caches = core_caches("0,112", "48K", "32K", "2048K", "107520K", "0-55,112-167")
    add_x86(m, cpu, caches, max_khz=3800000, base_khz=2000000, nodes=2)
    add_host(m, "dgx-h100-07", "5.15.0-1053-nvidia", 2_113_515_040, 2_050_000_000, "NVIDIA")
    add_login_session(m, "0-223", session=9, uid=1001)
    add_pci(m, "0000:03:00.0", 0x1A03, 0x2000, 0x030000, (0x1A03, 0x2000), driver="ast")
    m.add(
        "usr/share/hwdata/pci.ids",
        "# Excerpt of the PCI ID Repository (https://pci-ids.ucw.cz/)\n"
        "10de  NVIDIA Corporation\n\t2330  GH100 [H100 SXM5 80GB]\n"
        "1a03  ASPEED Technology, Inc.\n\t2000  ASPEED Graphics Family\n",
    )
    devices, torch_gpus = [], []
    for index, bus in enumerate(H100_BUSES):
        gpu, torch_gpu = add_nvidia_gpu(
            m, H100_SXM, f"0000:{bus}:00.0", index=index, memory_used=4 * MIB, clock=345,
            power_mw=71000, pcie=(5, 5, 16, 16), reasons=0x1, mig=[0, 0],
        )  # fmt: skip
        devices.append(gpu)
        torch_gpus.append(torch_gpu)
    m.nvml = nvml_ok(devices, driver="535.183.01", cuda=12020)
    m.torch = torch_answers(
        "2.4.1+cu121", num_threads=112, capability="AVX512", cuda="12.1", gpus=torch_gpus
    )
    return m


def ryzen_680m_laptop() -> Machine:
    m = Machine(
        "ryzen_680m_laptop",
        "Laptop, Ryzen 7 6800H (Rembrandt, Zen 3+, 8 cores / 16 threads), Radeon 680M 1002:1681, "
        "CPU build of torch",
    )
    zen_desktop(
        m,
        cores=8,
        family=25,
        model=68,
        model_name="AMD Ryzen 7 6800H with Radeon Graphics",
        flags_extra="",
        max_khz=4785000,
        l3="16384K",
    )
    add_host(m, "zephyrus", "6.8.0-49-generic", 15_624_000, 9_800_000, "ASUSTeK COMPUTER INC.")
    add_login_session(m, "0-15")
    add_pci(m, "0000:04:00.0", 0x1002, 0x1681, 0x030000, (0x1043, 0x13E3), driver="amdgpu")
    m.torch = torch_answers("2.5.1+cpu", num_threads=8, capability="AVX2")
    return m


def kvm_epyc_virtio() -> Machine:
    m = Machine(
        "kvm_epyc_virtio",
        "KVM guest like the project's development VM: 4 vCPUs of an AMD EPYC (Zen 3), an "
        "Intel 440FX host bridge, only virtio devices, no cpufreq, no DMI, cgroup v1",
    )
    threads = {n: (0, n) for n in range(4)}
    flags = (
        "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
        "sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl "
        "xtopology nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid "
        "sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand "
        "hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw "
        "topoext ssbd ibrs ibpb stibp vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms "
        "invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves clzero "
        "xsaveerptr wbnoinvd arat umip pku ospke vaes vpclmulqdq rdpid fsrm"
    )
    cpu = X86Cpu("AuthenticAMD", 25, 1, 1, "AMD EPYC", flags, 2445.406, threads, 512)
    add_x86(m, cpu, core_caches("0", "32K", "32K", "512K", "32768K", "0-3"))  # no cpufreq
    add_host(m, "vm", "6.1.0-fc", 24_683_656, 24_277_200)
    add_cgroup_v1(m, "0-3")
    add_pci(m, "0000:00:00.0", 0x8086, 0x1237, 0x060000, (0x1AF4, 0x1100))
    add_pci(m, "0000:00:01.0", 0x1AF4, 0x1045, 0x00FF00, (0x1AF4, 0x0005), driver="virtio-pci")
    add_pci(m, "0000:00:02.0", 0x1AF4, 0x1042, 0x018000, (0x1AF4, 0x0002), driver="virtio-pci")
    add_pci(m, "0000:00:03.0", 0x1AF4, 0x1041, 0x020000, (0x1AF4, 0x0001), driver="virtio-pci")
    m.torch = torch_answers("2.13.0+cpu", num_threads=4, capability="AVX2")
    return m


def qemu_stdvga_xeon() -> Machine:
    m = Machine(
        "qemu_stdvga_xeon",
        "QEMU guest, 8 vCPUs 'Intel Xeon Processor (Skylake, IBRS)', QEMU standard VGA 1234:1111",
    )
    threads = {n: (0, n) for n in range(8)}
    flags = (
        "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
        "sse sse2 ss syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid "
        "tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt "
        "tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch "
        "invpcid_single ssbd ibrs ibpb stibp fsgsbase tsc_adjust bmi1 hle avx2 smep bmi2 erms "
        "invpcid rtm mpx avx512f avx512dq rdseed adx smap clwb avx512cd avx512bw avx512vl "
        "xsaveopt xsavec xgetbv1 xsaves arat pku ospke md_clear arch_capabilities"
    )
    cpu = X86Cpu(
        "GenuineIntel",
        6,
        85,
        4,
        "Intel Xeon Processor (Skylake, IBRS)",
        flags,
        2394.374,
        threads,
        16384,
    )
    add_x86(m, cpu, core_caches("0", "32K", "32K", "4096K", "16384K", "0"))  # no cpufreq
    add_host(m, "guest", "5.15.0-122-generic", 16_393_000, 15_100_000, "QEMU")
    add_login_session(m, "0-7", session=1)
    add_pci(m, "0000:00:00.0", 0x8086, 0x1237, 0x060000, (0x1AF4, 0x1100))
    add_pci(m, "0000:00:02.0", 0x1234, 0x1111, 0x030000, (0x1AF4, 0x1100), driver="bochs-drm")
    m.add(
        "usr/share/misc/pci.ids",
        "# Excerpt of the PCI ID Repository (https://pci-ids.ucw.cz/)\n"
        "1234  Technical Corp.\n\t1111  QEMU Virtual Video Controller\n"
        "1af4  Red Hat, Inc.\n\t1041  Virtio 1.0 network device\n"
        "8086  Intel Corporation\n\t1237  440FX - 82441FX PMC [Natoma]\n"
        "C 03  Display controller\n\t00  VGA compatible controller\n",
    )
    m.torch = torch_answers("2.5.1+cpu", num_threads=8, capability="AVX512")
    return m


def container_2cpu_on_64core() -> Machine:
    m = Machine(
        "container_2cpu_on_64core",
        "Docker container with --cpus=2 --memory=8g on an EPYC 7763 host (Zen 3, 64 cores / 128 "
        "threads): affinity 0-127, cgroup v2 cpu.max 200000 100000",
    )
    threads = {n: (0, n % 64) for n in range(128)}
    flags = (
        "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
        "sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl "
        "nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 pcid "
        "sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm "
        "extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext "
        "perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 invpcid_single "
        "hw_pstate ssbd mba ibrs ibpb stibp vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid "
        "cqm rdt_a rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 xsaves "
        "cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local clzero irperf xsaveerptr rdpru "
        "wbnoinvd amd_ppin arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid "
        "decodeassists pausefilter pfthreshold v_vmsave_vmload vgif v_spec_ctrl umip pku ospke "
        "vaes vpclmulqdq rdpid overflow_recov succor smca fsrm"
    )
    cpu = X86Cpu(
        "AuthenticAMD", 25, 1, 1, "AMD EPYC 7763 64-Core Processor", flags, 2450.0, threads, 512
    )
    caches = core_caches("0,64", "32K", "32K", "512K", "32768K", "0-7,64-71")
    add_x86(m, cpu, caches, max_khz=3529052)
    add_host(m, "3f2a9c1b7d4e", "5.15.0-105-generic", 528_000_000, 500_000_000, "Supermicro")
    add_cgroup_v2(m, "0-127", "/", "200000 100000", "8589934592")
    add_pci(m, "0000:00:00.0", 0x1022, 0x1480, 0x060000)
    add_pci(m, "0000:63:00.0", 0x1A03, 0x2000, 0x030000, driver="ast")
    m.torch = torch_answers("2.13.0+cpu", num_threads=64, capability="AVX2")
    return m


APPLE_M2_SYSCTL = """\
hw.ncpu: 8
hw.byteorder: 1234
hw.memsize: 17179869184
hw.activecpu: 8
hw.optional.arm64: 1
hw.optional.neon: 1
hw.optional.neon_hpfp: 1
hw.optional.neon_fp16: 1
hw.optional.arm.FEAT_FP16: 1
hw.optional.arm.FEAT_BF16: 1
hw.optional.arm.FEAT_I8MM: 1
hw.optional.arm.FEAT_DotProd: 1
hw.optional.arm.FEAT_SME: 0
hw.physicalcpu: 8
hw.physicalcpu_max: 8
hw.logicalcpu: 8
hw.logicalcpu_max: 8
hw.cputype: 16777228
hw.cpusubtype: 2
hw.cpufamily: -634136515
hw.cpusubfamily: 2
hw.packages: 1
hw.nperflevels: 2
hw.perflevel0.physicalcpu: 4
hw.perflevel0.logicalcpu: 4
hw.perflevel0.l1icachesize: 196608
hw.perflevel0.l1dcachesize: 131072
hw.perflevel0.l2cachesize: 16777216
hw.perflevel0.cpusperl2: 4
hw.perflevel0.name: Performance
hw.perflevel1.physicalcpu: 4
hw.perflevel1.logicalcpu: 4
hw.perflevel1.l1icachesize: 131072
hw.perflevel1.l1dcachesize: 65536
hw.perflevel1.l2cachesize: 4194304
hw.perflevel1.cpusperl2: 4
hw.perflevel1.name: Efficiency
hw.pagesize: 16384
hw.model: Mac14,2
machdep.cpu.cores_per_package: 8
machdep.cpu.core_count: 8
machdep.cpu.logical_per_package: 8
machdep.cpu.thread_count: 8
machdep.cpu.brand_string: Apple M2
kern.hostname: macbook-air.local
kern.osrelease: 23.5.0
"""


def apple_m2() -> Machine:
    m = Machine(
        "apple_m2", "MacBook Air M2 (4P+4E), macOS 14, no /proc or /sys; MPS torch", os="Darwin"
    )
    m.commands["sysctl"] = APPLE_M2_SYSCTL
    m.commands["ioreg"] = (
        "+-o AGXAcceleratorG14G  <class AGXAcceleratorG14G, id 0x1000005e0, registered, matched,"
        ' active, busy 0 (0 ms), retain 84>\n  {\n    "gpu-core-count" = 10\n'
        '    "CFBundleIdentifier" = "com.apple.AGXG14G"\n    "model" = "Apple M2"\n  }\n'
    )
    answers = torch_answers(
        "2.5.1",
        num_threads=4,
        capability="NO AVX",
        config=ACCELERATE_CONFIG,
        compile_={
            "cxx_compiler": "/usr/bin/clang++",
            "python_headers": True,
            "triton": False,
            "platform": "darwin",
        },
    )
    answers["mps"] = {"built": True, "available": True}
    answers["devices"].append({"device": "mps", "name": "Apple GPU (Metal)"})
    m.torch = answers
    return m


GRACE_FEATURES = (
    "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma "
    "lrcpc dcpop sha3 sm3 sm4 asimddp sha512 sve asimdfhm dit uscat ilrcpc flagm ssbs sb paca "
    "pacg dcpodp sve2 sveaes svepmull svebitperm svesha3 svesm4 flagm2 frint svei8mm svebf16 "
    "i8mm bf16 dgh bti"
)


def neoverse_v2_grace() -> Machine:
    m = Machine(
        "neoverse_v2_grace",
        "NVIDIA Grace CPU server: 72 Neoverse V2 cores (MIDR 0x41/0xd4f), no SMT, ASPEED BMC, "
        "aarch64 torch with OpenBLAS",
    )
    m.add("proc/cpuinfo", arm_cpuinfo(72, 0x41, 0xD4F, 0, 0, GRACE_FEATURES))
    m.add("sys/devices/system/cpu/online", "0-71")
    for cpu in range(72):
        base = f"sys/devices/system/cpu/cpu{cpu}/topology"
        m.add(f"{base}/thread_siblings_list", str(cpu))
        m.add(f"{base}/physical_package_id", "0")
    add_caches(m, 0, core_caches("0", "64K", "64K", "1024K", "116736K", "0-71"))
    add_cpufreq(m, 0, 3456000)
    add_nodes(m, 1)
    add_host(m, "grace-01", "6.5.0-1019-nvidia-64k", 494_000_000, 480_000_000, "NVIDIA")
    add_login_session(m, "0-71", session=3)
    add_pci(m, "0009:01:00.0", 0x1A03, 0x2000, 0x030000, driver="ast")
    m.torch = torch_answers(
        "2.5.1", num_threads=72, capability="SVE256", config=OPENBLAS_ARM_CONFIG
    )
    return m


# -- NVML failing, and GPU states for issue 5's rules ----------------------------------


def nvidia_workstation(name: str, description: str, card: NvidiaCard, **state: Any) -> Machine:
    """The workstation with one ``card`` at 0000:65:00.0, NVML saying ``state``, a CUDA torch."""
    m = workstation(name, description)
    gpu, torch_gpu = add_nvidia_gpu(m, card, "0000:65:00.0", **state)
    m.nvml, m.torch = nvml_ok([gpu]), cuda_torch([torch_gpu])
    return m


def nvml_library_not_found() -> Machine:
    m = workstation(
        "nvml_library_not_found",
        "RTX 4090 10de:2684 present but no NVIDIA driver installed: libnvidia-ml "
        "missing; CPU build of torch",
    )
    add_card(m, RTX_4090, "0000:65:00.0", driver=None)
    m.nvml = {"init": {"error": "NVML_ERROR_LIBRARY_NOT_FOUND"}}
    m.torch = torch_answers("2.13.0+cpu", num_threads=8, capability="AVX512")
    return m


def nvml_driver_not_loaded() -> Machine:
    m = workstation(
        "nvml_driver_not_loaded",
        "A100 80GB PCIe 10de:20b5, driver installed but the kernel module is not "
        "loaded (e.g. after a kernel update); CUDA build of torch sees no GPU",
    )
    add_pci(m, "0000:65:00.0", 0x10DE, 0x20B5, 0x030200, (0x10DE, 0x1533), driver=None)
    m.nvml = {"init": {"error": "NVML_ERROR_DRIVER_NOT_LOADED"}}
    m.torch = cuda_torch(
        note="torch.cuda.is_available() is False: CUDA initialization: Found no NVIDIA driver "
        "on your system. Please check that you have an NVIDIA GPU and installed a driver "
        "from http://www.nvidia.com/Download/index.aspx",
    )
    return m


def nvml_no_permission() -> Machine:
    m = workstation(
        "nvml_no_permission",
        "L40S 10de:26b9 in a container started without GPU access: NVML init answers NO_PERMISSION",
    )
    add_pci(m, "0000:65:00.0", 0x10DE, 0x26B9, 0x030200, (0x10DE, 0x1851), driver="nvidia")
    m.nvml = {"init": {"error": "NVML_ERROR_NO_PERMISSION"}}
    m.torch = cuda_torch(
        note="torch.cuda.is_available() is False: CUDA initialization: CUDA driver "
        "initialization failed, you might not have a CUDA gpu.",
    )
    return m


def nvml_not_supported_fields() -> Machine:
    return nvidia_workstation(
        "nvml_not_supported_fields",
        "GeForce RTX 3090 10de:2204: NVML answers NOT_SUPPORTED for serial, MIG mode, "
        "SM count (nvmlDeviceGetAttributes) and power draw",
        RTX_3090,
        memory_used=1024 * MIB,
        sms=NOT_SUPPORTED,
        clock=1695,
        power_mw=0,
        pcie=(4, 4, 16, 16),
        power_usage_mw=NOT_SUPPORTED,
    )


def nvml_gpu_lost() -> Machine:
    m = workstation(
        "nvml_gpu_lost",
        "2x A10 10de:2236; the second fell off the bus: NVML cannot open it "
        "(GPU_IS_LOST) and torch sees only cuda:0",
    )
    gpu, torch_gpu = add_nvidia_gpu(
        m, A10, "0000:17:00.0", memory_used=4 * MIB, clock=210, power_mw=17000,
        pcie=(4, 4, 16, 16), reasons=0x1,
    )  # fmt: skip
    add_card(m, A10, "0000:65:00.0")
    m.nvml = nvml_ok([gpu, {"index": 1, "error": "NVML_ERROR_GPU_IS_LOST"}])
    m.torch = cuda_torch([torch_gpu])
    return m


def gpu_sw_power_cap() -> Machine:
    return nvidia_workstation(
        "gpu_sw_power_cap",
        "L4 10de:27b8 under load held at 1200 of 2040 MHz by its 72 W power cap "
        "(clock event reason sw_power_cap)",
        L4,
        memory_used=20100 * MIB,
        clock=1200,
        power_mw=71800,
        pcie=(4, 4, 16, 16),
        reasons=0x4,
        utilization=100,
    )


def gpu_pcie_x4_on_x16() -> Machine:
    return nvidia_workstation(
        "gpu_pcie_x4_on_x16",
        "RTX 4090 in a x16 slot whose link trained at x4 (riser cable): PCIe Gen4 x4 of Gen4 x16",
        RTX_4090,
        memory_used=9000 * MIB,
        clock=2520,
        power_mw=260000,
        pcie=(4, 4, 4, 16),
        utilization=61,
    )


def gpu_mig_enabled() -> Machine:
    m = nvidia_workstation(
        "gpu_mig_enabled",
        "A100 SXM4 80GB 10de:20b2 with MIG mode on: torch sees one 1g.10gb instance",
        A100_SXM,
        memory_used=13 * MIB,
        clock=1410,
        power_mw=62000,
        pcie=(4, 4, 16, 16),
        mig=[1, 1],
        utilization=NOT_SUPPORTED,
    )
    # torch sees the slice: a seventh of the SMs, 9.5 GiB.
    (slice_,) = m.torch["devices"][1:]  # type: ignore[index]
    slice_.update(
        name="NVIDIA A100-SXM4-80GB MIG 1g.10gb",
        multiprocessor_count=14,
        total_memory_bytes=9728 * MIB,
    )
    return m


def gpu_busy_other_process() -> Machine:
    return nvidia_workstation(
        "gpu_busy_other_process",
        "H100 PCIe 10de:2331 already running someone else's job: 98% utilization, "
        "41 GiB used by pid 4242",
        H100_PCIE,
        memory_used=42000 * MIB,
        clock=1755,
        power_mw=301000,
        pcie=(5, 5, 16, 16),
        mig=[0, 0],
        utilization=98,
        processes=[{"pid": 4242, "used_memory_bytes": 41 * GIB}],
    )


MACHINES: tuple[Callable[[], Machine], ...] = (
    alder_lake_p_iris_xe,
    rtx_4070_ti_desktop,
    laptop_iris_xe_rtx3060,
    h100_sxm_x8_aspeed,
    ryzen_680m_laptop,
    kvm_epyc_virtio,
    qemu_stdvga_xeon,
    container_2cpu_on_64core,
    apple_m2,
    neoverse_v2_grace,
    nvml_library_not_found,
    nvml_driver_not_loaded,
    nvml_no_permission,
    nvml_not_supported_fields,
    nvml_gpu_lost,
    gpu_sw_power_cap,
    gpu_pcie_x4_on_x16,
    gpu_mig_enabled,
    gpu_busy_other_process,
)


# -- writing -----------------------------------------------------------------------


def write_machine(machine: Machine, destination: Path) -> Path:
    """Write one machine as a snapshot folder named after it under ``destination``."""
    folder = destination / machine.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    manifest = {
        "format": "mfu-advisor-snapshot",
        "version": 1,
        "os": machine.os,
        "created_at": CREATED_AT,
        "tool_version": "0.1.0",
        "python_version": "3.11.7",
        "includes_torch": machine.torch is not None,
        "description": machine.description,
        "hand_written": True,
    }
    _write(folder / "snapshot.json", json.dumps(manifest, indent=1) + "\n")
    for path, text in sorted(machine.files.items()):
        _write(folder / path, text)
    for name, text in sorted(machine.commands.items()):
        _write(folder / "commands" / f"{name}.txt", text)
    if machine.nvml is not None:
        _write(folder / "nvml.json", json.dumps(machine.nvml, indent=1) + "\n")
    if machine.torch is not None:
        _write(folder / "torch.json", json.dumps(machine.torch, indent=1) + "\n")
    return folder


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_all(destination: Path = SNAPSHOTS) -> list[Path]:
    """Write every fixture machine under ``destination``."""
    return [write_machine(make(), destination) for make in MACHINES]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else SNAPSHOTS
    for written in build_all(target):
        print(written)
