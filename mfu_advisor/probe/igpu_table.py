"""Integrated GPUs (Intel UHD/Iris Xe/Arc, AMD Radeon APUs) by PCI device ID, with peaks.

One device ID often covers several CPU SKUs that enable different numbers of
execution units or clock them differently (an i7-1260P's Iris Xe has 96 EUs
at 1.40 GHz; an i5-1240P with the same ID 80 EUs at 1.30 GHz). Each entry
states the configuration it describes, the SKU whose spec page gave it, and
how the other SKUs differ.

Peaks are computed, so all are ``estimated``:

- Intel Gen9 / Gen11 / Xe-LP EU: 8 fp32 lanes with FMA = 16 FLOP/clk; fp16
  runs at 2x (Intel Graphics Gen11 / Xe-LP architecture documents). Xe-LPG
  (Meteor Lake): 16 vector engines of 8 lanes per Xe-core = 256 FLOP/clk.
- AMD GCN 5 (Vega) and RDNA 2 CU: 64 lanes x 2 = 128 FLOP/clk; packed fp16 2x.
  RDNA 3/3.5 CU: dual-issue doubles this to 256 (the figure AMD quotes); code
  that does not dual-issue reaches half.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops, Peaks
from mfu_advisor.probe.pci_ids import AMD_GRAPHICS, INTEL


@dataclass(frozen=True)
class IntegratedGpuSpec:
    """One integrated GPU configuration."""

    name: str
    """Marketing name ("Intel Iris Xe Graphics")."""
    family: str
    """Architecture ("Xe-LP (Gen12)", "RDNA 2")."""
    compute_units: int
    """EUs, CUs or Xe-cores of the configuration described."""
    compute_unit_kind: str
    """ "EU", "CU", "Xe-core" or "GPU core"."""
    max_clock_mhz: float
    peak_flops: Peaks
    source: str
    """Spec pages the unit count and clock come from, and the formula."""
    note: str = ""
    """How other SKUs sharing this device ID differ."""


_ARK = "Intel ARK specifications page (ark.intel.com) for the"
_AMD = "AMD product specifications page (amd.com/en/products) for the"

# Per-unit fp32 FLOP/clk and the architecture document behind it.
_EU = (
    16,
    "Intel Gen9/Gen11/Xe-LP EU: 8 fp32 lanes x FMA (Intel Graphics Gen11/Xe-LP "
    "architecture documentation)",
)
_XE_CORE = (
    256,
    "Xe-LPG Xe-core: 16 vector engines x 8 fp32 lanes x FMA (Intel Meteor Lake "
    "architecture briefing)",
)
_CU = (128, "AMD GCN/RDNA 2 CU: 64 lanes x FMA (AMD RDNA 2 ISA / Vega ISA documentation)")
_CU_DUAL = (
    256,
    "AMD RDNA 3 CU: 64 lanes x FMA x dual-issue (AMD RDNA 3 ISA documentation); "
    "single-issue code reaches half",
)


def _peaks(units: int, clock_mhz: float, per_unit: tuple[int, str], bf16: bool) -> Peaks:
    rate, rate_source = per_unit
    fp32 = units * rate * clock_mhz * 1e6
    formula = f"estimate: {units} x {rate} FLOP/clk x {clock_mhz:g} MHz; {rate_source}"
    out: dict[str, PeakFlops | Unavailable] = {
        "fp32": PeakFlops(fp32, formula, True, "dense, vector ALUs"),
        "tf32": Unavailable("not supported by this integrated GPU"),
        "bf16": (
            PeakFlops(
                2 * fp32, formula + "; bf16 via WMMA at the packed-fp16 rate", True, "dense, WMMA"
            )
            if bf16
            else Unavailable("no bf16 arithmetic on this integrated GPU; it is emulated")
        ),
        "fp16": PeakFlops(2 * fp32, formula + "; packed fp16 at 2x", True, "dense, packed fp16"),
        "fp8": Unavailable("not supported by this integrated GPU"),
    }
    return MappingProxyType({dtype: out[dtype] for dtype in PEAK_DTYPES})


def _intel(
    name: str,
    family: str,
    eus: int,
    mhz: float,
    sku: str,
    note: str = "",
    *,
    xe_cores: bool = False,
) -> IntegratedGpuSpec:
    per_unit = _XE_CORE if xe_cores else _EU
    kind = "Xe-core" if xe_cores else "EU"
    return IntegratedGpuSpec(
        name,
        family,
        eus,
        kind,
        mhz,
        _peaks(eus, mhz, per_unit, bf16=False),
        f"{_ARK} {sku} ({eus} {kind}s, graphics max dynamic frequency {mhz:g} MHz)",
        note,
    )


def _amd(
    name: str, family: str, cus: int, mhz: float, sku: str, note: str = ""
) -> IntegratedGpuSpec:
    rdna3 = family.startswith("RDNA 3")
    per_unit = _CU_DUAL if rdna3 else _CU
    return IntegratedGpuSpec(
        name,
        family,
        cus,
        "CU",
        mhz,
        _peaks(cus, mhz, per_unit, bf16=rdna3),
        f"{_AMD} {sku} ({cus} CUs, graphics frequency {mhz:g} MHz)",
        note,
    )


_XE = "Xe-LP (Gen12)"
_GEN11 = "Gen11"
_GEN9 = "Gen9.5"
_I5_80EU = "i5 SKUs with this ID enable 80 EUs"
_METEOR_LAKE_ARC = _intel(
    "Intel Arc Graphics",
    "Xe-LPG",
    8,
    2250,
    "Core Ultra 7 155H",
    "Core Ultra 5 parts enable 7 Xe-cores",
    xe_cores=True,
)

#: (vendor ID, device ID) -> configuration. Device IDs: Linux
#: include/drm/intel/pciids.h and the PCI ID Repository (pci-ids.ucw.cz).
# fmt: off
INTEGRATED_GPUS: MappingProxyType[tuple[int, int], IntegratedGpuSpec] = MappingProxyType({
    # Intel Tiger Lake (Xe-LP)
    (INTEL, 0x9A49): _intel("Intel Iris Xe Graphics", _XE, 96, 1300, "Core i7-1165G7",
                            _I5_80EU + " (i5-1135G7: 1300 MHz)"),
    (INTEL, 0x9A40): _intel("Intel Iris Xe Graphics", _XE, 96, 1100, "Core i7-1160G7", _I5_80EU),
    (INTEL, 0x9A60): _intel("Intel UHD Graphics", _XE, 32, 1450, "Core i7-11800H"),
    # Intel Alder Lake-P/U (Xe-LP)
    (INTEL, 0x46A6): _intel("Intel Iris Xe Graphics", _XE, 96, 1400, "Core i7-1260P",
                            _I5_80EU + " (i5-1240P: 1300 MHz); i7-1280P runs to 1450 MHz"),
    (INTEL, 0x46A8): _intel("Intel Iris Xe Graphics", _XE, 96, 1250, "Core i7-1265U", _I5_80EU),
    (INTEL, 0x46AA): _intel("Intel Iris Xe Graphics", _XE, 96, 950, "Core i7-1260U", _I5_80EU),
    (INTEL, 0x46A3): _intel("Intel UHD Graphics", _XE, 64, 1100, "Core i3-1220P"),
    (INTEL, 0x46B3): _intel("Intel UHD Graphics", _XE, 64, 1100, "Core i3-1215U"),
    # Intel Raptor Lake-P/U (Xe-LP)
    (INTEL, 0xA7A0): _intel("Intel Iris Xe Graphics", _XE, 96, 1500, "Core i7-1360P", _I5_80EU),
    (INTEL, 0xA7A1): _intel("Intel Iris Xe Graphics", _XE, 96, 1300, "Core i7-1365U", _I5_80EU),
    # Intel desktop Alder Lake-S / Raptor Lake-S (Xe-LP)
    (INTEL, 0x4680): _intel("Intel UHD Graphics 770", _XE, 32, 1550, "Core i9-12900K"),
    (INTEL, 0x4690): _intel("Intel UHD Graphics 770", _XE, 32, 1450, "Core i5-12600"),
    (INTEL, 0x4692): _intel("Intel UHD Graphics 730", _XE, 24, 1450, "Core i5-12400"),
    (INTEL, 0xA780): _intel("Intel UHD Graphics 770", _XE, 32, 1650, "Core i9-13900K"),
    # Intel Meteor Lake (Xe-LPG): two device IDs, one configuration
    (INTEL, 0x7D55): _METEOR_LAKE_ARC,
    (INTEL, 0x7DD5): _METEOR_LAKE_ARC,
    # Intel Ice Lake (Gen11)
    (INTEL, 0x8A52): _intel("Intel Iris Plus Graphics G7", _GEN11, 64, 1100, "Core i7-1065G7"),
    (INTEL, 0x8A51): _intel("Intel Iris Plus Graphics G7", _GEN11, 64, 1100, "Core i7-1060G7"),
    (INTEL, 0x8A5A): _intel("Intel Iris Plus Graphics G4", _GEN11, 48, 1050, "Core i5-1035G4"),
    (INTEL, 0x8A56): _intel("Intel UHD Graphics G1", _GEN11, 32, 900, "Core i3-1005G1"),
    # Intel Gen9.5 (Kaby/Coffee/Whiskey/Comet Lake): GT2 = 24 EUs
    (INTEL, 0x3E92): _intel("Intel UHD Graphics 630", _GEN9, 24, 1200, "Core i7-8700K"),
    (INTEL, 0x3E98): _intel("Intel UHD Graphics 630", _GEN9, 24, 1200, "Core i9-9900K"),
    (INTEL, 0x3E9B): _intel("Intel UHD Graphics 630", _GEN9, 24, 1100, "Core i7-8750H"),
    (INTEL, 0x9BC5): _intel("Intel UHD Graphics 630", _GEN9, 24, 1200, "Core i9-10900K"),
    (INTEL, 0x5912): _intel("Intel HD Graphics 630", _GEN9, 24, 1150, "Core i7-7700K"),
    (INTEL, 0x5916): _intel("Intel HD Graphics 620", _GEN9, 24, 1050, "Core i7-7500U"),
    (INTEL, 0x5917): _intel("Intel UHD Graphics 620", _GEN9, 24, 1150, "Core i7-8550U"),
    (INTEL, 0x3EA0): _intel("Intel UHD Graphics 620", _GEN9, 24, 1150, "Core i7-8565U"),
    (INTEL, 0x9B41): _intel("Intel UHD Graphics", _GEN9, 24, 1150, "Core i7-10510U"),
    # AMD APUs
    (AMD_GRAPHICS, 0x1681): _amd("AMD Radeon 680M", "RDNA 2", 12, 2400, "Ryzen 9 6900HX",
                                 "Ryzen 7 6800U: 2200 MHz; Radeon 660M parts: 6 CUs"),
    (AMD_GRAPHICS, 0x15BF): _amd("AMD Radeon 780M", "RDNA 3", 12, 2700, "Ryzen 7 7840U",
                                 "Ryzen 9 7940HS: 2800 MHz; Radeon 760M parts: 8 CUs"),
    (AMD_GRAPHICS, 0x1900): _amd("AMD Radeon 780M", "RDNA 3", 12, 2700, "Ryzen 7 8840U",
                                 "Radeon 760M parts: 8 CUs"),
    (AMD_GRAPHICS, 0x150E): _amd("AMD Radeon 890M", "RDNA 3.5", 16, 2900, "Ryzen AI 9 HX 370",
                                 "Radeon 880M parts: 12 CUs"),
    (AMD_GRAPHICS, 0x1586): _amd("AMD Radeon 8060S", "RDNA 3.5", 40, 2900, "Ryzen AI Max+ 395",
                                 "Radeon 8050S parts: 32 CUs"),
    (AMD_GRAPHICS, 0x1636): _amd("AMD Radeon Vega 8 (Renoir)", "GCN 5 (Vega)", 8, 1750,
                                 "Ryzen 7 4800U", "Ryzen 7 4700U: 7 CUs at 1600 MHz"),
    (AMD_GRAPHICS, 0x1638): _amd("AMD Radeon Vega 8 (Cezanne)", "GCN 5 (Vega)", 8, 2000,
                                 "Ryzen 7 5800U", "Ryzen 5 parts: 7 CUs"),
    (AMD_GRAPHICS, 0x164C): _amd("AMD Radeon Vega 8 (Lucienne)", "GCN 5 (Vega)", 8, 1900,
                                 "Ryzen 7 5700U", "Ryzen 5 5500U: 7 CUs at 1800 MHz"),
    (AMD_GRAPHICS, 0x15DD): _amd("AMD Radeon Vega 11 (Raven Ridge)", "GCN 5 (Vega)", 11, 1250,
                                 "Ryzen 5 2400G", "mobile Vega 8 parts: 8 CUs"),
    (AMD_GRAPHICS, 0x15D8): _amd("AMD Radeon Vega 11 (Picasso)", "GCN 5 (Vega)", 11, 1400,
                                 "Ryzen 5 3400G", "mobile Vega 8 parts: 8 CUs"),
    (AMD_GRAPHICS, 0x163F): _amd("AMD Custom GPU 0405 (Van Gogh)", "RDNA 2", 8, 1600,
                                 "Steam Deck APU (Valve: 1.6 TFLOPS fp32)"),
    (AMD_GRAPHICS, 0x164E): _amd("AMD Radeon Graphics (Raphael)", "RDNA 2", 2, 2200,
                                 "Ryzen 9 7950X"),
    (AMD_GRAPHICS, 0x13C0): _amd("AMD Radeon Graphics (Granite Ridge)", "RDNA 2", 2, 2200,
                                 "Ryzen 9 9950X"),
    (AMD_GRAPHICS, 0x1506): _amd("AMD Radeon 610M (Mendocino)", "RDNA 2", 2, 1900, "Ryzen 5 7520U"),
})
# fmt: on


def lookup_integrated_gpu(vendor_id: int, device_id: int) -> IntegratedGpuSpec | None:
    """The integrated GPU with this PCI vendor and device ID, or None when not in the table."""
    return INTEGRATED_GPUS.get((vendor_id, device_id))
