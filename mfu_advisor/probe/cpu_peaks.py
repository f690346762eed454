"""CPU peak FLOP/s: cores x FLOPs per cycle x clock, per dtype, always ``estimated``.

FLOPs per cycle per core come from the microarchitecture table in
:mod:`~mfu_advisor.probe.cpu_peaks_data` (FMA units x vector lanes x 2) or,
when the microarchitecture is unknown, from the widest vector ISA present.

Lower precisions are peaks only where the CPU computes them natively:

- bf16: AMX (``amx_bf16``: 1024 FLOP/cycle/core), ``avx512_bf16`` (VDPBF16PS,
  two bf16 products per fp32 lane: 2x the fp32 rate), ARM ``bf16`` (BFDOT and
  BFMMLA: 2x the fp32 rate). Elsewhere PyTorch converts bf16 to fp32 and it
  runs slower than fp32.
- fp16: AMX-FP16 (``amx_fp16``), ``avx512_fp16`` (2x fp32), ARM ``asimdhp``
  (2x fp32).
- tf32 and fp8 are not CPU dtypes.

At the maximum (turbo) clock the peak is an upper bound: all-core and
AVX-heavy clocks are lower. Where only a nominal clock is known (a VM without
cpufreq) it may be exceeded; the caller names the clock (probe/cpu_clock.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from types import MappingProxyType

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.cpu_peaks_data import (
    AMX_FLOPS_PER_CYCLE,
    AMX_SOURCE,
    APPLE_CLOCK_SOURCE,
    APPLE_CORE_CLOCKS_MHZ,
    CORE_RATES,
)
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops, Peaks

BF16_EMULATED = (
    "emulated: this CPU has no native bf16 (no avx512_bf16/AMX/ARM bf16); PyTorch converts "
    "to fp32 and it runs slower than fp32"
)
FP16_EMULATED = (
    "emulated: this CPU has no native fp16 arithmetic (no avx512_fp16/AMX-FP16/ARM "
    "asimdhp); PyTorch converts to fp32 and it runs slower than fp32"
)
HALF_EMULATED = {"bf16": BF16_EMULATED, "fp16": FP16_EMULATED}

#: Native bf16/fp16 paths, the first present wins: (ISA feature, runs on AMX
#: tiles (AMX_FLOPS_PER_CYCLE) rather than at 2x the fp32 vector rate, the
#: instruction, the note). Sources in the module docstring.
NATIVE_HALF_PATHS: dict[str, tuple[tuple[str, bool, str, str], ...]] = {
    "bf16": (
        ("amx_bf16", True, AMX_SOURCE, "AMX tiles, fp32 accumulate"),
        ("avx512_bf16", False, "VDPBF16PS: 2x the fp32 rate", "avx512_bf16 dot product"),
        ("bf16", False, "BFDOT/BFMMLA: 2x the fp32 rate", "ARM bf16 extension"),
    ),
    "fp16": (
        ("amx_fp16", True, AMX_SOURCE, "AMX-FP16 tiles"),
        ("avx512_fp16", False, "AVX512-FP16: 2x the fp32 rate", "avx512_fp16"),
        ("asimdhp", False, "ASIMD fp16: 2x the fp32 rate", "ARM half-precision arithmetic"),
    ),
}
NOT_A_CPU_DTYPE = {
    "tf32": "not a CPU dtype: TF32 is an NVIDIA tensor-core format",
    "fp8": "not a CPU dtype: no CPU computes in fp8; PyTorch emulates it",
}

#: ISA fallbacks, widest first: (feature, FMA units, vector bits, what is assumed).
_ISA_FALLBACK: tuple[tuple[str, int, int, str], ...] = (
    (
        "avx512f",
        2,
        512,
        "avx512f: assumed two 512-bit FMA units (server cores; client "
        "cores with one unit reach half)",
    ),
    ("fma", 2, 256, "avx2+fma: assumed two 256-bit FMA units"),
    ("avx2", 2, 256, "avx2+fma: assumed two 256-bit FMA units"),
    ("sve", 2, 128, "sve (width unknown): assumed two 128-bit FMA pipes"),
    ("asimd", 2, 128, "asimd: assumed two 128-bit FMA pipes"),
    ("avx", 1, 256, "avx without fma: assumed one 256-bit add + one 256-bit multiply"),
)


def flops_per_cycle(microarchitecture: str | None, isa: Collection[str]) -> tuple[int, str] | None:
    """fp32 FLOPs per cycle per core and where that figure comes from, or None.

    The microarchitecture table wins; the ISA only fills in when the
    microarchitecture is unknown.
    """
    if microarchitecture is not None and microarchitecture in CORE_RATES:
        rate = CORE_RATES[microarchitecture]
        text = (
            f"{microarchitecture}: {rate.fma_units} FMA x {rate.vector_bits}-bit "
            f"({rate.vector_bits // 32} fp32 lanes) x 2 = {rate.fp32_flops_per_cycle} "
            f"FLOP/cycle ({rate.source})"
        )
        if rate.note:
            text += f"; {rate.note}"
        return rate.fp32_flops_per_cycle, text
    features = set(isa)
    for feature, units, bits, assumption in _ISA_FALLBACK:
        if feature in features:
            per_cycle = units * (bits // 32) * 2
            shown = microarchitecture or "unknown microarchitecture"
            return per_cycle, f"{shown}, from the ISA: {assumption} = {per_cycle} FLOP/cycle"
    return None


def _all_unavailable(reason: str) -> Peaks:
    return MappingProxyType({dtype: Unavailable(reason) for dtype in PEAK_DTYPES})


#: How a peak computed at a maximum clock describes it (callers with another
#: clock pass their own words: probe/cpu_clock.py).
MAX_CLOCK_LABEL = "max clock"
MAX_CLOCK_NOTE = "at the maximum clock (all-core and AVX clocks are lower)"


def cpu_peaks(
    microarchitecture: str | None,
    isa: Collection[str],
    clock_mhz: float | None,
    cores: int,
    *,
    clock_label: str = MAX_CLOCK_LABEL,
    clock_note: str = MAX_CLOCK_NOTE,
) -> Peaks:
    """Dense peak FLOP/s of ``cores`` identical physical cores at ``clock_mhz``.

    ``isa`` holds canonical feature names (``avx512_bf16``, ``amx_bf16``,
    ``asimdhp``, ``bf16``, ...). Every value is ``estimated``; its ``source``
    spells out cores x FLOP/cycle x clock, naming the clock by ``clock_label``,
    and every note ends with ``clock_note`` (which clock, and whether the peak
    is an upper bound).
    """
    if cores <= 0:
        return _all_unavailable(f"no cores in this group ({cores})")
    if clock_mhz is None or clock_mhz <= 0:
        return _all_unavailable("the CPU clock is unknown, so no peak can be computed")
    rate = flops_per_cycle(microarchitecture, isa)
    if rate is None:
        shown = microarchitecture or "unknown microarchitecture"
        return _all_unavailable(f"{shown} with no known vector ISA: FLOPs per cycle unknown")
    per_cycle, rate_source = rate
    hz = clock_mhz * 1e6
    features = set(isa)

    def peak(per_core_cycle: float, how: str, note: str) -> PeakFlops:
        flops = cores * per_core_cycle * hz
        source = (
            f"estimate: {cores} cores x {per_core_cycle:g} FLOP/cycle x {clock_mhz:g} MHz "
            f"({clock_label}) = {flops / 1e9:.1f} GFLOP/s; {how}"
        )
        return PeakFlops(flops=flops, source=source, estimated=True, note=f"{note}, {clock_note}")

    out: dict[str, PeakFlops | Unavailable] = {"fp32": peak(per_cycle, rate_source, "dense")}
    out["tf32"] = Unavailable(NOT_A_CPU_DTYPE["tf32"])

    for dtype, paths in NATIVE_HALF_PATHS.items():
        out[dtype] = Unavailable(HALF_EMULATED[dtype])
        for feature, amx, how, note in paths:
            if feature in features:
                out[dtype] = (
                    peak(AMX_FLOPS_PER_CYCLE, AMX_SOURCE, note)
                    if amx
                    else peak(2 * per_cycle, f"{how}; {rate_source}", note)
                )
                break

    out["fp8"] = Unavailable(NOT_A_CPU_DTYPE["fp8"])
    return MappingProxyType({dtype: out[dtype] for dtype in PEAK_DTYPES})


def sum_peaks(parts: Sequence[Peaks]) -> Peaks:
    """Per-dtype sum over core groups (P-cores + E-cores).

    A dtype is Unavailable in the sum when any group lacks it: a bf16 matmul
    spread over all cores runs at the speed of the emulated ones too.
    """
    if not parts:
        return _all_unavailable("no core groups to sum")
    out: dict[str, PeakFlops | Unavailable] = {}
    for dtype in PEAK_DTYPES:
        values = [part.get(dtype, Unavailable(f"no {dtype} entry")) for part in parts]
        missing = [v for v in values if isinstance(v, Unavailable)]
        if missing:
            if len(missing) == len(values):
                out[dtype] = missing[0]
            else:
                out[dtype] = Unavailable(
                    f"not native on every core type ({missing[0].reason}); no whole-CPU peak"
                )
            continue
        present = [v for v in values if isinstance(v, PeakFlops)]
        out[dtype] = PeakFlops(
            flops=sum(p.flops for p in present),
            source="sum over core types: " + " + ".join(p.source for p in present),
            estimated=any(p.estimated for p in present),
            note="sum over core types; " + "; ".join(dict.fromkeys(p.note for p in present)),
        )
    return MappingProxyType(out)


def apple_core_max_clock_mhz(core_microarchitecture: str | None) -> tuple[float, str] | None:
    """Maximum clock of an Apple silicon core type (macOS reports none), and its source.

    ``core_microarchitecture`` is a core name from
    :func:`~mfu_advisor.probe.cpu_uarch.core_microarchitecture` ("Apple M2
    Blizzard"); None for anything else.
    """
    if core_microarchitecture is None or core_microarchitecture not in APPLE_CORE_CLOCKS_MHZ:
        return None
    return APPLE_CORE_CLOCKS_MHZ[core_microarchitecture], APPLE_CLOCK_SOURCE
