"""Builds the recorded-machine fixtures in tests/data/snapshots/ from short descriptions.

Each machine is written as a snapshot folder (docs/snapshot.md) holding only
the files the probe reads, with real values for that hardware (CPUID family
and model, core numbering, cache sizes, PCI IDs, NVML answers). The folders
are committed so they can be read and diffed; ``test_fixture_builder.py``
checks they still equal what this script writes. Regenerate with::

    python tests/probe/snapshot_fixtures.py
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "snapshots"

CREATED_AT = "2026-01-15T12:00:00+00:00"

# -- building blocks -----------------------------------------------------------------


@dataclass
class Machine:
    """One fixture: files under proc/ and sys/, command outputs, library answers."""

    name: str
    description: str
    os: str = "Linux"
    files: dict[str, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    nvml: dict[str, Any] | None = None
    torch: dict[str, Any] | None = None

    def add(self, path: str, text: str) -> None:
        self.files[path] = text if text.endswith("\n") else text + "\n"


def cpu_list(cpus: Iterable[int]) -> str:
    """Kernel list format: [0, 1, 2, 5] -> "0-2,5"."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    start = prev = None
    for cpu in ordered:
        if start is None:
            start = prev = cpu
        elif cpu == prev + 1:
            prev = cpu
        else:
            parts.append(f"{start}-{prev}" if start != prev else f"{start}")
            start = prev = cpu
    if start is not None:
        parts.append(f"{start}-{prev}" if start != prev else f"{start}")
    return ",".join(parts)


@dataclass
class X86Cpu:
    """An x86 package description; ``threads`` maps each logical CPU to (package, core id)."""

    vendor_id: str
    family: int
    model: int
    stepping: int
    model_name: str
    flags: str
    mhz: float
    threads: dict[int, tuple[int, int]]
    cache_kb: int


def x86_cpuinfo(cpu: X86Cpu) -> str:
    per_package: dict[int, int] = {}
    cores_per_package: dict[int, set[int]] = {}
    for package, core in cpu.threads.values():
        per_package[package] = per_package.get(package, 0) + 1
        cores_per_package.setdefault(package, set()).add(core)
    blocks = []
    for number in sorted(cpu.threads):
        package, core = cpu.threads[number]
        blocks.append(
            "\n".join(
                [
                    f"processor\t: {number}",
                    f"vendor_id\t: {cpu.vendor_id}",
                    f"cpu family\t: {cpu.family}",
                    f"model\t\t: {cpu.model}",
                    f"model name\t: {cpu.model_name}",
                    f"stepping\t: {cpu.stepping}",
                    f"cpu MHz\t\t: {cpu.mhz:.3f}",
                    f"cache size\t: {cpu.cache_kb} KB",
                    f"physical id\t: {package}",
                    f"siblings\t: {per_package[package]}",
                    f"core id\t\t: {core}",
                    f"cpu cores\t: {len(cores_per_package[package])}",
                    f"apicid\t\t: {number * 2}",
                    "fpu\t\t: yes",
                    f"flags\t\t: {cpu.flags}",
                    "clflush size\t: 64",
                    "cache_alignment\t: 64",
                    "address sizes\t: 46 bits physical, 57 bits virtual",
                    "power management:",
                ]
            )
        )
    return "\n\n".join(blocks) + "\n\n"


def arm_cpuinfo(
    count: int, implementer: int, part: int, variant: int, revision: int, features: str
) -> str:
    blocks = [
        "\n".join(
            [
                f"processor\t: {n}",
                "BogoMIPS\t: 2000.00",
                f"Features\t: {features}",
                f"CPU implementer\t: 0x{implementer:02x}",
                "CPU architecture: 8",
                f"CPU variant\t: 0x{variant:x}",
                f"CPU part\t: 0x{part:03x}",
                f"CPU revision\t: {revision}",
            ]
        )
        for n in range(count)
    ]
    return "\n\n".join(blocks) + "\n\n"


def add_caches(m: Machine, cpu: int, caches: list[tuple[int, str, str, str]]) -> None:
    """caches: (level, type, size, shared_cpu_list) for cpuN/cache/indexK."""
    for index, (level, kind, size, shared) in enumerate(caches):
        base = f"sys/devices/system/cpu/cpu{cpu}/cache/index{index}"
        m.add(f"{base}/level", str(level))
        m.add(f"{base}/type", kind)
        m.add(f"{base}/size", size)
        m.add(f"{base}/shared_cpu_list", shared)


def add_cpufreq(m: Machine, cpu: int, max_khz: int, base_khz: int | None = None) -> None:
    base = f"sys/devices/system/cpu/cpu{cpu}/cpufreq"
    m.add(f"{base}/cpuinfo_max_freq", str(max_khz))
    if base_khz is not None:
        m.add(f"{base}/base_frequency", str(base_khz))


def add_nodes(m: Machine, count: int) -> None:
    m.add("sys/devices/system/node/online", cpu_list(range(count)))


def add_host(
    m: Machine,
    hostname: str,
    kernel: str,
    mem_total_kb: int,
    mem_avail_kb: int,
    sys_vendor: str | None = None,
) -> None:
    m.add("proc/sys/kernel/hostname", hostname)
    m.add("proc/sys/kernel/osrelease", kernel)
    m.add(
        "proc/meminfo",
        f"MemTotal:       {mem_total_kb} kB\nMemFree:        {mem_avail_kb - 1024} kB\n"
        f"MemAvailable:   {mem_avail_kb} kB\nBuffers:          102400 kB\n",
    )
    if sys_vendor is not None:
        m.add("sys/class/dmi/id/sys_vendor", sys_vendor)


def add_cgroup_v2(
    m: Machine,
    affinity: str,
    path: str = "/",
    cpu_max: str | None = None,
    memory_max: str | None = None,
) -> None:
    """A cgroup v2 host or container; limits are set in the process's own cgroup folder."""
    m.add(
        "proc/self/status",
        f"Name:\tmfu-advisor\nState:\tR (running)\nCpus_allowed:\tffffffff\n"
        f"Cpus_allowed_list:\t{affinity}\nMems_allowed_list:\t0\n",
    )
    m.add("proc/self/cgroup", f"0::{path}")
    m.add(
        "proc/self/mountinfo",
        "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
        "25 22 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw\n"
        "27 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
        "30 27 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
        "rw,nsdelegate,memory_recursiveprot\n",
    )
    folder = "sys/fs/cgroup" + ("" if path == "/" else path)
    if cpu_max is not None:
        m.add(f"{folder}/cpu.max", cpu_max)
    if memory_max is not None:
        m.add(f"{folder}/memory.max", memory_max)


def add_cgroup_v1(m: Machine, affinity: str, quota_us: int = -1, period_us: int = 100000) -> None:
    """cgroup v1 hierarchies, as on this project's KVM development guest."""
    m.add(
        "proc/self/status",
        f"Name:\tmfu-advisor\nCpus_allowed_list:\t{affinity}\n",
    )
    m.add(
        "proc/self/cgroup",
        "9:name=systemd:/\n8:pids:/\n4:memory:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/",
    )
    m.add(
        "proc/self/mountinfo",
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
    )
    m.add("sys/fs/cgroup/cpu/cpu.cfs_quota_us", str(quota_us))
    m.add("sys/fs/cgroup/cpu/cpu.cfs_period_us", str(period_us))
    m.add("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712")


def add_pci(
    m: Machine,
    address: str,
    vendor: int,
    device: int,
    class_code: int,
    subsystem: tuple[int, int] | None = None,
    driver: str | None = None,
) -> None:
    base = f"sys/bus/pci/devices/{address}"
    m.add(f"{base}/vendor", f"0x{vendor:04x}")
    m.add(f"{base}/device", f"0x{device:04x}")
    m.add(f"{base}/class", f"0x{class_code:06x}")
    sub_vendor, sub_device = subsystem or (vendor, device)
    m.add(f"{base}/subsystem_vendor", f"0x{sub_vendor:04x}")
    m.add(f"{base}/subsystem_device", f"0x{sub_device:04x}")
    lines = [f"DRIVER={driver}"] if driver else []
    lines += [
        f"PCI_CLASS={class_code:X}",
        f"PCI_ID={vendor:04X}:{device:04X}",
        f"PCI_SUBSYS_ID={sub_vendor:04X}:{sub_device:04X}",
        f"PCI_SLOT_NAME={address}",
    ]
    m.add(f"{base}/uevent", "\n".join(lines))


# -- library answers -----------------------------------------------------------------

MKL_CONFIG = (
    "PyTorch built with:\n  - GCC 11.2\n  - C++ Version: 201703\n"
    "  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605 for Intel(R)"
    " 64 architecture applications\n"
    "  - Intel(R) MKL-DNN v3.5.3 (Git Hash 66f0cb9eb66affd2da3bf5f8d897376f04aae6af)\n"
    "  - OpenMP 201511 (a.k.a. OpenMP 4.5)\n  - LAPACK is enabled (usually provided by MKL)\n"
    "  - CPU capability usage: {capability}\n"
    "  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, CUDA_VERSION={cuda}, "
    "LAPACK_INFO=mkl, TORCH_VERSION={version}, USE_CUDA={use_cuda}, USE_MKL=ON, USE_MKLDNN=ON, "
    "USE_OPENMP=ON, USE_ROCM=OFF, \n"
)

OPENBLAS_ARM_CONFIG = (
    "PyTorch built with:\n  - GCC 11.2\n  - C++ Version: 201703\n"
    "  - Intel(R) MKL-DNN v3.5.3 (Git Hash 66f0cb9eb66affd2da3bf5f8d897376f04aae6af)\n"
    "  - OpenMP 201511 (a.k.a. OpenMP 4.5)\n  - LAPACK is enabled (usually provided by MKL)\n"
    "  - CPU capability usage: {capability}\n"
    "  - Build settings: BLAS_INFO=open, BUILD_TYPE=Release, LAPACK_INFO=open, "
    "TORCH_VERSION={version}, USE_CUDA={use_cuda}, USE_MKLDNN=ON, USE_OPENMP=ON, \n"
)

ACCELERATE_CONFIG = (
    "PyTorch built with:\n  - GCC 4.2\n  - C++ Version: 201703\n  - clang 14.0.3\n"
    "  - LAPACK is enabled (usually provided by MKL)\n  - NNPACK is enabled\n"
    "  - CPU capability usage: NO AVX\n"
    "  - Build settings: BLAS_INFO=accelerate, BUILD_TYPE=Release, LAPACK_INFO=accelerate, "
    "TORCH_VERSION=2.5.1, USE_CUDA=OFF, USE_MKLDNN=OFF, USE_MPS=ON, USE_OPENMP=OFF, \n"
)

COMPILE_READY = {
    "cxx_compiler": "/usr/bin/g++",
    "python_headers": True,
    "triton": False,
    "platform": "linux",
}


def torch_answers(
    version: str,
    *,
    num_threads: int,
    capability: str,
    cuda: str | None = None,
    gpus: list[dict[str, Any]] | None = None,
    note: str = "",
    config: str = MKL_CONFIG,
    compile_: dict[str, Any] | None = None,
) -> dict[str, Any]:
    devices: list[dict[str, Any]] = [{"device": "cpu", "name": "cpu"}]
    devices += gpus or []
    answers: dict[str, Any] = {
        "version": version,
        "cuda_version": cuda,
        "hip_version": None,
        "xpu_version": None,
        "num_threads": num_threads,
        "config": config.format(
            capability=capability,
            cuda=cuda or "",
            version=version.split("+")[0],
            use_cuda="ON" if cuda else "OFF",
        ),
        "cpu_capability": capability,
        "mps": {"built": False, "available": False},
        "devices": devices,
        "accelerator_note": note,
        "compile": dict(COMPILE_READY if compile_ is None else compile_),
    }
    if cuda:
        answers["arch_list"] = ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"]
        answers["compile"]["triton"] = True
    return answers


def cuda_device(index: int, name: str, bus: str, cc: str, sms: int, memory: int) -> dict[str, Any]:
    return {
        "device": f"cuda:{index}",
        "name": name,
        "pci_bus_id": bus,
        "compute_capability": cc,
        "multiprocessor_count": sms,
        "total_memory_bytes": memory,
    }


NOT_SUPPORTED = {"error": "NVML_ERROR_NOT_SUPPORTED"}


def nvml_device(
    index: int,
    bus: str,
    pci_device_id: int,
    name: str,
    *,
    memory_total: int,
    memory_used: int,
    cc: tuple[int, int],
    sms: Any,
    max_clock: int,
    clock: int,
    power_limit_mw: int,
    power_mw: int,
    pcie: tuple[int, int, int, int],
    reasons: int = 0,
    mig: Any = NOT_SUPPORTED,
    utilization: int = 0,
    processes: list[dict[str, Any]] | None = None,
    serial: Any = None,
    **overrides: Any,
) -> dict[str, Any]:
    device: dict[str, Any] = {
        "index": index,
        "pci_bus_id": bus,
        "pci_device_id": (pci_device_id << 16) | 0x10DE,
        "name": name,
        "uuid": f"GPU-{index:08x}-1111-2222-3333-{pci_device_id:012x}",
        "serial": serial if serial is not None else f"165{pci_device_id:04d}{index:05d}",
        "memory_total_bytes": memory_total,
        "memory_used_bytes": memory_used,
        "cuda_compute_capability": list(cc),
        "multiprocessor_count": sms,
        "max_sm_clock_mhz": max_clock,
        "sm_clock_mhz": clock,
        "power_limit_mw": power_limit_mw,
        "power_usage_mw": power_mw,
        "pcie_gen": pcie[0],
        "pcie_gen_max": pcie[1],
        "pcie_width": pcie[2],
        "pcie_width_max": pcie[3],
        "clock_event_reasons": reasons,
        "mig_mode": mig,
        "utilization_gpu_percent": utilization,
        "compute_processes": processes or [],
    }
    device.update(overrides)
    return device


def nvml_ok(
    devices: list[dict[str, Any]], driver: str = "550.54.15", cuda: int = 12040
) -> dict[str, Any]:
    return {"init": "ok", "driver_version": driver, "cuda_driver_version": cuda, "devices": devices}


GIB = 2**30
MIB = 2**20


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
    add_caches(
        m,
        0,
        [
            (1, "Data", "48K", "0-1"),
            (1, "Instruction", "32K", "0-1"),
            (2, "Unified", "1280K", "0-1"),
            (3, "Unified", l3, f"0-{total - 1}"),
        ],
    )
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
    m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    m.add("sys/devices/system/cpu/online", f"0-{2 * cores - 1}")
    add_caches(
        m,
        0,
        [
            (1, "Data", "32K", f"0,{cores}"),
            (1, "Instruction", "32K", f"0,{cores}"),
            (2, "Unified", "1024K" if family == 25 and model >= 0x60 else "512K", f"0,{cores}"),
            (3, "Unified", l3, f"0-{2 * cores - 1}"),
        ],
    )
    add_cpufreq(m, 0, max_khz)
    add_nodes(m, 1)


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
    m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    m.add("sys/devices/system/cpu/online", "0-15")
    add_caches(
        m,
        0,
        [
            (1, "Data", "32K", "0,8"),
            (1, "Instruction", "32K", "0,8"),
            (2, "Unified", "1024K", "0,8"),
            (3, "Unified", "16896K", "0-15"),
        ],
    )
    add_cpufreq(m, 0, 4700000, 3900000)
    add_nodes(m, 1)


def workstation(name: str, description: str) -> Machine:
    m = Machine(name, description)
    workstation_cpu(m)
    add_host(m, "ws-lab-3", "6.8.0-49-generic", 131_587_264, 120_000_000, "Dell Inc.")
    add_cgroup_v2(m, "0-15", "/user.slice/user-1000.slice/session-4.scope", "max 100000", "max")
    add_pci(m, "0000:00:00.0", 0x8086, 0x2020, 0x060000, driver=None)
    return m


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
    add_cgroup_v2(m, "0-15", "/user.slice/user-1000.slice/session-2.scope", "max 100000", "max")
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
    add_cgroup_v2(m, "0-15", "/user.slice/user-1000.slice/session-2.scope", "max 100000", "max")
    add_pci(m, "0000:01:00.0", 0x10DE, 0x2782, 0x030000, (0x1462, 0x5130), driver="nvidia")
    add_pci(m, "0000:01:00.1", 0x10DE, 0x22BC, 0x040300, (0x1462, 0x5130), driver="snd_hda_intel")
    m.nvml = nvml_ok(
        [
            nvml_device(
                0,
                "00000000:01:00.0",
                0x2782,
                "NVIDIA GeForce RTX 4070 Ti",
                memory_total=12282 * MIB,
                memory_used=412 * MIB,
                cc=(8, 9),
                sms=60,
                max_clock=3105,
                clock=210,
                power_limit_mw=285000,
                power_mw=12000,
                pcie=(1, 4, 16, 16),
                reasons=0x1,
                serial=NOT_SUPPORTED,
                processes=[],
            ),
        ]
    )
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
        gpus=[cuda_device(0, "NVIDIA GeForce RTX 4070 Ti", "0000:01:00.0", "8.9", 60, 12282 * MIB)],
    )
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
    add_cgroup_v2(m, "0-19", "/user.slice/user-1000.slice/session-2.scope", "max 100000", "max")
    add_pci(m, "0000:00:02.0", 0x8086, 0x46A6, 0x030000, (0x17AA, 0x3A4B), driver="i915")
    add_pci(m, "0000:01:00.0", 0x10DE, 0x2560, 0x030200, (0x17AA, 0x3A4B), driver="nvidia")
    m.nvml = nvml_ok(
        [
            nvml_device(
                0,
                "00000000:01:00.0",
                0x2560,
                "NVIDIA GeForce RTX 3060 Laptop GPU",
                memory_total=6144 * MIB,
                memory_used=8 * MIB,
                cc=(8, 6),
                sms=30,
                max_clock=2100,
                clock=1320,
                power_limit_mw=115000,
                power_mw=17000,
                pcie=(4, 4, 8, 16),
                reasons=0,
                serial=NOT_SUPPORTED,
            ),
        ]
    )
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=14,
        capability="AVX2",
        cuda="12.4",
        gpus=[
            cuda_device(
                0, "NVIDIA GeForce RTX 3060 Laptop GPU", "0000:01:00.0", "8.6", 30, 6144 * MIB
            )
        ],
    )
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
    m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    m.add("sys/devices/system/cpu/online", "0-223")
    add_caches(
        m,
        0,
        [
            (1, "Data", "48K", "0,112"),
            (1, "Instruction", "32K", "0,112"),
            (2, "Unified", "2048K", "0,112"),
            (3, "Unified", "107520K", "0-55,112-167"),
        ],
    )
    add_cpufreq(m, 0, 3800000, 2000000)
    add_nodes(m, 2)
    add_host(m, "dgx-h100-07", "5.15.0-1053-nvidia", 2_113_515_040, 2_050_000_000, "NVIDIA")
    add_cgroup_v2(m, "0-223", "/user.slice/user-1001.slice/session-9.scope", "max 100000", "max")
    add_pci(m, "0000:03:00.0", 0x1A03, 0x2000, 0x030000, (0x1A03, 0x2000), driver="ast")
    m.add(
        "usr/share/hwdata/pci.ids",
        "# Excerpt of the PCI ID Repository (https://pci-ids.ucw.cz/)\n"
        "10de  NVIDIA Corporation\n\t2330  GH100 [H100 SXM5 80GB]\n"
        "1a03  ASPEED Technology, Inc.\n\t2000  ASPEED Graphics Family\n",
    )
    devices, torch_gpus = [], []
    for index, bus in enumerate(H100_BUSES):
        address = f"0000:{bus}:00.0"
        add_pci(m, address, 0x10DE, 0x2330, 0x030200, (0x10DE, 0x16C1), driver="nvidia")
        devices.append(
            nvml_device(
                index,
                f"00000000:{bus.upper()}:00.0",
                0x2330,
                "NVIDIA H100 80GB HBM3",
                memory_total=81559 * MIB,
                memory_used=4 * MIB,
                cc=(9, 0),
                sms=132,
                max_clock=1980,
                clock=345,
                power_limit_mw=700000,
                power_mw=71000,
                pcie=(5, 5, 16, 16),
                reasons=0x1,
                mig=[0, 0],
            )
        )
        torch_gpus.append(
            cuda_device(index, "NVIDIA H100 80GB HBM3", address, "9.0", 132, 81559 * MIB)
        )
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
    add_cgroup_v2(m, "0-15", "/user.slice/user-1000.slice/session-2.scope", "max 100000", "max")
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
    m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    m.add("sys/devices/system/cpu/online", "0-3")
    add_caches(
        m,
        0,
        [
            (1, "Data", "32K", "0"),
            (1, "Instruction", "32K", "0"),
            (2, "Unified", "512K", "0"),
            (3, "Unified", "32768K", "0-3"),
        ],
    )
    add_nodes(m, 1)
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
    m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    m.add("sys/devices/system/cpu/online", "0-7")
    add_caches(
        m,
        0,
        [
            (1, "Data", "32K", "0"),
            (1, "Instruction", "32K", "0"),
            (2, "Unified", "4096K", "0"),
            (3, "Unified", "16384K", "0"),
        ],
    )
    add_nodes(m, 1)
    add_host(m, "guest", "5.15.0-122-generic", 16_393_000, 15_100_000, "QEMU")
    add_cgroup_v2(m, "0-7", "/user.slice/user-1000.slice/session-1.scope", "max 100000", "max")
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
    m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    m.add("sys/devices/system/cpu/online", "0-127")
    add_caches(
        m,
        0,
        [
            (1, "Data", "32K", "0,64"),
            (1, "Instruction", "32K", "0,64"),
            (2, "Unified", "512K", "0,64"),
            (3, "Unified", "32768K", "0-7,64-71"),
        ],
    )
    add_cpufreq(m, 0, 3529052)
    add_nodes(m, 1)
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
    add_caches(
        m,
        0,
        [
            (1, "Data", "64K", "0"),
            (1, "Instruction", "64K", "0"),
            (2, "Unified", "1024K", "0"),
            (3, "Unified", "116736K", "0-71"),
        ],
    )
    add_cpufreq(m, 0, 3456000)
    add_nodes(m, 1)
    add_host(m, "grace-01", "6.5.0-1019-nvidia-64k", 494_000_000, 480_000_000, "NVIDIA")
    add_cgroup_v2(m, "0-71", "/user.slice/user-1000.slice/session-3.scope", "max 100000", "max")
    add_pci(m, "0009:01:00.0", 0x1A03, 0x2000, 0x030000, driver="ast")
    m.torch = torch_answers(
        "2.5.1", num_threads=72, capability="SVE256", config=OPENBLAS_ARM_CONFIG
    )
    return m


# -- NVML failing, and GPU states for issue 5's rules ----------------------------------


def nvml_library_not_found() -> Machine:
    m = workstation(
        "nvml_library_not_found",
        "RTX 4090 10de:2684 present but no NVIDIA driver installed: libnvidia-ml "
        "missing; CPU build of torch",
    )
    add_pci(m, "0000:65:00.0", 0x10DE, 0x2684, 0x030000, (0x10DE, 0x167C), driver=None)
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
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
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
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
        note="torch.cuda.is_available() is False: CUDA initialization: CUDA driver "
        "initialization failed, you might not have a CUDA gpu.",
    )
    return m


def nvml_not_supported_fields() -> Machine:
    m = workstation(
        "nvml_not_supported_fields",
        "GeForce RTX 3090 10de:2204: NVML answers NOT_SUPPORTED for serial, MIG mode, "
        "SM count (nvmlDeviceGetAttributes) and power draw",
    )
    add_pci(m, "0000:65:00.0", 0x10DE, 0x2204, 0x030000, (0x1043, 0x87B3), driver="nvidia")
    m.nvml = nvml_ok(
        [
            nvml_device(
                0,
                "00000000:65:00.0",
                0x2204,
                "NVIDIA GeForce RTX 3090",
                memory_total=24576 * MIB,
                memory_used=1024 * MIB,
                cc=(8, 6),
                sms=NOT_SUPPORTED,
                max_clock=2100,
                clock=1695,
                power_limit_mw=350000,
                power_mw=0,
                pcie=(4, 4, 16, 16),
                serial=NOT_SUPPORTED,
                power_usage_mw=NOT_SUPPORTED,
            ),
        ]
    )
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
        gpus=[cuda_device(0, "NVIDIA GeForce RTX 3090", "0000:65:00.0", "8.6", 82, 24576 * MIB)],
    )
    return m


def nvml_gpu_lost() -> Machine:
    m = workstation(
        "nvml_gpu_lost",
        "2x A10 10de:2236; the second fell off the bus: NVML cannot open it "
        "(GPU_IS_LOST) and torch sees only cuda:0",
    )
    add_pci(m, "0000:17:00.0", 0x10DE, 0x2236, 0x030200, (0x10DE, 0x1482), driver="nvidia")
    add_pci(m, "0000:65:00.0", 0x10DE, 0x2236, 0x030200, (0x10DE, 0x1482), driver="nvidia")
    m.nvml = nvml_ok(
        [
            nvml_device(
                0,
                "00000000:17:00.0",
                0x2236,
                "NVIDIA A10",
                memory_total=23028 * MIB,
                memory_used=4 * MIB,
                cc=(8, 6),
                sms=72,
                max_clock=1695,
                clock=210,
                power_limit_mw=150000,
                power_mw=17000,
                pcie=(4, 4, 16, 16),
                reasons=0x1,
                mig=NOT_SUPPORTED,
            ),
            {"index": 1, "error": "NVML_ERROR_GPU_IS_LOST"},
        ]
    )
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
        gpus=[cuda_device(0, "NVIDIA A10", "0000:17:00.0", "8.6", 72, 23028 * MIB)],
    )
    return m


def gpu_sw_power_cap() -> Machine:
    m = workstation(
        "gpu_sw_power_cap",
        "L4 10de:27b8 under load held at 1200 of 2040 MHz by its 72 W power cap "
        "(clock event reason sw_power_cap)",
    )
    add_pci(m, "0000:65:00.0", 0x10DE, 0x27B8, 0x030200, (0x10DE, 0x16CA), driver="nvidia")
    m.nvml = nvml_ok(
        [
            nvml_device(
                0,
                "00000000:65:00.0",
                0x27B8,
                "NVIDIA L4",
                memory_total=23034 * MIB,
                memory_used=20100 * MIB,
                cc=(8, 9),
                sms=58,
                max_clock=2040,
                clock=1200,
                power_limit_mw=72000,
                power_mw=71800,
                pcie=(4, 4, 16, 16),
                reasons=0x4,
                mig=NOT_SUPPORTED,
                utilization=100,
            ),
        ]
    )
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
        gpus=[cuda_device(0, "NVIDIA L4", "0000:65:00.0", "8.9", 58, 23034 * MIB)],
    )
    return m


def gpu_pcie_x4_on_x16() -> Machine:
    m = workstation(
        "gpu_pcie_x4_on_x16",
        "RTX 4090 in a x16 slot whose link trained at x4 (riser cable): PCIe Gen4 x4 of Gen4 x16",
    )
    add_pci(m, "0000:65:00.0", 0x10DE, 0x2684, 0x030000, (0x10DE, 0x167C), driver="nvidia")
    m.nvml = nvml_ok(
        [
            nvml_device(
                0,
                "00000000:65:00.0",
                0x2684,
                "NVIDIA GeForce RTX 4090",
                memory_total=24564 * MIB,
                memory_used=9000 * MIB,
                cc=(8, 9),
                sms=128,
                max_clock=3120,
                clock=2520,
                power_limit_mw=450000,
                power_mw=260000,
                pcie=(4, 4, 4, 16),
                reasons=0,
                serial=NOT_SUPPORTED,
                utilization=61,
            ),
        ]
    )
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
        gpus=[cuda_device(0, "NVIDIA GeForce RTX 4090", "0000:65:00.0", "8.9", 128, 24564 * MIB)],
    )
    return m


def gpu_mig_enabled() -> Machine:
    m = workstation(
        "gpu_mig_enabled",
        "A100 SXM4 80GB 10de:20b2 with MIG mode on: torch sees one 1g.10gb instance",
    )
    add_pci(m, "0000:65:00.0", 0x10DE, 0x20B2, 0x030200, (0x10DE, 0x1463), driver="nvidia")
    m.nvml = nvml_ok(
        [
            nvml_device(
                0,
                "00000000:65:00.0",
                0x20B2,
                "NVIDIA A100-SXM4-80GB",
                memory_total=81920 * MIB,
                memory_used=13 * MIB,
                cc=(8, 0),
                sms=108,
                max_clock=1410,
                clock=1410,
                power_limit_mw=400000,
                power_mw=62000,
                pcie=(4, 4, 16, 16),
                reasons=0,
                mig=[1, 1],
                utilization=NOT_SUPPORTED,
            ),
        ]
    )
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
        gpus=[
            cuda_device(
                0, "NVIDIA A100-SXM4-80GB MIG 1g.10gb", "0000:65:00.0", "8.0", 14, 9728 * MIB
            )
        ],
    )
    return m


def gpu_busy_other_process() -> Machine:
    m = workstation(
        "gpu_busy_other_process",
        "H100 PCIe 10de:2331 already running someone else's job: 98% utilization, "
        "41 GiB used by pid 4242",
    )
    add_pci(m, "0000:65:00.0", 0x10DE, 0x2331, 0x030200, (0x10DE, 0x1626), driver="nvidia")
    m.nvml = nvml_ok(
        [
            nvml_device(
                0,
                "00000000:65:00.0",
                0x2331,
                "NVIDIA H100 PCIe",
                memory_total=81559 * MIB,
                memory_used=42000 * MIB,
                cc=(9, 0),
                sms=114,
                max_clock=1755,
                clock=1755,
                power_limit_mw=350000,
                power_mw=301000,
                pcie=(5, 5, 16, 16),
                reasons=0,
                mig=[0, 0],
                utilization=98,
                processes=[{"pid": 4242, "used_memory_bytes": 41 * GIB}],
            ),
        ]
    )
    m.torch = torch_answers(
        "2.5.1+cu124",
        num_threads=8,
        capability="AVX512",
        cuda="12.4",
        gpus=[cuda_device(0, "NVIDIA H100 PCIe", "0000:65:00.0", "9.0", 114, 81559 * MIB)],
    )
    return m


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
