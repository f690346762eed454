"""NVIDIA GPU peak FLOP/s: datasheet tables, name matching, and a formula fallback.

Lookups:

- :func:`find_nvidia_gpu` finds a table entry from a name as NVML reports it
  ("NVIDIA H100 80GB HBM3", "Tesla T4") or as a user types it ("RTX 4070 Ti",
  "4070ti", "a100", "H100 SXM"). Matching is token by token on normalised
  names, never by substring: "L4" is not "L40", "A10" is not "A100", "RTX
  4070" is not "RTX 4070 Ti", and "H100 PCIe" is not the SXM part.
- :func:`estimated_nvidia_peaks` computes peaks for any GPU from its compute
  capability, SM count and boost clock (SMs x FLOPs per SM per clock x clock),
  every value marked ``estimated`` with the formula in its ``source``.
- :func:`nvidia_peaks` is what the probe calls: the table when the name is
  known, else the formula from NVML's numbers.

Tables: :mod:`~mfu_advisor.probe.gpu_peaks_data` (data center) and
:mod:`~mfu_advisor.probe.gpu_peaks_data_rtx` (GeForce, workstation RTX).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType

from mfu_advisor.facts import Maybe, Unavailable, known
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops, Peaks
from mfu_advisor.probe.gpu_peaks_data import DATACENTER_GPUS
from mfu_advisor.probe.gpu_peaks_data_ampere import AMPERE_TURING_VOLTA_GPUS
from mfu_advisor.probe.gpu_peaks_data_rtx import RTX_GPUS
from mfu_advisor.probe.gpu_peaks_model import GpuEntry, GpuSpec

__all__ = [
    "GPU_TABLE",
    "GpuSpec",
    "estimated_nvidia_peaks",
    "find_nvidia_gpu",
    "is_geforce_name",
    "name_tokens",
    "nvidia_gpu_candidates",
    "nvidia_peaks",
]

#: Every GPU with datasheet (or whitepaper) peaks, in the order lookups prefer.
GPU_TABLE: tuple[GpuEntry, ...] = DATACENTER_GPUS + AMPERE_TURING_VOLTA_GPUS + RTX_GPUS

#: Words that carry no identity in a GPU name ("NVIDIA GeForce RTX 4090").
_NOISE = frozenset(
    {"nvidia", "geforce", "tesla", "rtx", "gpu", "graphics", "generation", "card", "the"}
)
_MEMORY = re.compile(r"\d+gb")
_NUMBER_SUFFIX = re.compile(r"(\d{3,5})([a-z]+)")  # "4070ti" -> "4070", "ti"
_BRAND_PREFIX = re.compile(r"(rtx|gtx)(\d.*)")  # "rtx4090" -> "rtx", "4090"


def name_tokens(name: str) -> tuple[str, ...]:
    """Normalised identity tokens of a GPU name, noise words removed.

    "NVIDIA GeForce RTX 4070Ti" -> ("4070", "ti"); "NVIDIA A100-SXM4-80GB" ->
    ("a100", "sxm4", "80gb"); "H100 80 GB" -> ("h100", "80gb").
    """
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
    return None, frozenset(tokens)


def nvidia_gpu_candidates(name: str) -> tuple[GpuSpec, ...]:
    """Table entries a name could mean: one when it is precise, several when it is not.

    An entry matches exactly when the model token is equal and one of its
    qualifier sets ({"pcie"}, {"ti"}) is present with nothing foreign. When no
    entry matches exactly, every variant of the model that tolerates the given
    qualifiers is returned ("H100" -> SXM, PCIe and NVL).
    """
    model, qualifiers = _model_and_qualifiers(name_tokens(name))
    if model is None:
        return ()
    same_model = [e for e in GPU_TABLE if e.model == model and qualifiers <= e.allowed]
    exact = [e for e in same_model if any(form <= qualifiers for form in e.forms)]
    if exact:
        best = max(max(len(f) for f in e.forms if f <= qualifiers) for e in exact)
        exact = [e for e in exact if max(len(f) for f in e.forms if f <= qualifiers) == best]
        return tuple(e.spec for e in exact)
    return tuple(e.spec for e in same_model)


def _same_peaks(specs: tuple[GpuSpec, ...]) -> bool:
    def key(spec: GpuSpec) -> tuple[float | None, ...]:
        return tuple(
            p.flops if isinstance(p, PeakFlops) else None for p in spec.peak_flops.values()
        )

    return len({key(s) for s in specs}) == 1


def find_nvidia_gpu(name: str) -> GpuSpec | None:
    """The table entry for a GPU name, or None when unknown or ambiguous.

    A name that could mean several variants with the same peaks (e.g. "A100",
    which has 40 and 80 GB versions) returns the first; one whose variants
    differ (e.g. "H100": SXM, PCIe, NVL) returns None. Use
    :func:`nvidia_gpu_candidates` to list them.
    """
    candidates = nvidia_gpu_candidates(name)
    if not candidates:
        return None
    if len(candidates) == 1 or _same_peaks(candidates):
        return candidates[0]
    return None


def is_geforce_name(name: str) -> bool:
    """True for consumer GeForce cards, whose NVML names contain "GeForce"."""
    return "geforce" in re.sub(r"[^a-z]+", " ", name.lower()).split()


@dataclass(frozen=True)
class SmRates:
    """Dense FLOPs per SM per clock of one architecture (compute capability)."""

    architecture: str
    fp32: int
    """CUDA-core fp32: FMA lanes x 2."""
    tf32: int | None
    bf16: int | None
    fp16: int | None
    """Tensor-core fp16 with fp32 accumulate (CUDA-core fp16 on Pascal)."""
    fp8: int | None
    geforce_halves: bool
    """GeForce parts run tensor math with fp32 accumulate at half these rates."""
    source: str


_VOLTA_WP = "NVIDIA Tesla V100 GPU Architecture whitepaper (8 tensor cores x 64 FMA per SM)"
_TURING_WP = "NVIDIA Turing GPU Architecture whitepaper, appendix A"
_A100_WP = "NVIDIA A100 Tensor Core GPU Architecture whitepaper, table 1"
_GA102_WP = "NVIDIA Ampere GA102 GPU Architecture whitepaper, appendix A"
_ORIN_NOTE = (
    "Jetson AGX Orin technical brief (GA10B tensor cores at the A100 per-SM rate: "
    "170 sparse INT8 TOPS from 16 SMs at 1.3 GHz)"
)
_ADA_WP = "NVIDIA Ada GPU Architecture whitepaper, appendix A"
_HOPPER_WP = "NVIDIA H100 Tensor Core GPU Architecture whitepaper, table 3"
_BLACKWELL = "NVIDIA HGX B200 specifications (2x the Hopper per-SM tensor rate)"
_BLACKWELL_RTX = "NVIDIA RTX Blackwell GPU Architecture whitepaper, appendix A"

#: Per-SM dense rates by compute capability. Tensor rates are fp16/bf16 with
#: fp32 accumulate on data-center and workstation parts.
SM_RATES: MappingProxyType[str, SmRates] = MappingProxyType(
    {
        "6.0": SmRates(
            "Pascal GP100",
            128,
            None,
            None,
            256,
            None,
            False,
            "NVIDIA Tesla P100 whitepaper (64 fp32 cores, fp16 at 2x)",
        ),
        "6.1": SmRates(
            "Pascal GP10x",
            256,
            None,
            None,
            None,
            None,
            False,
            "NVIDIA GeForce GTX 1080 whitepaper (128 fp32 cores; fp16 at 1/64)",
        ),
        "7.0": SmRates("Volta", 128, None, None, 1024, None, False, _VOLTA_WP),
        "7.2": SmRates("Volta (Xavier)", 128, None, None, 1024, None, False, _VOLTA_WP),
        "7.5": SmRates("Turing", 128, None, None, 1024, None, True, _TURING_WP),
        "8.0": SmRates("Ampere GA100", 128, 1024, 2048, 2048, None, False, _A100_WP),
        "8.6": SmRates("Ampere GA10x", 256, 512, 1024, 1024, None, True, _GA102_WP),
        "8.7": SmRates("Ampere GA10B (Orin)", 256, 1024, 2048, 2048, None, False, _ORIN_NOTE),
        "8.9": SmRates("Ada Lovelace", 256, 512, 1024, 1024, 2048, True, _ADA_WP),
        "9.0": SmRates("Hopper", 256, 2048, 4096, 4096, 8192, False, _HOPPER_WP),
        "10.0": SmRates("Blackwell (data center)", 256, 4096, 8192, 8192, 16384, False, _BLACKWELL),
        "12.0": SmRates("Blackwell (RTX)", 256, 512, 1024, 1024, 2048, True, _BLACKWELL_RTX),
    }
)


_MISSING = {
    "tf32": "TF32 tensor cores arrived with Ampere (compute capability 8.0)",
    "bf16": "no bf16 tensor cores before Ampere (compute capability 8.0)",
    "fp8": "no FP8 tensor cores before Ada (8.9) and Hopper (9.0)",
}


def _rates_for(compute_capability: str) -> tuple[SmRates | None, str]:
    """Rates for a compute capability, falling back to the same major version's first entry."""
    cc = compute_capability.strip()
    if cc in SM_RATES:
        return SM_RATES[cc], ""
    major = cc.split(".", 1)[0]
    for key, rates in SM_RATES.items():
        if key.split(".", 1)[0] == major:
            return rates, f"rates of compute capability {key} assumed for {cc}"
    return None, ""


def estimated_nvidia_peaks(
    compute_capability: str,
    sm_count: int,
    boost_clock_mhz: float,
    *,
    geforce: bool = False,
) -> Peaks:
    """Peaks from SMs x FLOPs per SM per clock x clock, all ``estimated``.

    ``geforce`` halves the tensor rates of architectures whose GeForce parts
    accumulate in fp32 at half rate (Turing, GA10x, Ada, RTX Blackwell).
    """
    rates, assumption = _rates_for(compute_capability)
    if rates is None:
        reason = f"no per-SM rates known for compute capability {compute_capability}"
        return MappingProxyType({dtype: Unavailable(reason) for dtype in PEAK_DTYPES})
    if sm_count <= 0 or boost_clock_mhz <= 0:
        reason = f"SM count ({sm_count}) or clock ({boost_clock_mhz} MHz) is not positive"
        return MappingProxyType({dtype: Unavailable(reason) for dtype in PEAK_DTYPES})
    out: dict[str, PeakFlops | Unavailable] = {}
    for dtype in PEAK_DTYPES:
        per_sm = getattr(rates, dtype)
        if per_sm is None:
            out[dtype] = Unavailable(_MISSING.get(dtype, f"{rates.architecture} has no {dtype}"))
            if rates.architecture.startswith("Pascal GP10x") and dtype == "fp16":
                out[dtype] = Unavailable("Pascal GP10x runs fp16 at 1/64 of the fp32 rate")
            continue
        halved = geforce and rates.geforce_halves and dtype != "fp32"
        if halved:
            per_sm //= 2
        unit = (
            "CUDA cores"
            if dtype == "fp32" or rates.architecture.startswith("Pascal")
            else ("tensor cores, fp32 accumulate")
        )
        notes = ["dense", unit]
        if halved:
            notes.append("GeForce half rate")
        elif rates.geforce_halves and dtype != "fp32":
            notes.append("data-center/workstation rate; GeForce cards reach half")
        if assumption:
            notes.append(assumption)
        formula = (
            f"estimate: {sm_count} SMs x {per_sm} FLOP/clk/SM ({rates.architecture}) x "
            f"{boost_clock_mhz:g} MHz; per-SM rate from {rates.source}"
        )
        out[dtype] = PeakFlops(
            flops=sm_count * per_sm * boost_clock_mhz * 1e6,
            source=formula,
            estimated=True,
            note="; ".join(notes),
        )
    return MappingProxyType(out)


def nvidia_peaks(
    name: Maybe[str] | None,
    compute_capability: Maybe[str] | None,
    sm_count: Maybe[int] | None,
    boost_clock_mhz: Maybe[float] | None,
) -> Peaks:
    """Peaks of one NVIDIA GPU: the datasheet table by name, else the formula.

    Arguments are what NVML reported (each may be ``Unavailable``). Returns all
    dtypes Unavailable, with the reason, when neither route works.
    """
    if known(name):
        spec = find_nvidia_gpu(str(name))
        if spec is not None:
            return spec.peak_flops
    if known(compute_capability) and known(sm_count) and known(boost_clock_mhz):
        return estimated_nvidia_peaks(
            str(compute_capability),
            int(sm_count),  # type: ignore[arg-type]
            float(boost_clock_mhz),  # type: ignore[arg-type]
            geforce=known(name) and is_geforce_name(str(name)),
        )
    missing = [
        label
        for label, value in (
            ("compute capability", compute_capability),
            ("SM count", sm_count),
            ("max SM clock", boost_clock_mhz),
        )
        if not known(value)
    ]
    shown = name if known(name) else "this GPU"
    reason = f"{shown} is not in the datasheet table and NVML gave no {', '.join(missing)}"
    return MappingProxyType({dtype: Unavailable(reason) for dtype in PEAK_DTYPES})
