"""Hardware that ``analyze --hardware NAME`` knows besides NVIDIA GPUs: CPUs and Apple GPUs.

CPU core counts and maximum clocks come from the vendor's spec page for the
model; Apple publishes neither CPU nor GPU clocks, so those cite the
measurements they come from. Peaks are computed from these rows by
:mod:`~mfu_advisor.probe.catalog` with :func:`~mfu_advisor.probe.cpu_peaks.cpu_peaks`.
"""

from __future__ import annotations

from dataclasses import dataclass

from mfu_advisor.probe.cpu_peaks_data import APPLE_CLOCK_SOURCE
from mfu_advisor.probe.cpu_peaks_data import APPLE_CORE_CLOCKS_MHZ as _APPLE_CLOCKS


@dataclass(frozen=True)
class CoreGroup:
    """Identical cores of one kind in a CPU model."""

    kind: str
    """"performance", "efficiency" or "low-power efficiency"."""
    cores: int
    microarchitecture: str
    max_clock_mhz: float


@dataclass(frozen=True)
class CpuModel:
    """A CPU model number and its cores."""

    name: str
    forms: tuple[frozenset[str], ...]
    """Token sets that identify it; any one must be in the user's name."""
    vendor: str
    microarchitecture: str
    groups: tuple[CoreGroup, ...]
    isa: tuple[str, ...]
    """Canonical ISA names (as probe/cpuinfo.py reports them) that decide the peaks."""
    source: str


@dataclass(frozen=True)
class AppleGpuModel:
    """An Apple silicon GPU configuration."""

    name: str
    forms: tuple[frozenset[str], ...]
    gpu_cores: int
    clock_mhz: float
    source: str


def _forms(*forms: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(form.split()) for form in forms)


def _gpu_forms(chip: str) -> tuple[frozenset[str], ...]:
    """ "m2 pro" and "m2 pro gpu": macOS brand strings name the chip, users may add "GPU"."""
    return _forms(chip, f"{chip} gpu")


def _ark(model: str) -> str:
    return (
        f"Intel ARK, Intel Core {model} specifications (ark.intel.com): core counts, "
        "performance-core and efficient-core max turbo frequencies"
    )


def _amd(model: str) -> str:
    return f"AMD product page, {model} specifications (amd.com/en/products): cores, max boost"


_ADL_ISA = ("avx", "fma", "avx2", "avx_vnni")
_ZEN2_ISA = ("avx", "fma", "avx2")
_ZEN3_ISA = ("avx", "fma", "avx2")
_ZEN4_ISA = ("avx", "fma", "avx2", "avx512f", "avx512_vnni", "avx512_bf16")
_SPR_ISA = (
    "avx",
    "fma",
    "avx2",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
)
_P, _E, _LPE = "performance", "efficiency", "low-power efficiency"

_APPLE_BF16_ISA = ("asimd", "asimdhp", "bf16", "i8mm")


def _apple_cpu(chip: str, p_core: str, e_core: str, isa: tuple[str, ...]) -> CpuModel:
    """The base chip's CPU: 4 performance + 4 efficiency cores (Apple newsroom announcements)."""
    return CpuModel(
        f"{chip} CPU",
        _forms(f"{chip.split()[-1].lower()} cpu"),
        "Apple",
        chip,
        (
            CoreGroup(_P, 4, p_core, _APPLE_CLOCKS[p_core]),
            CoreGroup(_E, 4, e_core, _APPLE_CLOCKS[e_core]),
        ),
        isa,
        f"{chip} announcement on the Apple newsroom (4 performance + 4 efficiency cores); "
        f"clocks: {APPLE_CLOCK_SOURCE}",
    )


CPU_MODELS: tuple[CpuModel, ...] = (
    CpuModel(
        "Intel Core i7-1260P",
        _forms("1260p"),
        "Intel",
        "Alder Lake",
        (CoreGroup(_P, 4, "Golden Cove", 4700), CoreGroup(_E, 8, "Gracemont", 3400)),
        _ADL_ISA,
        _ark("i7-1260P"),
    ),
    CpuModel(
        "Intel Core i5-1240P",
        _forms("1240p"),
        "Intel",
        "Alder Lake",
        (CoreGroup(_P, 4, "Golden Cove", 4400), CoreGroup(_E, 8, "Gracemont", 3300)),
        _ADL_ISA,
        _ark("i5-1240P"),
    ),
    CpuModel(
        "Intel Core i7-1165G7",
        _forms("1165g7"),
        "Intel",
        "Tiger Lake",
        (CoreGroup(_P, 4, "Willow Cove", 4700),),
        ("avx", "fma", "avx2", "avx512f", "avx512_vnni"),
        _ark("i7-1165G7"),
    ),
    CpuModel(
        "Intel Core i5-1135G7",
        _forms("1135g7"),
        "Intel",
        "Tiger Lake",
        (CoreGroup(_P, 4, "Willow Cove", 4200),),
        ("avx", "fma", "avx2", "avx512f", "avx512_vnni"),
        _ark("i5-1135G7"),
    ),
    CpuModel(
        "Intel Core i7-8550U",
        _forms("8550u"),
        "Intel",
        "Kaby Lake R",
        (CoreGroup(_P, 4, "Kaby Lake/Coffee Lake", 4000),),
        ("avx", "fma", "avx2"),
        _ark("i7-8550U"),
    ),
    CpuModel(
        "Intel Core i7-8700K",
        _forms("8700k"),
        "Intel",
        "Coffee Lake",
        (CoreGroup(_P, 6, "Kaby Lake/Coffee Lake", 4700),),
        ("avx", "fma", "avx2"),
        _ark("i7-8700K"),
    ),
    CpuModel(
        "Intel Xeon Gold 6248",
        _forms("gold 6248"),
        "Intel",
        "Cascade Lake",
        (CoreGroup(_P, 20, "Skylake-SP/Cascade Lake", 3900),),
        ("avx", "fma", "avx2", "avx512f", "avx512_vnni"),
        "Intel ARK, Intel Xeon Gold 6248 specifications (ark.intel.com): 20 cores, max turbo "
        "3.9 GHz (base 2.5 GHz); two AVX-512 FMA units",
    ),
    CpuModel(
        "Intel Core i7-12700K",
        _forms("12700k"),
        "Intel",
        "Alder Lake",
        (CoreGroup(_P, 8, "Golden Cove", 4900), CoreGroup(_E, 4, "Gracemont", 3800)),
        _ADL_ISA,
        _ark("i7-12700K"),
    ),
    CpuModel(
        "Intel Core i9-13900K",
        _forms("13900k"),
        "Intel",
        "Raptor Lake",
        (CoreGroup(_P, 8, "Raptor Cove", 5400), CoreGroup(_E, 16, "Gracemont", 4300)),
        _ADL_ISA,
        _ark("i9-13900K") + " (Thermal Velocity Boost reaches 5.8 GHz on 2 cores)",
    ),
    CpuModel(
        "Intel Core i7-13700H",
        _forms("13700h"),
        "Intel",
        "Raptor Lake",
        (CoreGroup(_P, 6, "Raptor Cove", 5000), CoreGroup(_E, 8, "Gracemont", 3700)),
        _ADL_ISA,
        _ark("i7-13700H"),
    ),
    CpuModel(
        "Intel Core Ultra 7 155H",
        _forms("155h", "ultra 155h"),
        "Intel",
        "Meteor Lake",
        (
            CoreGroup(_P, 6, "Redwood Cove", 4800),
            CoreGroup(_E, 8, "Crestmont", 3800),
            CoreGroup(_LPE, 2, "Crestmont", 2500),
        ),
        _ADL_ISA,
        _ark("Ultra 7 155H") + ", low-power E-core max frequency",
    ),
    CpuModel(
        "Intel Xeon Platinum 8480+",
        _forms("8480+"),
        "Intel",
        "Sapphire Rapids",
        (CoreGroup(_P, 56, "Sapphire Rapids", 3800),),
        _SPR_ISA,
        "Intel ARK, Intel Xeon Platinum 8480+ specifications (ark.intel.com): 56 cores, "
        "max turbo 3.8 GHz (all-core turbo 3.0 GHz)",
    ),
    CpuModel(
        "AMD Ryzen 7 5800X",
        _forms("5800x"),
        "AMD",
        "Zen 3",
        (CoreGroup(_P, 8, "Zen 3", 4700),),
        _ZEN3_ISA,
        _amd("Ryzen 7 5800X"),
    ),
    CpuModel(
        "AMD Ryzen 9 5950X",
        _forms("5950x"),
        "AMD",
        "Zen 3",
        (CoreGroup(_P, 16, "Zen 3", 4900),),
        _ZEN3_ISA,
        _amd("Ryzen 9 5950X") + " (base 3.4 GHz)",
    ),
    CpuModel(
        "AMD Ryzen 7 4800U",
        _forms("4800u"),
        "AMD",
        "Zen 2",
        (CoreGroup(_P, 8, "Zen 2", 4200),),
        _ZEN2_ISA,
        _amd("Ryzen 7 4800U") + " (base 1.8 GHz)",
    ),
    CpuModel(
        "AMD Ryzen 9 7950X",
        _forms("7950x"),
        "AMD",
        "Zen 4",
        (CoreGroup(_P, 16, "Zen 4", 5700),),
        _ZEN4_ISA,
        _amd("Ryzen 9 7950X"),
    ),
    CpuModel(
        "AMD Ryzen 7 6800U",
        _forms("6800u"),
        "AMD",
        "Zen 3+",
        (CoreGroup(_P, 8, "Zen 3+", 4700),),
        _ZEN3_ISA,
        _amd("Ryzen 7 6800U"),
    ),
    CpuModel(
        "AMD Ryzen 7 7840U",
        _forms("7840u"),
        "AMD",
        "Zen 4",
        (CoreGroup(_P, 8, "Zen 4", 5100),),
        _ZEN4_ISA,
        _amd("Ryzen 7 7840U"),
    ),
    CpuModel(
        "AMD EPYC 7763",
        _forms("epyc 7763"),
        "AMD",
        "Zen 3",
        (CoreGroup(_P, 64, "Zen 3", 3500),),
        _ZEN3_ISA,
        _amd("EPYC 7763") + " (base 2.45 GHz)",
    ),
    CpuModel(
        "AMD EPYC 7742",
        _forms("epyc 7742"),
        "AMD",
        "Zen 2",
        (CoreGroup(_P, 64, "Zen 2", 3400),),
        _ZEN2_ISA,
        _amd("EPYC 7742") + " (base 2.25 GHz)",
    ),
    CpuModel(
        "AMD EPYC 7702",
        _forms("epyc 7702"),
        "AMD",
        "Zen 2",
        (CoreGroup(_P, 64, "Zen 2", 3350),),
        _ZEN2_ISA,
        _amd("EPYC 7702") + " (base 2.0 GHz)",
    ),
    CpuModel(
        "AMD EPYC 7542",
        _forms("epyc 7542"),
        "AMD",
        "Zen 2",
        (CoreGroup(_P, 32, "Zen 2", 3400),),
        _ZEN2_ISA,
        _amd("EPYC 7542") + " (base 2.9 GHz)",
    ),
    CpuModel(
        "AMD EPYC 7713",
        _forms("epyc 7713"),
        "AMD",
        "Zen 3",
        (CoreGroup(_P, 64, "Zen 3", 3675),),
        _ZEN3_ISA,
        _amd("EPYC 7713") + " (base 2.0 GHz)",
    ),
    CpuModel(
        "AMD EPYC 7543",
        _forms("epyc 7543"),
        "AMD",
        "Zen 3",
        (CoreGroup(_P, 32, "Zen 3", 3700),),
        _ZEN3_ISA,
        _amd("EPYC 7543") + " (base 2.8 GHz)",
    ),
    CpuModel(
        "AMD EPYC 9554",
        _forms("epyc 9554"),
        "AMD",
        "Zen 4",
        (CoreGroup(_P, 64, "Zen 4", 3750),),
        _ZEN4_ISA,
        _amd("EPYC 9554") + " (base 3.1 GHz)",
    ),
    CpuModel(
        "AMD EPYC 9654",
        _forms("epyc 9654"),
        "AMD",
        "Zen 4",
        (CoreGroup(_P, 96, "Zen 4", 3700),),
        _ZEN4_ISA,
        _amd("EPYC 9654") + " (all-core boost 3.55 GHz)",
    ),
    CpuModel(
        "AWS Graviton2",
        _forms("graviton2", "graviton 2"),
        "ARM",
        "Neoverse N1",
        (CoreGroup(_P, 64, "Neoverse N1", 2500),),
        ("asimd", "asimdhp"),
        "AWS Graviton processor page (aws.amazon.com/ec2/graviton): 64 Neoverse N1 "
        "cores at 2.5 GHz",
    ),
    CpuModel(
        "AWS Graviton3",
        _forms("graviton3", "graviton 3"),
        "ARM",
        "Neoverse V1",
        (CoreGroup(_P, 64, "Neoverse V1", 2600),),
        ("asimd", "asimdhp", "sve", "bf16", "i8mm"),
        "AWS Graviton processor page (aws.amazon.com/ec2/graviton): 64 Neoverse V1 "
        "cores at 2.6 GHz, bf16 support",
    ),
    CpuModel(
        "AWS Graviton4",
        _forms("graviton4", "graviton 4"),
        "ARM",
        "Neoverse V2",
        (CoreGroup(_P, 96, "Neoverse V2", 2800),),
        ("asimd", "asimdhp", "sve", "sve2", "bf16", "i8mm"),
        "AWS Graviton processor page (aws.amazon.com/ec2/graviton): 96 Neoverse V2 "
        "cores at 2.8 GHz",
    ),
    _apple_cpu("Apple M1", "Apple M1 Firestorm", "Apple M1 Icestorm", ("asimd", "asimdhp")),
    _apple_cpu("Apple M2", "Apple M2 Avalanche", "Apple M2 Blizzard", _APPLE_BF16_ISA),
    _apple_cpu("Apple M3", "Apple M3 P-core", "Apple M3 E-core", _APPLE_BF16_ISA),
)

_APPLE_M1_M2 = (
    "core count: Apple newsroom announcement of the chip; GPU clock: Philip Turner, "
    "metal-benchmarks (github.com/philipturner/metal-benchmarks), table 'Overview of "
    "Apple-designed GPUs'"
)
_APPLE_M3_M4 = (
    "core count: Apple newsroom announcement of the chip; Apple publishes no GPU clock or "
    "TFLOPS for M3/M4: the clock is a third-party figure (TechPowerUp/hmc-tech GPU "
    "databases), treat as +-10%"
)

APPLE_GPUS: tuple[AppleGpuModel, ...] = (
    AppleGpuModel(
        "Apple M1", _gpu_forms("m1"), 8, 1278, _APPLE_M1_M2 + "; Apple quotes 2.6 TFLOPS"
    ),
    AppleGpuModel("Apple M1 Pro", _gpu_forms("m1 pro"), 16, 1296, _APPLE_M1_M2),
    AppleGpuModel("Apple M1 Max", _gpu_forms("m1 max"), 32, 1296, _APPLE_M1_M2),
    AppleGpuModel("Apple M2", _gpu_forms("m2"), 10, 1398, _APPLE_M1_M2),
    AppleGpuModel("Apple M2 Pro", _gpu_forms("m2 pro"), 19, 1398, _APPLE_M1_M2),
    AppleGpuModel("Apple M2 Max", _gpu_forms("m2 max"), 38, 1398, _APPLE_M1_M2),
    AppleGpuModel("Apple M3", _gpu_forms("m3"), 10, 1398, _APPLE_M3_M4),
    AppleGpuModel("Apple M3 Pro", _gpu_forms("m3 pro"), 18, 1398, _APPLE_M3_M4),
    AppleGpuModel("Apple M3 Max", _gpu_forms("m3 max"), 40, 1398, _APPLE_M3_M4),
    AppleGpuModel("Apple M4", _gpu_forms("m4"), 10, 1470, _APPLE_M3_M4),
    AppleGpuModel(
        "Apple M4 Pro",
        _gpu_forms("m4 pro"),
        20,
        1470,
        _APPLE_M3_M4 + "; the M4's clock is assumed for the Pro",
    ),
    AppleGpuModel(
        "Apple M4 Max",
        _gpu_forms("m4 max"),
        40,
        1470,
        _APPLE_M3_M4 + "; the M4's clock is assumed for the Max",
    ),
)
