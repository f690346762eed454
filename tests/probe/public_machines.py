"""Twelve machines rebuilt from public dumps (tests/data/public_machines/PROVENANCE.md).

The CPU of each comes from an ``lscpu`` output of the Linux Hardware Project
(linuxhw/LsCPU), turned into the ``/proc/cpuinfo`` and sysfs files the kernel
would show; GPUs come from recorded ``nvidia-smi -q`` dumps (smi_dumps.py) or,
for integrated and AMD GPUs, the PCI IDs those parts have (Linux pciids.h,
libdrm amdgpu.ids). Nothing here is read from the probe's own tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixture_parts import (
    Machine,
    X86Cpu,
    add_cgroup_v2,
    add_cpufreq,
    add_host,
    add_login_session,
    add_nodes,
    add_pci,
    arm_cpuinfo,
    cuda_device,
    torch_answers,
    x86_cpuinfo,
)
from smi_dumps import COMPUTE_CAPABILITY, DumpNvml, parse_dump

DUMPS = Path(__file__).resolve().parents[1] / "data" / "public_machines"


def read_lscpu(name: str) -> dict[str, str]:
    """``Key: value`` lines of a recorded lscpu output."""
    out: dict[str, str] = {}
    for line in (DUMPS / f"{name}.txt").read_text().splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def add_lscpu_cpu(m: Machine, name: str, *, acpi_boost: bool = False) -> dict[str, str]:
    """The CPU files of a machine whose ``lscpu`` output is ``name``.

    Logical CPUs are numbered as Linux does on x86: every core's first thread,
    socket by socket, then the SMT siblings. ``acpi_boost``: the machine runs
    acpi-cpufreq with boost on (an AMD part whose lscpu "CPU max MHz" is its
    base clock and whose flags carry ``cpb``), so the scaling driver and the
    global boost file are written as that driver shows them.
    """
    info = read_lscpu(name)
    sockets = int(info["Socket(s)"])
    cores = int(info["Core(s) per socket"])
    threads = int(info["Thread(s) per core"])
    total = int(info["CPU(s)"])
    assert total == sockets * cores * threads, name
    if info["Architecture"] == "aarch64":
        part = {"Cortex-A72": 0xD08}[info["Model name"]]
        variant, revision = re.fullmatch(r"r(\d+)p(\d+)", info["Stepping"]).groups()  # type: ignore[union-attr]
        m.add(
            "proc/cpuinfo",
            arm_cpuinfo(total, 0x41, part, int(variant), int(revision), info["Flags"]),
        )
        for cpu in range(total):  # arm64 cpuinfo has no core ids: sysfs topology has them
            topology = f"sys/devices/system/cpu/cpu{cpu}/topology"
            m.add(f"{topology}/thread_siblings_list", str(cpu))
            m.add(f"{topology}/physical_package_id", "0")
    else:
        mapping = {
            t * sockets * cores + s * cores + c: (s, c)
            for t in range(threads)
            for s in range(sockets)
            for c in range(cores)
        }
        cpu = X86Cpu(
            info["Vendor ID"],
            int(info["CPU family"]),
            int(info["Model"]),
            int(info.get("Stepping", "0")),
            info["Model name"],
            info["Flags"],
            float(info.get("CPU MHz", "0") or 0),
            mapping,
            512,
        )
        m.add("proc/cpuinfo", x86_cpuinfo(cpu))
    m.add("sys/devices/system/cpu/online", f"0-{total - 1}")
    if "CPU max MHz" in info:
        add_cpufreq(m, 0, int(float(info["CPU max MHz"]) * 1000))
    if acpi_boost:
        assert "cpb" in info["Flags"].split(), name
        m.add("sys/devices/system/cpu/cpu0/cpufreq/scaling_driver", "acpi-cpufreq")
        m.add("sys/devices/system/cpu/cpufreq/boost", "1")
    add_nodes(m, int(info.get("NUMA node(s)", "1")))
    return info


def add_recorded_gpus(m: Machine, dump_name: str, skip: int = 0) -> list[dict[str, Any]]:
    """NVIDIA GPUs of a recorded nvidia-smi dump: PCI functions, NVML answers, torch devices."""
    import sys

    from mfu_advisor.probe.nvml import collect_nvml_answers

    dump = parse_dump(dump_name)
    fake = DumpNvml(dump)
    saved = sys.modules.get("pynvml")
    sys.modules["pynvml"] = fake
    try:
        m.nvml = collect_nvml_answers()
    finally:
        if saved is None:
            sys.modules.pop("pynvml", None)
        else:
            sys.modules["pynvml"] = saved
    devices = []
    for index, gpu in enumerate(dump.gpus):
        address = gpu.bus_id.lower()[-12:]
        base = int(gpu.fields.get("PCI.Base Classcode", "0x3"), 16)
        sub = int(gpu.fields.get("PCI.Sub Classcode", "0x0"), 16)
        add_pci(
            m, address, 0x10DE, gpu.device_id, (base << 16) | (sub << 8), gpu.subsystem, "nvidia"
        )
        cc = COMPUTE_CAPABILITY[gpu.device_id]
        memory = int((gpu.number("FB Memory Usage.Total") or 0) * 2**20)
        devices.append(
            cuda_device(
                index + skip, gpu.name, address, f"{cc[0]}.{cc[1]}", SMS[gpu.device_id], memory
            )
        )
    return devices


#: SMs torch reports per NVIDIA device ID (CUDA cores / cores per SM, NVIDIA spec pages).
SMS: dict[int, int] = {
    0x1DB1: 80,
    0x20B2: 108,
    0x2204: 82,
    0x26B1: 142,
    0x27B8: 58,
    0x2803: 34,
}


@dataclass(frozen=True)
class Expected:
    """What a correct probe says about one machine."""

    model: str
    logical: int
    physical: int
    sockets: int
    cpu_fp32_tflops: float
    """cores x fp32 FLOP/cycle x max boost, from the vendor's figures (see each machine)."""
    gpus: tuple[tuple[str, str, float | None], ...] = ()
    """(name, dtype, dense TFLOP/s from the datasheet; None: must be unknown with a reason)."""
    usable_cpus: int | None = None


def _host(m: Machine, cpus: int) -> None:
    add_host(m, m.name.replace("_", "-"), "5.15.0-91-generic", 64_000_000, 60_000_000)
    add_login_session(m, f"0-{cpus - 1}")


def epyc_7742_server() -> tuple[Machine, Expected]:
    """Two EPYC 7742 (64 Zen 2 cores each, SMT off); acpi-cpufreq shows the 2.25 GHz base."""
    m = Machine("public_epyc_7742_x2", "2x AMD EPYC 7742, CPU-only server (linuxhw/LsCPU)")
    add_lscpu_cpu(m, "epyc_7742_x2", acpi_boost=True)
    _host(m, 128)
    m.torch = torch_answers("2.13.0+cpu", num_threads=128, capability="AVX2")
    # 128 cores x 32 fp32 FLOP/cycle (Zen 2: 2x256-bit FMA) x 3.4 GHz (AMD: max boost 3.4 GHz)
    return m, Expected("AMD EPYC 7742 64-Core Processor", 128, 128, 2, 128 * 32 * 3.4e-3)


def epyc_7702_a100_server() -> tuple[Machine, Expected]:
    m = Machine("public_epyc_7702_a100x4", "2x EPYC 7702 + 4x A100 SXM4 80GB (HGX A100 4-GPU)")
    add_lscpu_cpu(m, "epyc_7702", acpi_boost=True)
    _host(m, 256)
    gpus = add_recorded_gpus(m, "A100SXMx4")
    m.torch = torch_answers(
        "2.13.0+cu128", num_threads=128, capability="AVX2", cuda="12.8", gpus=gpus
    )
    # 128 cores x 32 x 3.35 GHz (AMD: EPYC 7702 max boost 3.35 GHz)
    gpu = ("NVIDIA A100-SXM4-80GB", "bf16", 312.0)  # A100 datasheet
    return m, Expected(
        "AMD EPYC 7702 64-Core Processor", 256, 128, 2, 128 * 32 * 3.35e-3, (gpu,) * 4
    )


def raspberry_pi_4() -> tuple[Machine, Expected]:
    m = Machine("public_rpi4_cortex_a72", "Raspberry Pi 4: 4x Cortex-A72 at 1.5 GHz (aarch64)")
    add_lscpu_cpu(m, "cortex_a72_rpi4")
    _host(m, 4)
    m.torch = torch_answers("2.13.0", num_threads=4, capability="NO AVX")
    # 4 cores x 8 fp32 FLOP/cycle (one 128-bit FMLA per cycle: Cortex-A72 SWOG) x 1.5 GHz
    return m, Expected("ARM Cortex-A72", 4, 4, 1, 4 * 8 * 1.5e-3)


def _intel_laptop(
    name: str, lscpu: str, igpu: int, cores: int, flop: int, ghz: float, gpu: tuple[Any, ...]
) -> tuple[Machine, Expected]:
    m = Machine(name, f"Laptop: {lscpu} with its integrated GPU 8086:{igpu:04x}")
    info = add_lscpu_cpu(m, lscpu)
    _host(m, int(info["CPU(s)"]))
    add_pci(m, "0000:00:02.0", 0x8086, igpu, 0x030000, driver="i915")
    m.torch = torch_answers("2.13.0+cpu", num_threads=4, capability="AVX2")
    return m, Expected(
        info["Model name"], int(info["CPU(s)"]), cores, 1, cores * flop * ghz * 1e-3, (gpu,)
    )


def i7_1165g7_laptop() -> tuple[Machine, Expected]:
    # Willow Cove: one 512-bit FMA unit (32 fp32 FLOP/cycle); ARK: max turbo 4.7 GHz.
    # Iris Xe (96 EUs, 1.3 GHz on the i7-1165G7, ARK): 96 x 16 x 1.3 GHz = 2.0 TFLOP/s.
    return _intel_laptop(
        "public_i7_1165g7_iris_xe",
        "core_i7_1165g7",
        0x9A49,
        4,
        32,
        4.7,
        ("Intel Iris Xe Graphics", "fp32", 96 * 16 * 1.3e-3),
    )


def i5_1135g7_laptop() -> tuple[Machine, Expected]:
    # The same device ID with 80 EUs in an i5 (ARK: i5-1135G7, 80 EUs, 1.3 GHz).
    return _intel_laptop(
        "public_i5_1135g7_iris_xe",
        "core_i5_1135g7",
        0x9A49,
        4,
        32,
        4.2,
        ("Intel Iris Xe Graphics", "fp32", 80 * 16 * 1.3e-3),
    )


def i7_8550u_laptop() -> tuple[Machine, Expected]:
    # Kaby Lake R: 2x256-bit FMA (32 FLOP/cycle), ARK max turbo 4.0 GHz; UHD 620: 24 EUs at
    # 1.15 GHz (ARK).
    return _intel_laptop(
        "public_i7_8550u_uhd620",
        "core_i7_8550u",
        0x5917,
        4,
        32,
        4.0,
        ("Intel UHD Graphics 620", "fp32", 24 * 16 * 1.15e-3),
    )


def ryzen_4800u_laptop() -> tuple[Machine, Expected]:
    m = Machine("public_ryzen_4800u_vega8", "Laptop: Ryzen 7 4800U (Renoir) with Radeon Vega 8")
    add_lscpu_cpu(m, "ryzen_7_4800u", acpi_boost=True)
    _host(m, 16)
    add_pci(m, "0000:04:00.0", 0x1002, 0x1636, 0x030000, driver="amdgpu")
    m.torch = torch_answers("2.13.0+cpu", num_threads=8, capability="AVX2")
    # 8 Zen 2 cores x 32 x 4.2 GHz (AMD: max boost 4.2 GHz; lscpu shows the 1.8 GHz base).
    # Vega 8: 8 CUs x 128 x 1.75 GHz (AMD: 4800U graphics frequency 1750 MHz).
    gpu = ("AMD Radeon Vega 8 (Renoir)", "fp32", 8 * 128 * 1.75e-3)
    return m, Expected("AMD Ryzen 7 4800U with Radeon Graphics", 16, 8, 1, 8 * 32 * 4.2e-3, (gpu,))


def ryzen_5950x_rtx3090() -> tuple[Machine, Expected]:
    m = Machine("public_ryzen_5950x_rtx3090x2", "Workstation: Ryzen 9 5950X + 2x RTX 3090")
    add_lscpu_cpu(m, "ryzen_9_5950x")  # the dump has no cpufreq maximum
    _host(m, 32)
    gpus = add_recorded_gpus(m, "RTX3090")
    m.torch = torch_answers(
        "2.13.0+cu128", num_threads=16, capability="AVX2", cuda="12.8", gpus=gpus
    )
    # 16 Zen 3 cores x 32 x 4.9 GHz (AMD: max boost 4.9 GHz)
    gpu = ("NVIDIA GeForce RTX 3090", "bf16", 71.0)  # GA102 whitepaper, fp32 accumulate
    return m, Expected(
        "AMD Ryzen 9 5950X 16-Core Processor", 32, 16, 1, 16 * 32 * 4.9e-3, (gpu, gpu)
    )


def ryzen_5950x_rx7900xtx() -> tuple[Machine, Expected]:
    m = Machine("public_ryzen_5950x_rx7900xtx", "Desktop: Ryzen 9 5950X + Radeon RX 7900 XTX")
    add_lscpu_cpu(m, "ryzen_9_5950x")
    _host(m, 32)
    # Navi 31 [1002:744c]; revision c8 is the RX 7900 XTX (libdrm data/amdgpu.ids).
    add_pci(m, "0000:03:00.0", 0x1002, 0x744C, 0x030000, (0x1002, 0x0E3B), "amdgpu")
    m.add("sys/bus/pci/devices/0000:03:00.0/revision", "0xc8")
    m.torch = torch_answers("2.13.0+cpu", num_threads=16, capability="AVX2")
    gpu = ("AMD Radeon RX 7900 XTX", "fp32", 61.4)  # AMD spec page: 61.4 TFLOPS fp32
    return m, Expected("AMD Ryzen 9 5950X 16-Core Processor", 32, 16, 1, 16 * 32 * 4.9e-3, (gpu,))


def i7_8700k_rtx4060ti() -> tuple[Machine, Expected]:
    m = Machine("public_i7_8700k_rtx4060tix2", "Desktop: i7-8700K, UHD 630, 2x RTX 4060 Ti")
    add_lscpu_cpu(m, "core_i7_8700k")
    _host(m, 12)
    add_pci(m, "0000:00:02.0", 0x8086, 0x3E92, 0x030000, driver="i915")
    gpus = add_recorded_gpus(m, "RTX4060Ti")
    m.torch = torch_answers(
        "2.13.0+cu128", num_threads=6, capability="AVX2", cuda="12.8", gpus=gpus
    )
    # 6 cores x 32 x 4.7 GHz (ARK); UHD 630: 24 EUs x 16 x 1.2 GHz (ARK: i7-8700K)
    igpu = ("Intel UHD Graphics 630", "fp32", 24 * 16 * 1.2e-3)
    # RTX 4060 Ti: 4352 CUDA cores x 2 x 2.535 GHz (NVIDIA spec page) = 22.06 TFLOP/s
    gpu = ("NVIDIA GeForce RTX 4060 Ti", "fp32", 4352 * 2 * 2.535e-3)
    return m, Expected(
        "Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz", 12, 6, 1, 6 * 32 * 4.7e-3, (igpu, gpu, gpu)
    )


def xeon_6248_v100x8() -> tuple[Machine, Expected]:
    m = Machine(
        "public_xeon_6248_v100x8",
        "Xeon Gold 6248 + 8x V100 SXM2 16GB; the V100s sit at 00:04.0-00:0b.0 as in the "
        "recorded dump (a VM's pass-through layout)",
    )
    add_lscpu_cpu(m, "xeon_6248")
    _host(m, 40)
    gpus = add_recorded_gpus(m, "V100_x8")
    m.torch = torch_answers(
        "2.13.0+cu128", num_threads=20, capability="AVX512", cuda="12.8", gpus=gpus
    )
    # 20 cores x 64 (two AVX-512 FMA units) x 3.9 GHz (ARK: max turbo)
    gpu = ("Tesla V100-SXM2-16GB", "fp16", 125.0)  # V100 datasheet
    return m, Expected(
        "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz",
        40,
        20,
        1,
        20 * 64 * 3.9e-3,
        (gpu,) * 8,
    )


def xeon_8171m_rtx6000ada() -> tuple[Machine, Expected]:
    m = Machine("public_xeon_8171m_rtx6000adax8", "2x Xeon Platinum 8171M + 8x RTX 6000 Ada")
    add_lscpu_cpu(m, "xeon_8171m")
    _host(m, 104)
    gpus = add_recorded_gpus(m, "RTX6000Ada_x8")
    m.torch = torch_answers(
        "2.13.0+cu128", num_threads=52, capability="AVX512", cuda="12.8", gpus=gpus
    )
    # 52 cores x 64 x 3.8 GHz (cpufreq's max turbo; Intel publishes no page for this SKU)
    gpu = ("NVIDIA RTX 6000 Ada Generation", "fp32", 91.1)  # RTX 6000 Ada datasheet
    return m, Expected(
        "Intel(R) Xeon(R) Platinum 8171M CPU @ 2.60GHz", 104, 52, 2, 52 * 64 * 3.8e-3, (gpu,) * 8
    )


def container_on_epyc_7702_l4() -> tuple[Machine, Expected]:
    m = Machine("public_container_epyc_7702_l4", "Container: --cpus=4 on 2x EPYC 7702, one L4")
    add_lscpu_cpu(m, "epyc_7702", acpi_boost=True)
    add_host(m, "9c1e2f0a7b3d", "5.15.0-91-generic", 512_000_000, 480_000_000)
    add_cgroup_v2(m, "0-255", "/", "400000 100000", "34359738368")
    gpus = add_recorded_gpus(m, "L4")
    m.torch = torch_answers(
        "2.13.0+cu128", num_threads=4, capability="AVX2", cuda="12.8", gpus=gpus
    )
    # The peak counts the CPUs the container may keep busy: 4 x 32 x 3.35 GHz.
    gpu = ("NVIDIA L4", "bf16", 121.0)  # L4 datasheet: 242* sparse
    return m, Expected(
        "AMD EPYC 7702 64-Core Processor", 256, 128, 2, 4 * 32 * 3.35e-3, (gpu,), usable_cpus=4
    )


MACHINES: tuple[Callable[[], tuple[Machine, Expected]], ...] = (
    epyc_7742_server,
    epyc_7702_a100_server,
    raspberry_pi_4,
    i7_1165g7_laptop,
    i5_1135g7_laptop,
    i7_8550u_laptop,
    ryzen_4800u_laptop,
    ryzen_5950x_rtx3090,
    ryzen_5950x_rx7900xtx,
    i7_8700k_rtx4060ti,
    xeon_6248_v100x8,
    xeon_8171m_rtx6000ada,
    container_on_epyc_7702_l4,
)
