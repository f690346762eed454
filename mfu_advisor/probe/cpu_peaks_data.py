"""Per-core floating-point throughput of CPU microarchitectures (fp32 FLOP per cycle).

FLOP per cycle = FMA units x fp32 lanes per unit x 2 (a fused multiply-add is
two FLOPs). The unit counts and widths come from the vendors' optimization
manuals, Agner Fog's microarchitecture guide
(https://www.agner.org/optimize/microarchitecture.pdf) and WikiChip
(https://en.wikichip.org/); each entry names its source. Package names that
:func:`~mfu_advisor.probe.cpu_uarch.x86_microarchitecture` returns for
non-hybrid parts are keys too, so both "Zen 3" and "Golden Cove" resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class CoreRate:
    """Peak fp32 throughput of one core."""

    fma_units: int
    """FMA pipes that can each start one vector FMA per cycle."""
    vector_bits: int
    """Width of one FMA unit's datapath, in bits."""
    source: str
    """Where the unit count and width come from."""
    note: str = ""

    @property
    def fp32_flops_per_cycle(self) -> int:
        """fma_units x (vector_bits / 32) lanes x 2 FLOPs per FMA."""
        return self.fma_units * (self.vector_bits // 32) * 2


_INTEL_OPT = (
    "Intel 64 and IA-32 Architectures Optimization Reference Manual "
    "(https://www.intel.com/content/www/us/en/developer/articles/technical/"
    "intel-sdm.html#optimization)"
)
_AMD_ZEN_OPT = "AMD Software Optimization Guide for the family's processors (developer.amd.com)"
_AGNER = "Agner Fog, The microarchitecture of Intel, AMD and VIA CPUs, chapter on the core"
_ARM_SWOG = "Arm Software Optimization Guide for the core (developer.arm.com)"
_APPLE = (
    "Dougall Johnson's Firestorm/Icestorm measurements (https://dougallj.github.io/"
    "applecpu/firestorm.html) and AnandTech's Apple M1 deep dive (4x128-bit FP pipes per "
    "P-core)"
)

_SANDY_BRIDGE = CoreRate(
    1,
    256,
    f"{_AGNER}: Sandy Bridge and Ivy Bridge have no FMA; one 256-bit add + one 256-bit "
    "multiply per cycle, counted as one FMA unit",
)
_ATOM_NO_FMA = CoreRate(
    1, 128, f"{_AGNER}: Goldmont, Goldmont Plus and Tremont, no FMA; counted as one 128-bit unit"
)
_SKYLAKE = CoreRate(2, 256, f"{_INTEL_OPT}; {_AGNER}: two 256-bit FMA units (ports 0, 1)")
_ICELAKE_CLIENT = CoreRate(
    1,
    512,
    f"{_INTEL_OPT}: one 512-bit FMA (ports 0+1 fused) on client parts",
    note="same as 2 x 256-bit for AVX2 code",
)
_SERVER_2X512 = CoreRate(2, 512, f"{_INTEL_OPT}: 512-bit FMA on ports 0+1 and port 5")
_GOLDEN_COVE_CLIENT = CoreRate(
    2, 256, f"{_INTEL_OPT}: Golden Cove client cores, AVX-512 fused off; two 256-bit FMA"
)
_GRACEMONT = CoreRate(2, 128, f"{_INTEL_OPT}; {_AGNER}: Gracemont, two 128-bit FMA pipes")
_SKYMONT = CoreRate(
    4,
    128,
    "Intel Lunar Lake / Arrow Lake architecture briefing (Hot Chips "
    "2024): Skymont, four 128-bit FP pipes with FMA",
)
_ZEN1 = CoreRate(2, 128, f"{_AMD_ZEN_OPT} (family 17h); {_AGNER}: two 128-bit FMA pipes")
_ZEN2 = CoreRate(2, 256, f"{_AMD_ZEN_OPT} (family 17h models 30h+); {_AGNER}: two 256-bit FMA")
_ZEN3 = CoreRate(
    2, 256, f"{_AMD_ZEN_OPT} (family 19h models 00h-0Fh and 20h-5Fh); {_AGNER}: two 256-bit FMA"
)
_ZEN4 = CoreRate(
    2,
    256,
    f"{_AMD_ZEN_OPT} (family 19h models 10h+): AVX-512 on 256-bit units",
    note="512-bit operations are double-pumped, so AVX-512 does not raise the peak",
)
_ZEN5 = CoreRate(2, 512, f"{_AMD_ZEN_OPT} (family 1Ah): full 512-bit datapath, two FMA pipes")
_ZEN5_MOBILE = CoreRate(
    2, 256, f"{_AMD_ZEN_OPT} (family 1Ah): Strix/Krackan Point keep a 256-bit datapath"
)
_NEON_2X128 = CoreRate(2, 128, f"{_ARM_SWOG}: two 128-bit FP/ASIMD pipes with FMA")
_NEON_4X128 = CoreRate(4, 128, f"{_ARM_SWOG}: four 128-bit FP/ASIMD pipes with FMA")
_APPLE_P = CoreRate(4, 128, _APPLE)
_APPLE_E = CoreRate(2, 128, _APPLE, note="E-core width is the commonly reported one; estimate")

#: Microarchitecture (core or package name) -> per-core fp32 rate.
CORE_RATES: Mapping[str, CoreRate] = MappingProxyType(
    {
        # Intel, big cores
        "Sandy Bridge": _SANDY_BRIDGE,
        "Ivy Bridge": _SANDY_BRIDGE,
        "Sandy Bridge-EP": _SANDY_BRIDGE,
        "Ivy Bridge-EP": _SANDY_BRIDGE,
        "Haswell": _SKYLAKE,
        "Haswell-EP": _SKYLAKE,
        "Broadwell": _SKYLAKE,
        "Broadwell-EP": _SKYLAKE,
        "Broadwell-DE": _SKYLAKE,
        "Skylake": _SKYLAKE,
        "Kaby Lake/Coffee Lake": _SKYLAKE,
        "Comet Lake": _SKYLAKE,
        "Skylake-SP/Cascade Lake": CoreRate(
            2,
            512,
            f"{_INTEL_OPT}: Xeon Gold 6xxx/Platinum 8xxx have two 512-bit FMA units",
            note="Xeon Bronze/Silver/Gold 5xxx have one: half this peak",
        ),
        "Cannon Lake": _ICELAKE_CLIENT,
        "Ice Lake": _ICELAKE_CLIENT,
        "Tiger Lake": _ICELAKE_CLIENT,
        "Willow Cove": _ICELAKE_CLIENT,
        "Sunny Cove": _ICELAKE_CLIENT,
        "Rocket Lake": _ICELAKE_CLIENT,
        "Ice Lake-SP": _SERVER_2X512,
        "Ice Lake-D": _SERVER_2X512,
        "Sapphire Rapids": _SERVER_2X512,
        "Emerald Rapids": _SERVER_2X512,
        "Granite Rapids": _SERVER_2X512,
        "Granite Rapids-D": _SERVER_2X512,
        "Knights Landing": _SERVER_2X512,
        "Knights Mill": _SERVER_2X512,
        "Golden Cove": _GOLDEN_COVE_CLIENT,
        "Raptor Cove": _GOLDEN_COVE_CLIENT,
        "Bartlett Lake": _GOLDEN_COVE_CLIENT,
        "Redwood Cove": _GOLDEN_COVE_CLIENT,
        "Lion Cove": _GOLDEN_COVE_CLIENT,
        "Cougar Cove": _GOLDEN_COVE_CLIENT,
        # Intel, hybrid packages resolve to their P-cores
        "Alder Lake": _GOLDEN_COVE_CLIENT,
        "Raptor Lake": _GOLDEN_COVE_CLIENT,
        "Meteor Lake": _GOLDEN_COVE_CLIENT,
        "Arrow Lake": _GOLDEN_COVE_CLIENT,
        "Lunar Lake": _GOLDEN_COVE_CLIENT,
        "Panther Lake": _GOLDEN_COVE_CLIENT,
        # Intel, E-cores and Atom
        "Gracemont": _GRACEMONT,
        "Crestmont": _GRACEMONT,
        "Alder Lake-N": _GRACEMONT,
        "Sierra Forest": _GRACEMONT,
        "Grand Ridge": _GRACEMONT,
        "Skymont": _SKYMONT,
        "Darkmont": _SKYMONT,
        "Clearwater Forest": _SKYMONT,
        "Lakefield": _ICELAKE_CLIENT,
        "Goldmont": _ATOM_NO_FMA,
        "Goldmont Plus": _ATOM_NO_FMA,
        "Tremont": _ATOM_NO_FMA,
        # AMD
        "Zen": _ZEN1,
        "Zen+": _ZEN1,
        "Dhyana (Zen)": _ZEN1,
        "Zen 2": _ZEN2,
        "Zen 3": _ZEN3,
        "Zen 3+": _ZEN3,
        "Zen 4": _ZEN4,
        "Zen 5": _ZEN5,
        "Zen 5 (256-bit FPU)": _ZEN5_MOBILE,
        # ARM
        "Cortex-A53": CoreRate(
            1, 64, f"{_ARM_SWOG}: 64-bit ASIMD datapath, a 128-bit FMA every other cycle"
        ),
        "Cortex-A35": CoreRate(1, 64, f"{_ARM_SWOG}: 64-bit ASIMD datapath"),
        "ThunderX2": CoreRate(2, 128, "Marvell ThunderX2 (Vulcan) core: two 128-bit FMA pipes"),
        "Cortex-A55": CoreRate(
            1, 128, f"{_ARM_SWOG}: one 128-bit ASIMD FMA per cycle (dual-issued 64-bit halves)"
        ),
        # Two 64-bit-wide FP/ASIMD pipes (F0, F1): a Q-form (128-bit) FMLA occupies
        # both, throughput 1 per cycle (Cortex-A72 Software Optimization Guide, ARM
        # UAN 0016A, section 3.15 "ASIMD floating-point instructions"; the same as the
        # Cortex-A57's, UAN 0015B). Public BLAS results on the Raspberry Pi 4 (4x A72
        # at 1.5 GHz) reach about 8 fp32 FLOP per cycle per core, not 16.
        "Cortex-A72": CoreRate(
            1,
            128,
            "Arm Cortex-A72 Software Optimization Guide (UAN 0016A), 3.15: ASIMD FMLA "
            "Q-form throughput 1/cycle on F0+F1 (two 64-bit pipes)",
        ),
        "Cortex-A57": CoreRate(
            1,
            128,
            "Arm Cortex-A57 Software Optimization Guide (UAN 0015B), 3.15: ASIMD FMLA "
            "Q-form throughput 1/cycle on F0+F1 (two 64-bit pipes)",
        ),
        "Cortex-A76": _NEON_2X128,
        "Cortex-A77": _NEON_2X128,
        "Cortex-A78": _NEON_2X128,
        "Cortex-A710": _NEON_2X128,
        "Cortex-A715": _NEON_2X128,
        "Cortex-A720": _NEON_2X128,
        "Neoverse N1": _NEON_2X128,
        "Neoverse N2": CoreRate(2, 128, f"{_ARM_SWOG} (Neoverse N2): two 128-bit SVE2 pipes"),
        "Neoverse N3": _NEON_2X128,
        "Neoverse V1": CoreRate(
            2,
            256,
            f"{_ARM_SWOG} (Neoverse V1): two 256-bit SVE pipes",
            note="4 x 128-bit for NEON code, same peak",
        ),
        "Neoverse V2": CoreRate(4, 128, f"{_ARM_SWOG} (Neoverse V2): four 128-bit SVE2 pipes"),
        "Neoverse V3": CoreRate(4, 128, f"{_ARM_SWOG} (Neoverse V3): four 128-bit SVE2 pipes"),
        "Cortex-X1": _NEON_4X128,
        "Cortex-X2": _NEON_4X128,
        "Cortex-X3": _NEON_4X128,
        "Cortex-X4": _NEON_4X128,
        "Cortex-X925": CoreRate(6, 128, f"{_ARM_SWOG} (Cortex-X925): six 128-bit FP pipes"),
        "A64FX": CoreRate(2, 512, "Fujitsu A64FX Microarchitecture Manual: two 512-bit SVE FMA"),
        "AmpereOne": CoreRate(2, 128, "Ampere AmpereOne product brief: two 128-bit FP pipes"),
        "Oryon": CoreRate(4, 128, "Qualcomm Oryon (Hot Chips 2024): four 128-bit FP pipes"),
        # Apple: chip names resolve to their P-cores
        "Apple M1": _APPLE_P,
        "Apple M2": _APPLE_P,
        "Apple M3": _APPLE_P,
        "Apple M3 Pro": _APPLE_P,
        "Apple M3 Max": _APPLE_P,
        "Apple M4": _APPLE_P,
        "Apple M4 Pro/Max": _APPLE_P,
        "Apple M1 Firestorm": _APPLE_P,
        "Apple M2 Avalanche": _APPLE_P,
        "Apple M3 P-core": _APPLE_P,
        "Apple M4 P-core": _APPLE_P,
        "Apple M1 Icestorm": _APPLE_E,
        "Apple M2 Blizzard": _APPLE_E,
        "Apple M3 E-core": _APPLE_E,
        "Apple M4 E-core": _APPLE_E,
    }
)

#: AMX tile multiply (TMUL) throughput per core: 1024 bf16/fp16 FLOP per cycle.
#: Intel, "Accelerate AI with Intel AMX" (Sapphire Rapids product brief): 2048
#: int8 ops and 1024 bf16 ops per cycle per core.
AMX_FLOPS_PER_CYCLE = 1024
AMX_SOURCE = (
    "Intel AMX: 1024 bf16 FLOP/cycle/core (Intel 4th Gen Xeon Scalable product brief, "
    "'Intel Advanced Matrix Extensions')"
)

#: Maximum clocks of Apple silicon cores, in MHz. macOS reports none, so these
#: are measurements: AnandTech's M1 review (Firestorm 3.2 GHz, Icestorm 2.064
#: GHz); for M2-M4 the frequencies macOS exposes to Geekbench runs (third party).
APPLE_CORE_CLOCKS_MHZ: Mapping[str, float] = MappingProxyType(
    {
        "Apple M1 Firestorm": 3200,
        "Apple M1 Icestorm": 2064,
        "Apple M2 Avalanche": 3490,
        "Apple M2 Blizzard": 2420,
        "Apple M3 P-core": 4050,
        "Apple M3 E-core": 2750,
        "Apple M4 P-core": 4400,
        "Apple M4 E-core": 2850,
    }
)
APPLE_CLOCK_SOURCE = (
    "Apple publishes no clocks: AnandTech, 'The 2020 Mac Mini Unleashed: Putting Apple "
    "Silicon M1 To The Test' (M1); frequencies reported in Geekbench runs (M2-M4, third party)"
)
