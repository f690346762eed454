"""Hardware by name, for ``analyze --hardware NAME``: GPUs, Apple silicon, common CPUs."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from mfu_advisor.facts import Unavailable
from mfu_advisor.files import data_file
from mfu_advisor.probe.cpu_peaks import cpu_peaks, sum_peaks
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops, Peaks
from mfu_advisor.probe.gpu_peaks import (
    GpuSpec,
    find_gpu,
    gpu_candidates,
    gpu_table,
    name_tokens,
)
from mfu_advisor.probe.pci_ids import vendor_name


@dataclass(frozen=True)
class CatalogEntry:
    """A piece of hardware the tool knows by name, with its peaks."""

    name: str
    kind: str
    """"gpu" or "cpu"."""
    peak_flops: Peaks
    source: str
    details: Mapping[str, Any]
    """Cores, clocks, microarchitecture, compute capability...: what the peaks were built from."""


#: Tokens that must agree between the user's name and an entry: "M2 Pro" is
#: not the M2, and a "... CPU" request is not the GPU entry.
_QUALIFIERS = frozenset({"pro", "max", "ultra", "cpu", "gpu", "ti", "super", "laptop", "mobile"})


def catalog_tokens(name: str) -> frozenset[str]:
    """Lower-case tokens of a CPU or Apple name; "(R)", "(TM)" and punctuation dropped."""
    text = re.sub(r"\((r|tm|c)\)|[®™]", " ", name.lower())
    return frozenset(t for t in re.split(r"[^a-z0-9+]+", text) if t)


def _matches(forms: tuple[frozenset[str], ...], tokens: frozenset[str]) -> int:
    """Size of the largest form present, or 0; 0 too when a qualifier disagrees."""
    allowed = frozenset().union(*forms)
    if not (tokens & _QUALIFIERS) <= allowed:
        return 0
    return max((len(form) for form in forms if form <= tokens), default=0)


class Model(NamedTuple):
    """A CPU or Apple GPU row of ``mfu_advisor/data/catalog.toml`` and its name's token sets."""

    kind: str
    """"cpu" or "apple_gpu"."""
    forms: tuple[frozenset[str], ...]
    """Token sets that identify it; any one must be in the user's name."""
    row: dict[str, Any]


@functools.cache
def catalog_models(kind: str) -> tuple[Model, ...]:
    """The data file's "cpu" or "apple_gpu" rows, in file order."""
    return tuple(
        Model(kind, tuple(frozenset(form.split()) for form in row["forms"]), row)
        for row in data_file("catalog.toml")[kind]
    )


def _max_clock_mhz(group: dict[str, Any]) -> float:
    """A core group's max clock; Apple's come from the measured [apple_clocks] table."""
    if "max_clock_mhz" in group:
        return group["max_clock_mhz"]  # type: ignore[no-any-return]
    return data_file("cpus.toml")["apple_clocks"]["mhz"][group["microarchitecture"]]  # type: ignore[no-any-return]


def _gpu_entry(spec: GpuSpec) -> CatalogEntry:
    return CatalogEntry(
        name=spec.name,
        kind="gpu",
        peak_flops=spec.peak_flops,
        source=spec.source,
        details=MappingProxyType(
            {
                "vendor": vendor_name(spec.vendor_id),
                "compute_capability": spec.compute_capability,
                "sm_count": spec.sm_count,
                "unit_kind": spec.arch.unit,
                "boost_clock_mhz": spec.boost_clock_mhz,
                "memory_bytes": spec.memory_bytes,
            }
        ),
    )


def _cpu_entry(model: dict[str, Any]) -> CatalogEntry:
    groups = model["groups"]
    parts = [
        cpu_peaks(g["microarchitecture"], model["isa"], _max_clock_mhz(g), g["cores"])
        for g in groups
    ]
    peaks = sum_peaks(parts)
    return CatalogEntry(
        name=model["name"],
        kind="cpu",
        peak_flops=peaks,
        source=model["source"],
        details=MappingProxyType(
            {
                "vendor": model["vendor"],
                "microarchitecture": model["microarchitecture"],
                "cores": sum(g["cores"] for g in groups),
                "core_groups": [
                    {
                        "kind": g["kind"],
                        "cores": g["cores"],
                        "microarchitecture": g["microarchitecture"],
                        "max_clock_mhz": _max_clock_mhz(g),
                    }
                    for g in groups
                ],
                "isa": list(model["isa"]),
            }
        ),
    )


_APPLE_GPU_RATE = 256  # 128 fp32 ALUs per GPU core x 2 FLOPs per FMA (metal-benchmarks)


def _apple_gpu_entry(model: dict[str, Any]) -> CatalogEntry:
    cores, clock_mhz = model["gpu_cores"], model["clock_mhz"]
    fp32 = cores * _APPLE_GPU_RATE * clock_mhz * 1e6
    formula = (
        f"estimate: {cores} GPU cores x 128 ALUs x 2 FLOP x {clock_mhz:g} MHz"
        f" = {fp32 / 1e12:.2f} TFLOP/s; {model['source']}"
    )
    reasons = data_file("catalog.toml")["apple_gpu_dtype_reasons"]
    peaks: dict[str, PeakFlops | Unavailable] = {
        dtype: Unavailable(reason) for dtype, reason in reasons.items()
    }
    peaks["fp32"] = PeakFlops(fp32, formula, True, "dense, GPU ALUs")
    peaks["fp16"] = PeakFlops(
        fp32,
        formula + "; fp16 runs at the fp32 rate on Apple GPUs (metal-benchmarks)",
        True,
        "dense, same rate as fp32",
    )
    return CatalogEntry(
        name=model["name"],
        kind="gpu",
        peak_flops=MappingProxyType({d: peaks[d] for d in PEAK_DTYPES}),
        source=model["source"],
        details=MappingProxyType({"vendor": "Apple", "gpu_cores": cores, "clock_mhz": clock_mhz}),
    )


def find_hardware(name: str) -> CatalogEntry | None:
    """The hardware a user-typed name means, or None when unknown or ambiguous."""
    if not name.strip():
        return None
    spec = find_gpu(name)
    if spec is not None:
        return _gpu_entry(spec)
    winner = _best_model((*catalog_models("apple_gpu"), *catalog_models("cpu")), name)
    if winner is None:
        return None
    if winner.kind == "apple_gpu":
        return _apple_gpu_entry(winner.row)
    return _cpu_entry(winner.row)


def _best_model(models: tuple[Model, ...], name: str) -> Model | None:
    """The one model whose largest matching form is the largest; None when none or a tie."""
    tokens = catalog_tokens(name)
    scored = [(_matches(m.forms, tokens), m) for m in models]
    best = max((score for score, _ in scored), default=0)
    winners = [m for score, m in scored if score == best and score > 0]
    return winners[0] if len(winners) == 1 else None


def cpu_model_max_clock(model_name: str) -> tuple[float, str] | None:
    """The max boost clock (MHz) of a CPU model in the table, and its source; None if unknown."""
    model = _best_model(catalog_models("cpu"), model_name)
    if model is None:
        return None
    return max(_max_clock_mhz(g) for g in model.row["groups"]), model.row["source"]


def known_hardware_names() -> list[str]:
    """Every name :func:`find_hardware` resolves, grouped: NVIDIA, Apple, CPUs."""
    return [
        *(spec.name for spec in gpu_table() if not spec.integrated),
        *(model.row["name"] for model in catalog_models("apple_gpu")),
        *(model.row["name"] for model in catalog_models("cpu")),
    ]


def hardware_suggestions(name: str, limit: int = 5) -> list[str]:
    """Known names closest to ``name``, for a "did you mean" line when nothing matched."""
    candidates = gpu_name_candidates(name)
    if len(candidates) > 1:
        return candidates[:limit]
    wanted = catalog_tokens(name) | frozenset(name_tokens(name))
    if not wanted:
        return []
    ranked: list[tuple[int, str]] = []
    for known in known_hardware_names():
        overlap = len(wanted & (catalog_tokens(known) | frozenset(name_tokens(known))))
        if overlap:
            ranked.append((overlap, known))
    ranked.sort(key=lambda item: -item[0])
    return [known for _, known in ranked[:limit]]


def gpu_name_candidates(name: str) -> list[str]:
    """Every GPU an imprecise name could mean ("H100" -> its SXM, PCIe and NVL rows)."""
    return [spec.name for spec in gpu_candidates(name)]
