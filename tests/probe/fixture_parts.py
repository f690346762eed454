"""Building blocks for the recorded-machine fixtures (snapshot_fixtures.py).

Writers for the files the probe reads (``/proc/cpuinfo`` blocks, sysfs
caches, cgroups, PCI functions) and for the recorded library answers (torch,
NVML), each from a machine's distinguishing numbers. The file formats are the
kernel's (docs/probe.md names the sources); the answer shapes are those of
docs/snapshot.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# -- machine files -------------------------------------------------------------------


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


#: One cache level as sysfs shows it: (level, type, size, shared_cpu_list).
Cache = tuple[int, str, str, str]


def add_caches(m: Machine, cpu: int, caches: list[Cache]) -> None:
    """caches: (level, type, size, shared_cpu_list) for cpuN/cache/indexK."""
    for index, (level, kind, size, shared) in enumerate(caches):
        base = f"sys/devices/system/cpu/cpu{cpu}/cache/index{index}"
        m.add(f"{base}/level", str(level))
        m.add(f"{base}/type", kind)
        m.add(f"{base}/size", size)
        m.add(f"{base}/shared_cpu_list", shared)


def core_caches(core: str, l1d: str, l1i: str, l2: str, l3: str, llc: str) -> list[Cache]:
    """L1d, L1i and L2 shared by the CPUs in ``core``; L3 shared by those in ``llc``."""
    return [
        (1, "Data", l1d, core),
        (1, "Instruction", l1i, core),
        (2, "Unified", l2, core),
        (3, "Unified", l3, llc),
    ]


def add_cpufreq(m: Machine, cpu: int, max_khz: int, base_khz: int | None = None) -> None:
    base = f"sys/devices/system/cpu/cpu{cpu}/cpufreq"
    m.add(f"{base}/cpuinfo_max_freq", str(max_khz))
    if base_khz is not None:
        m.add(f"{base}/base_frequency", str(base_khz))


def add_nodes(m: Machine, count: int) -> None:
    m.add("sys/devices/system/node/online", cpu_list(range(count)))


def add_x86(
    m: Machine,
    cpu: X86Cpu,
    caches: list[Cache],
    *,
    max_khz: int | None = None,
    base_khz: int | None = None,
    nodes: int = 1,
) -> None:
    """A non-hybrid x86 machine's CPU files: cpuinfo, online CPUs, cpu0's caches and
    cpufreq (``max_khz`` None: no cpufreq, as in a VM), NUMA nodes."""
    m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    m.add("sys/devices/system/cpu/online", f"0-{len(cpu.threads) - 1}")
    add_caches(m, 0, caches)
    if max_khz is not None:
        add_cpufreq(m, 0, max_khz, base_khz)
    add_nodes(m, nodes)


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


def add_login_session(m: Machine, affinity: str, *, session: int = 2, uid: int = 1000) -> None:
    """A desktop or server login on cgroup v2: systemd's session scope, no CPU or memory limit."""
    scope = f"/user.slice/user-{uid}.slice/session-{session}.scope"
    add_cgroup_v2(m, affinity, scope, "max 100000", "max")


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


def cuda_torch(
    gpus: list[dict[str, Any]] | None = None,
    *,
    note: str = "",
    num_threads: int = 8,
    capability: str = "AVX512",
) -> dict[str, Any]:
    """torch 2.5.1 built for CUDA 12.4, seeing ``gpus``; ``note`` is its warning if it sees none."""
    return torch_answers(
        "2.5.1+cu124",
        num_threads=num_threads,
        capability=capability,
        cuda="12.4",
        gpus=gpus,
        note=note,
    )


@dataclass(frozen=True)
class NvidiaCard:
    """An NVIDIA product as the PCI bus, NVML and torch see it."""

    device_id: int
    subsystem: tuple[int, int]
    """Board vendor and board ID (PCI subsystem)."""
    name: str
    """NVML's and torch's name."""
    cc: tuple[int, int]
    sms: int
    memory_mib: int
    max_clock_mhz: int
    power_limit_mw: int
    class_code: int = 0x030200
    """3D controller (data center, most laptops); GeForce desktop cards are VGA, 0x030000."""
    serial: Any = None
    """NVML's answer for the serial: None derives one; GeForce cards answer NOT_SUPPORTED."""


def add_card(m: Machine, card: NvidiaCard, address: str, driver: str | None = "nvidia") -> None:
    """Put ``card`` on the PCI bus at ``address`` ("0000:65:00.0")."""
    add_pci(m, address, 0x10DE, card.device_id, card.class_code, card.subsystem, driver=driver)


def add_nvidia_gpu(
    m: Machine, card: NvidiaCard, address: str, *, index: int = 0, **state: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Put ``card`` on the bus; return its NVML answers and the torch device for it.

    ``state`` is what NVML says now (memory_used, clock, power_mw, pcie, reasons,
    mig, utilization, processes; any other answer by its nvml.json name).
    """
    add_card(m, card, address)
    memory = card.memory_mib * MIB
    state.setdefault("serial", card.serial)
    nvml = nvml_device(
        index,
        "0000" + address.upper(),  # NVML: 8-digit domain, upper-case hex
        card.device_id,
        card.name,
        memory_total=memory,
        cc=card.cc,
        sms=state.pop("sms", card.sms),
        max_clock=card.max_clock_mhz,
        power_limit_mw=card.power_limit_mw,
        **state,
    )
    cc = f"{card.cc[0]}.{card.cc[1]}"
    return nvml, cuda_device(index, card.name, address, cc, card.sms, memory)
