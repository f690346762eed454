"""The GPU table (``mfu_advisor/data/gpus.toml``): rows keyed by PCI IDs, peaks per dtype."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops, Peaks

#: Where the table lives inside the package (shipped as package data).
DATA_FILE = "gpus.toml"


@dataclass(frozen=True)
class ArchRates:
    """Dense FLOPs per unit (SM, CU, EU, Xe-core) per clock of one architecture."""

    key: str
    """"nvidia-8.9", "gfx942", "xe-lp"."""
    name: str
    unit: str
    rates: MappingProxyType[str, int]
    """dtype -> FLOP/clk/unit with fp32 accumulate at the full (data-center) rate."""
    geforce: MappingProxyType[str, int]
    """GeForce rates where they differ (fp32 accumulate at half rate)."""
    missing: MappingProxyType[str, str]
    """dtype -> why this architecture has no such unit."""
    boost_mhz: float
    """A typical rated boost clock of the architecture, for GPUs not in the table."""
    source: str

    @property
    def compute_capability(self) -> str | None:
        """CUDA "major.minor" for NVIDIA architectures, else None."""
        if not self.key.startswith("nvidia-"):
            return None
        return self.key.removeprefix("nvidia-").split("-")[0]  # "nvidia-7.5-tu11x" -> "7.5"


@dataclass(frozen=True)
class GpuSpec:
    """One GPU board as its datasheet describes it (one row of the data file)."""

    name: str
    """As NVML, ROCm or the vendor names it ("NVIDIA H100 80GB HBM3")."""
    vendor_id: int
    device_ids: tuple[int, ...]
    subsystems: tuple[tuple[int, int], ...]
    """(subsystem vendor, subsystem device) pairs this row is limited to; empty: any."""
    revisions: tuple[int, ...]
    """PCI revisions this row is limited to; empty: any."""
    cpu_pattern: str | None
    """Regular expression on the CPU model an integrated GPU ships with."""
    arch: ArchRates
    sm_count: int
    """Units: SMs (NVIDIA), CUs (AMD), EUs or Xe-cores (Intel)."""
    boost_clock_mhz: Maybe[float]
    """The rated boost clock; Unavailable when it depends on the board (laptops)."""
    boost_range_mhz: tuple[float, float] | None
    """Laptop GPUs: the range of rated boost clocks makers may choose."""
    memory_bytes: Maybe[int]
    bandwidth_gbs: float | None
    """Memory bandwidth, GB/s."""
    peak_flops: Peaks
    """Dense peak per dtype, or why there is none."""
    fp16_acc16_flops: float | None
    """GeForce: the fp16 tensor rate with fp16 accumulate (twice what PyTorch reaches)."""
    source: str
    note: str
    """Which SKU the row describes and how others sharing its ID differ."""
    integrated: bool
    match_model: str | None
    match_forms: tuple[str, ...]
    match_optional: tuple[str, ...]

    @property
    def compute_capability(self) -> str:
        """CUDA "major.minor" (NVIDIA), else the architecture key ("gfx942", "xe-lp")."""
        return self.arch.compute_capability or self.arch.key

    @property
    def geforce(self) -> bool:
        return is_geforce_name(self.name)


def is_geforce_name(name: str) -> bool:
    """True for consumer GeForce cards, whose NVML names contain "GeForce"."""
    return "geforce" in re.sub(r"[^a-z]+", " ", name.lower()).split()


class TableError(ValueError):
    """The data file is malformed (a packaging bug: tests load every row)."""


def _hex_pair(text: str, where: str) -> tuple[int, int]:
    match = re.fullmatch(r"([0-9a-f]{4}):([0-9a-f]{4})", text)
    if match is None:
        raise TableError(f"{where}: {text!r} is not 'vvvv:dddd' (lower-case hex)")
    return int(match.group(1), 16), int(match.group(2), 16)


def formula_peaks(
    arch: ArchRates,
    units: int,
    clock_mhz: float,
    *,
    geforce: bool,
    clock_note: str,
    unit_source: str = "",
) -> dict[str, PeakFlops | Unavailable]:
    """Peaks from units x FLOP/clk/unit x clock, every one ``estimated`` with its formula."""
    out: dict[str, PeakFlops | Unavailable] = {}
    for dtype in PEAK_DTYPES:
        rate = arch.rates.get(dtype)
        if rate is None:
            out[dtype] = Unavailable(arch.missing.get(dtype, f"{arch.name} has no {dtype} unit"))
            continue
        halved = geforce and dtype in arch.geforce
        if halved:
            rate = arch.geforce[dtype]
        notes = ["dense", "vector/CUDA cores" if dtype == "fp32" else "tensor/matrix units"]
        if dtype in ("bf16", "fp16"):
            notes.append("fp32 accumulate")
        if halved:
            notes.append("GeForce rate (fp32 accumulate at half rate)")
        elif arch.geforce and dtype in arch.geforce:
            notes.append("data-center/workstation rate; GeForce cards reach half")
        formula = (
            f"estimate: {units} {arch.unit}s x {rate} FLOP/clk/{arch.unit} ({arch.name}) x "
            f"{clock_mhz:g} MHz ({clock_note}); per-unit rate from {arch.source}"
        )
        if unit_source:
            formula += f"; units and clock from {unit_source}"
        out[dtype] = PeakFlops(
            flops=units * rate * clock_mhz * 1e6,
            source=formula,
            estimated=True,
            note="; ".join(notes),
        )
    return out


def _arch(key: str, raw: dict[str, Any]) -> ArchRates:
    try:
        return ArchRates(
            key=key,
            name=str(raw["name"]),
            unit=str(raw["unit"]),
            rates=MappingProxyType({k: int(v) for k, v in raw["rates"].items()}),
            geforce=MappingProxyType({k: int(v) for k, v in raw.get("geforce", {}).items()}),
            missing=MappingProxyType({k: str(v) for k, v in raw.get("missing", {}).items()}),
            boost_mhz=float(raw["boost_mhz"]),
            source=str(raw["source"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TableError(f"arch {key}: {exc}") from exc


def _row(raw: dict[str, Any], archs: dict[str, ArchRates], sources: dict[str, str]) -> GpuSpec:
    name = str(raw["name"])
    arch = archs.get(str(raw["arch"]))
    if arch is None:
        raise TableError(f"{name}: unknown arch {raw['arch']!r}")
    source = sources.get(str(raw["source"]))
    if source is None:
        raise TableError(f"{name}: unknown source {raw['source']!r}")
    pairs = [_hex_pair(str(p), name) for p in raw["pci"]]
    vendors = {v for v, _ in pairs}
    if len(vendors) != 1:
        raise TableError(f"{name}: PCI IDs of several vendors")
    units = int(raw["units"])
    boost_range = raw.get("boost_range_mhz")
    boost: Maybe[float]
    if "boost_mhz" in raw:
        boost = float(raw["boost_mhz"])
    elif boost_range is not None:
        low, high = (float(x) for x in boost_range)
        boost = Unavailable(
            f"{name}: the rated boost clock is the laptop maker's choice, "
            f"{low:g}-{high:g} MHz (NVIDIA laptop specifications)"
        )
    else:
        raise TableError(f"{name}: no boost_mhz or boost_range_mhz")
    given = dict(raw.get("tflops", {}))
    unknown = dict(raw.get("unknown", {}))
    geforce = is_geforce_name(name)
    sparse_note = " (datasheet sparse figure / 2)" if raw.get("sparse") else ""
    formula: dict[str, PeakFlops | Unavailable] = {}
    if isinstance(boost, float):
        formula = formula_peaks(
            arch, units, boost, geforce=geforce, clock_note="rated boost", unit_source=source
        )
    peaks: dict[str, PeakFlops | Unavailable] = {}
    for dtype in PEAK_DTYPES:
        if dtype in given:
            kind = "vector/CUDA cores" if dtype == "fp32" else f"tensor/matrix units{sparse_note}"
            note = f"dense, {kind}"
            if dtype in ("bf16", "fp16"):
                note += ", fp32 accumulate"
                if geforce:
                    note += " (GeForce: half the fp16-accumulate rate)"
            peaks[dtype] = PeakFlops(float(given[dtype]) * 1e12, source, False, note)
        elif dtype in unknown:
            peaks[dtype] = Unavailable(str(unknown[dtype]))
        elif dtype in formula:
            peaks[dtype] = formula[dtype]
        elif dtype in arch.missing:
            peaks[dtype] = Unavailable(arch.missing[dtype])
        else:
            assert isinstance(boost, Unavailable)
            low, high = (float(x) for x in boost_range)  # type: ignore[union-attr]
            rate = arch.geforce.get(dtype, arch.rates[dtype]) if geforce else arch.rates[dtype]
            peaks[dtype] = Unavailable(
                f"{boost.reason}: {units * rate * low / 1e6:.1f}-{units * rate * high / 1e6:.1f} "
                f"TFLOP/s {dtype}; the probe uses this laptop's clock when NVML gives it"
            )
    memory = raw.get("memory_gib")
    forms = raw.get("forms", [""])
    return GpuSpec(
        name=name,
        vendor_id=vendors.pop(),
        device_ids=tuple(d for _, d in pairs),
        subsystems=tuple(_hex_pair(str(s), name) for s in raw.get("subsystem", [])),
        revisions=tuple(int(str(r), 16) for r in raw.get("revision", [])),
        cpu_pattern=str(raw["cpu"]) if "cpu" in raw else None,
        arch=arch,
        sm_count=units,
        boost_clock_mhz=boost,
        boost_range_mhz=(
            (float(boost_range[0]), float(boost_range[1])) if boost_range is not None else None
        ),
        memory_bytes=(
            int(float(memory) * 2**30)
            if memory is not None
            else Unavailable(f"{name}: memory size not in the table")
        ),
        bandwidth_gbs=float(raw["bandwidth_gbs"]) if "bandwidth_gbs" in raw else None,
        peak_flops=MappingProxyType(peaks),
        fp16_acc16_flops=float(raw["fp16_acc16"]) * 1e12 if "fp16_acc16" in raw else None,
        source=source,
        note=str(raw.get("note", "")),
        integrated=bool(raw.get("integrated", False)),
        match_model=str(raw["model"]) if "model" in raw else None,
        match_forms=tuple(str(f) for f in forms),
        match_optional=tuple(str(o) for o in raw.get("optional", [])),
    )


@functools.cache
def load_table() -> tuple[dict[str, ArchRates], tuple[GpuSpec, ...]]:
    """Architectures by key and every GPU row, in file order (read once)."""
    data = data_file(DATA_FILE)
    archs = {key: _arch(key, raw) for key, raw in data["arch"].items()}
    sources = {key: str(value) for key, value in data["source"].items()}
    rows = []
    for raw in data["gpu"]:
        try:
            rows.append(_row(raw, archs, sources))
        except (KeyError, TypeError, ValueError) as exc:
            raise TableError(f"gpu row {raw.get('name', '?')}: {exc}") from exc
    return archs, tuple(rows)
