"""The shapes of the NVIDIA peak tables: :class:`GpuSpec` and the matching keys beside it.

Kept apart from :mod:`mfu_advisor.probe.gpu_peaks` so the data modules can
build entries without importing the lookup code. Import :class:`GpuSpec` from
``gpu_peaks``; it is re-exported there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.facts import PEAK_DTYPES, PeakFlops, Peaks


@dataclass(frozen=True)
class GpuSpec:
    """One NVIDIA GPU model as its datasheet describes it."""

    name: str
    """Name as NVML reports it (e.g. "NVIDIA H100 80GB HBM3" for the SXM5 part)."""
    compute_capability: str
    """CUDA compute capability, "major.minor"."""
    sm_count: Maybe[int]
    """Streaming multiprocessors."""
    boost_clock_mhz: Maybe[float]
    """Maximum boost clock of the SMs, in MHz."""
    memory_bytes: Maybe[int]
    """Memory size, the datasheet's GB taken as GiB (chips come in powers of two)."""
    peak_flops: Peaks
    """Dense peak per dtype (fp32, tf32, bf16, fp16, fp8), or why there is none."""
    source: str
    """Datasheet or whitepaper the numbers come from."""


@dataclass(frozen=True)
class GpuEntry:
    """A :class:`GpuSpec` plus the tokens that identify it in a name.

    A name matches when its model token equals :attr:`model`, its other tokens
    include one of :attr:`forms`, and every other token is in a form or in
    :attr:`optional` (see :func:`mfu_advisor.probe.gpu_peaks.name_tokens`).
    """

    spec: GpuSpec
    model: str
    """The model token ("h100", "4070", "l40s"); never a substring match."""
    forms: tuple[frozenset[str], ...] = field(default=(frozenset(),))
    """Qualifier sets, any one of which identifies this variant ({"pcie"}, {"ti"})."""
    optional: frozenset[str] = frozenset()
    """Qualifiers that may appear without changing the variant ("80gb", "hbm3")."""

    def __init__(
        self,
        spec: GpuSpec,
        *,
        model: str,
        forms: Iterable[Iterable[str]] = (frozenset(),),
        optional: Iterable[str] = (),
    ) -> None:
        object.__setattr__(self, "spec", spec)
        object.__setattr__(self, "model", model)
        object.__setattr__(self, "forms", tuple(frozenset(form) for form in forms))
        object.__setattr__(self, "optional", frozenset(optional))

    @property
    def allowed(self) -> frozenset[str]:
        """Every qualifier this entry tolerates."""
        out = set(self.optional)
        for form in self.forms:
            out |= form
        return frozenset(out)


def gib(n: float) -> int:
    """``n`` GiB in bytes."""
    return int(n * 2**30)


def tflops(value: float, source: str, *, note: str, estimated: bool = False) -> PeakFlops:
    """A peak given in TFLOP/s, stored in FLOP/s."""
    return PeakFlops(flops=value * 1e12, source=source, estimated=estimated, note=note)


def spec(
    name: str,
    compute_capability: str,
    sm_count: Maybe[int],
    boost_clock_mhz: Maybe[float],
    memory_bytes: Maybe[int],
    peaks: Mapping[str, PeakFlops | Unavailable],
    source: str,
) -> GpuSpec:
    """A :class:`GpuSpec` whose peaks carry every dtype of PEAK_DTYPES, in that order."""
    missing = [d for d in PEAK_DTYPES if d not in peaks]
    if missing:
        raise ValueError(f"{name}: no peak entry for {missing}")
    ordered = MappingProxyType({dtype: peaks[dtype] for dtype in PEAK_DTYPES})
    return GpuSpec(
        name, compute_capability, sm_count, boost_clock_mhz, memory_bytes, ordered, source
    )


#: A family's peak builder with its numbers filled in: source -> the peaks citing it.
PeakRates = Callable[[str], Mapping[str, PeakFlops | Unavailable]]


def entry(
    name: str,
    compute_capability: str,
    sm_count: Maybe[int],
    boost_clock_mhz: Maybe[float],
    memory_gib: float | Unavailable,
    rates: PeakRates,
    source: str,
    *,
    model: str,
    forms: Iterable[Iterable[str]] = (frozenset(),),
    optional: Iterable[str] = (),
) -> GpuEntry:
    """One table row: the datasheet's numbers, the ``source`` they cite, the name tokens.

    ``rates`` builds the peaks from the source (``_hopper(66.9, 494.7, 989.4, 1978.9)``
    in the data modules), so each peak cites the same datasheet as the row.
    """
    memory = memory_gib if isinstance(memory_gib, Unavailable) else gib(memory_gib)
    return GpuEntry(
        spec(name, compute_capability, sm_count, boost_clock_mhz, memory, rates(source), source),
        model=model,
        forms=forms,
        optional=optional,
    )


def variant(
    base: GpuEntry,
    name: str,
    *,
    memory_gib: float | None = None,
    forms: Iterable[Iterable[str]] | None = None,
    optional: Iterable[str] | None = None,
) -> GpuEntry:
    """Another product of the same chip at the same rates (a memory size, a form factor).

    The base row's peaks and citation carry over; only the name, the memory and
    the name tokens that tell the variant apart change.
    """
    changes: dict[str, object] = {"name": name}
    if memory_gib is not None:
        changes["memory_bytes"] = gib(memory_gib)
    return GpuEntry(
        dataclasses.replace(base.spec, **changes),  # type: ignore[arg-type]
        model=base.model,
        forms=base.forms if forms is None else forms,
        optional=base.optional if optional is None else optional,
    )
