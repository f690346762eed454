"""CPU peak FLOP/s: cores x FLOPs per cycle x clock, per dtype, always ``estimated``."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection, Sequence
from types import MappingProxyType
from typing import NamedTuple

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.cpu_clock import PeakClock, clock_fields
from mfu_advisor.probe.facts import PEAK_DTYPES, CoreTypeFacts, PeakFlops, Peaks, all_unavailable


class CoreRate(NamedTuple):
    """Peak fp32 throughput of one core, and where its figures come from."""

    fma_units: int
    vector_bits: int
    """Width of one FMA unit's datapath, in bits."""
    source: str
    note: str

    @property
    def fp32_flops_per_cycle(self) -> int:
        """fma_units x (vector_bits / 32) lanes x 2 FLOPs per FMA."""
        return self.fma_units * (self.vector_bits // 32) * 2


@functools.cache
def core_rates() -> dict[str, CoreRate]:
    """Microarchitecture (core or package name) -> per-core fp32 rate."""
    return {
        name: CoreRate(row["fma_units"], row["vector_bits"], row["source"], row.get("note", ""))
        for row in data_file("cpus.toml")["core_rate"]
        for name in row["names"]
    }


def flops_per_cycle(microarchitecture: str | None, isa: Collection[str]) -> tuple[int, str] | None:
    """fp32 FLOPs per cycle per core and where that figure comes from, or None."""
    rate = core_rates().get(microarchitecture) if microarchitecture is not None else None
    if rate is not None:
        text = (
            f"{microarchitecture}: {rate.fma_units} FMA x {rate.vector_bits}-bit "
            f"({rate.vector_bits // 32} fp32 lanes) x 2 = {rate.fp32_flops_per_cycle} "
            f"FLOP/cycle ({rate.source})"
        )
        if rate.note:
            text += f"; {rate.note}"
        return rate.fp32_flops_per_cycle, text
    features = set(isa)
    for row in data_file("cpus.toml")["isa_fallback"]:
        if row["feature"] in features:
            per_cycle = row["fma_units"] * (row["vector_bits"] // 32) * 2
            assumption = row["assumption"]
            shown = microarchitecture or "unknown microarchitecture"
            return per_cycle, f"{shown}, from the ISA: {assumption} = {per_cycle} FLOP/cycle"
    return None


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
    """Dense peak FLOP/s of ``cores`` identical physical cores at ``clock_mhz``."""
    if cores <= 0:
        return all_unavailable(f"no cores in this group ({cores})")
    if clock_mhz is None or clock_mhz <= 0:
        return all_unavailable("the CPU clock is unknown, so no peak can be computed")
    rate = flops_per_cycle(microarchitecture, isa)
    if rate is None:
        shown = microarchitecture or "unknown microarchitecture"
        return all_unavailable(f"{shown} with no known vector ISA: FLOPs per cycle unknown")
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

    tables = data_file("cpus.toml")
    out: dict[str, PeakFlops | Unavailable] = {
        dtype: Unavailable(reason) for dtype, reason in tables["cpu_dtype_reasons"].items()
    }
    out["fp32"] = peak(per_cycle, rate_source, "dense")
    for dtype in ("bf16", "fp16"):
        native = [
            r for r in tables["native_half"] if r["dtype"] == dtype and r["feature"] in features
        ]
        if not native:
            continue
        if native[0].get("amx"):
            amx = tables["amx"]
            out[dtype] = peak(amx["flops_per_cycle"], amx["source"], native[0]["note"])
        else:
            how = f"{native[0]['how']}; {rate_source}"
            out[dtype] = peak(2 * per_cycle, how, native[0]["note"])
    return MappingProxyType({dtype: out[dtype] for dtype in PEAK_DTYPES})


def sum_peaks(parts: Sequence[Peaks]) -> Peaks:
    """Per-dtype sum over core groups (P-cores + E-cores); one group is its own peak."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return all_unavailable("no core groups to sum")
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


def clock_peaks(uarch: Maybe[str], isa: Collection[str], clock: PeakClock, cores: float) -> Peaks:
    """:func:`cpu_peaks` at ``clock`` for a whole or fractional (cgroup quota) core count."""
    whole = int(cores)
    scale = 1.0 if cores == whole else cores
    peaks = cpu_peaks(
        uarch if isinstance(uarch, str) else None,
        isa,
        clock.mhz,
        whole if scale == 1.0 else 1,
        clock_label=clock.label,
        clock_note=clock.note,
    )
    if scale == 1.0:
        return peaks
    return {
        dtype: dataclasses.replace(
            peak, flops=peak.flops * scale, note=f"{peak.note}; x{scale:g} cores (cgroup quota)"
        )
        if isinstance(peak, PeakFlops)
        else peak
        for dtype, peak in peaks.items()
    }


def core_type(
    name: str,
    cpus: tuple[int, ...],
    cores: int,
    uarch: Maybe[str],
    max_clock_mhz: Maybe[float],
    clock: PeakClock,
    isa: Collection[str],
) -> CoreTypeFacts:
    """One core type's facts, its peak that of all ``cores`` at ``clock``."""
    return CoreTypeFacts(
        name=name,
        cpus=cpus,
        physical_cores=cores,
        microarchitecture=uarch,
        max_clock_mhz=max_clock_mhz,
        peak_flops=clock_peaks(uarch, isa, clock, cores),
        **clock_fields(clock),
    )
