"""GPU peak FLOP/s: the data table by PCI numbers or by name, and a formula fallback."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.facts import NvidiaFacts, PeakFlops, Peaks, all_unavailable
from mfu_advisor.probe.peak_table import GpuSpec, formula_peaks, is_geforce_name, load_table


def gpu_table() -> tuple[GpuSpec, ...]:
    """Every row of the data file, in file order."""
    return load_table()[1]


# -- by name -----------------------------------------------------------------------

#: Words that carry no identity in a GPU name ("NVIDIA GeForce RTX 4090").
_NOISE = frozenset(
    {"nvidia", "geforce", "tesla", "rtx", "gtx", "gpu", "graphics", "generation", "card"}
    | {"the", "amd", "radeon", "instinct", "rx"}
)
_MEMORY = re.compile(r"\d+gb?")
_NUMBER_SUFFIX = re.compile(r"(\d{3,5})([a-z]+)")  # "4070ti" -> "4070", "ti"
_BRAND_PREFIX = re.compile(r"(rtx|gtx)(\d.*)")  # "rtx4090" -> "rtx", "4090"


def name_tokens(name: str) -> tuple[str, ...]:
    """Normalised identity tokens of a GPU name, noise words removed."""
    raw = re.sub(r"[^a-z0-9]+", " ", name.lower()).split()
    split: list[str] = []
    for token in raw:
        m = _BRAND_PREFIX.fullmatch(token)
        if m is None and not _MEMORY.fullmatch(token):
            m = _NUMBER_SUFFIX.fullmatch(token)
        split.extend(m.groups() if m else (token,))
    merged: list[str] = []
    for token in split:
        if token == "gb" and merged and merged[-1].isdigit():
            merged[-1] += "gb"  # "80 GB" -> "80gb"
        else:
            merged.append(token)
    return tuple(t for t in merged if t not in _NOISE)


def _model_and_qualifiers(tokens: tuple[str, ...]) -> tuple[str | None, frozenset[str]]:
    """The model token (first token with a digit that is not a memory size) and the rest."""
    for i, token in enumerate(tokens):
        if any(c.isdigit() for c in token) and not _MEMORY.fullmatch(token):
            return token, frozenset(tokens[:i] + tokens[i + 1 :])
    if tokens:  # a name without a number ("TITAN RTX"): its first word is the model
        return tokens[0], frozenset(tokens[1:])
    return None, frozenset(tokens)


@dataclass(frozen=True)
class _NameKey:
    model: str | None
    forms: tuple[frozenset[str], ...]
    allowed: frozenset[str]


def _name_key(spec: GpuSpec) -> _NameKey:
    model, own = _model_and_qualifiers(name_tokens(spec.name))
    if spec.match_model is not None:
        model = spec.match_model
    if spec.match_forms != ("",) or spec.match_model is not None:
        forms = tuple(frozenset(f.split()) for f in spec.match_forms)
    else:
        forms = (own,)
    allowed = frozenset(spec.match_optional).union(*forms)
    return _NameKey(model, forms, allowed)


def gpu_candidates(name: str) -> tuple[GpuSpec, ...]:
    """Discrete-GPU rows a name could mean: one when it is precise, several when not."""
    model, qualifiers = _model_and_qualifiers(name_tokens(name))
    if model is None:
        return ()
    keyed = [(s, _name_key(s)) for s in gpu_table() if not s.integrated]
    same = [(s, k) for s, k in keyed if k.model == model and qualifiers <= k.allowed]
    exact = [(s, k) for s, k in same if any(form <= qualifiers for form in k.forms)]
    if exact:

        def best(key: _NameKey) -> int:
            return max(len(f) for f in key.forms if f <= qualifiers)

        top = max(best(k) for _, k in exact)
        return tuple(s for s, k in exact if best(k) == top)
    return tuple(s for s, _ in same)


def _same_peaks(specs: tuple[GpuSpec, ...]) -> bool:
    def key(spec: GpuSpec) -> tuple[float | None, ...]:
        return tuple(
            p.flops if isinstance(p, PeakFlops) else None for p in spec.peak_flops.values()
        )

    return len({key(s) for s in specs}) == 1


def find_gpu(name: str) -> GpuSpec | None:
    """The row for a GPU name, or None when unknown or ambiguous."""
    candidates = gpu_candidates(name)
    if not candidates:
        return None
    if len(candidates) == 1 or _same_peaks(candidates):
        return candidates[0]
    return None


# -- by PCI numbers ----------------------------------------------------------------


@dataclass(frozen=True)
class GpuMatch:
    """The row a PCI function is, or why none could be chosen."""

    spec: GpuSpec | None
    candidates: tuple[GpuSpec, ...]
    """Rows with this vendor and device ID (several when one ID covers several boards)."""
    reason: str
    """Why ``spec`` is None: not in the table, or ambiguous with the range of peaks."""


def lookup_pci(
    vendor_id: int,
    device_id: int,
    *,
    subsystem: tuple[int, int] | None = None,
    revision: int | None = None,
    name: str | None = None,
    units: int | None = None,
    cpu_model: str | None = None,
) -> GpuMatch:
    """The row of a PCI function, narrowed by whatever tells boards sharing an ID apart."""
    rows = [s for s in gpu_table() if s.vendor_id == vendor_id and device_id in s.device_ids]
    where = f"{vendor_id:04x}:{device_id:04x}"
    if not rows:
        return GpuMatch(None, (), f"{where} is not in the GPU table")
    candidates = tuple(rows)
    # Each clue keeps the rows it fits, unless it fits none of them.
    if len(rows) > 1 and subsystem is not None and any(s.subsystems for s in rows):
        hit = [s for s in rows if subsystem in s.subsystems]
        rows = hit or [s for s in rows if not s.subsystems] or rows
    if len(rows) > 1 and revision is not None:
        rows = [s for s in rows if revision in s.revisions] or rows
    if len(rows) > 1 and name:
        by_name = {id(s) for s in gpu_candidates(name)}
        rows = [s for s in rows if id(s) in by_name] or rows
    if len(rows) > 1 and units is not None:
        rows = [s for s in rows if s.sm_count == units] or rows
    if len(rows) > 1 and cpu_model:
        rows = [s for s in rows if s.cpu_pattern and re.search(s.cpu_pattern, cpu_model)] or rows
    if len(rows) == 1 or _same_peaks(tuple(rows)):
        return GpuMatch(rows[0], candidates, "")
    return GpuMatch(None, candidates, _ambiguous(where, rows, revision, cpu_model))


def _ambiguous(where: str, rows: list[GpuSpec], revision: int | None, cpu_model: str | None) -> str:
    """ "1002:1681 is one of: AMD Radeon 680M (12 CUs) or ...; fp32 2.3-7.4 TFLOP/s"."""
    names = " or ".join(f"{s.name} ({s.sm_count} {s.arch.unit}s)" for s in rows)
    fp32 = [p.flops for s in rows if isinstance(p := s.peak_flops["fp32"], PeakFlops)]
    spread = f"; fp32 {min(fp32) / 1e12:.1f}-{max(fp32) / 1e12:.1f} TFLOP/s" if fp32 else ""
    told = []
    if revision is not None:
        told.append(f"PCI revision 0x{revision:02x}")
    if cpu_model:
        told.append(f"CPU {cpu_model!r}")
    by = f" ({' and '.join(told)} do not tell them apart)" if told else ""
    return f"{where} is {names}{by}{spread}"


def laptop_peaks(spec: GpuSpec, clock_mhz: float, clock_label: str) -> Peaks | None:
    """A laptop row's peaks at this laptop's rated clock, when it lies in the row's range."""
    if spec.boost_range_mhz is None:
        return None
    low, high = spec.boost_range_mhz
    if not low * 0.98 <= clock_mhz <= high * 1.02:
        return None
    out = formula_peaks(
        spec.arch,
        spec.sm_count,
        clock_mhz,
        geforce=spec.geforce,
        clock_note=clock_label,
        unit_source=spec.source,
    )
    return MappingProxyType(out)


def nvidia_formula_peaks(
    name: str, nvidia: NvidiaFacts | Unavailable | None, sm_count: Maybe[int]
) -> Peaks:
    """An NVIDIA GPU outside the table: SMs x per-SM rate x its rated boost clock, estimated."""
    if not isinstance(nvidia, NvidiaFacts):
        reason = nvidia.reason if isinstance(nvidia, Unavailable) else "no NVML facts"
        return all_unavailable(f"{name} is not in the GPU table and NVML gave nothing: {reason}")
    cc = nvidia.compute_capability
    missing = [
        label
        for label, value in (("compute capability", cc), ("SM count", sm_count))
        if not isinstance(value, (str, int))
    ]
    if missing or not isinstance(cc, str) or not isinstance(sm_count, int):
        return all_unavailable(
            f"{name} is not in the GPU table and NVML gave no {', '.join(missing)}"
        )
    boost, top = nvidia.sm_clock_boost_mhz, nvidia.sm_clock_max_mhz
    words = set(re.sub(r"[^a-z]+", " ", name.lower()).split())
    if not isinstance(boost, int) and ({"laptop", "mobile"} & words or "max" in words):
        # A laptop GPU's rated boost is the maker's choice (NVIDIA prints a range per
        # model); no typical clock is within a few percent of it.
        return all_unavailable(
            f"{name} is a laptop GPU outside the GPU table: its rated boost depends on the "
            "laptop's power limit and NVML reports none"
        )
    # Rates of the compute capability, else of the same major version's first entry (said so).
    archs = load_table()[0]
    same_major = (a for k, a in archs.items() if k.startswith(f"nvidia-{cc.split('.')[0]}."))
    arch = archs.get(f"nvidia-{cc}") or next((a for a in same_major if a.key.count("-") == 1), None)
    if arch is None:
        return all_unavailable(f"no per-SM rates known for compute capability {cc}")
    # NVML's max SM clock is the top of the clock curve (a 4080 SUPER: 3,105 MHz against
    # 2,550 rated): it only caps the typical boost, never stands in for it.
    if isinstance(boost, int):
        clock, note = float(boost), "rated boost: NVML max customer boost clock"
    else:
        clock, note = arch.boost_mhz, f"typical {arch.name} rated boost from the GPU table"
        if isinstance(top, int) and top < clock:
            clock, note = float(top), "NVML max SM clock, below the typical rated boost"
        note += "; NVML gave no rated boost for this GPU"
    if not 0 < sm_count <= 1024 or not 100 <= clock <= 5000:
        return all_unavailable(
            f"SM count ({sm_count}) or clock ({clock:g} MHz) is outside a plausible range"
        )
    if arch.key != f"nvidia-{cc}":
        note += f"; rates of compute capability {arch.compute_capability} assumed for {cc}"
    geforce = is_geforce_name(name)
    return MappingProxyType(formula_peaks(arch, sm_count, clock, geforce=geforce, clock_note=note))
