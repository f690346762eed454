"""Which clock a CPU peak is computed at, where it came from, and what that means for the peak.

Only cpufreq's ``cpuinfo_max_freq`` (and the Apple table) give the maximum clock; the other
sources (a guest's "cpu MHz": the current or TSC frequency, the brand string, ``base_frequency``)
are below it, so the peak may be exceeded (docs/probe.md; Documentation/admin-guide/pm/cpufreq.rst,
arch/x86/kernel/cpu/proc.c).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mfu_advisor.facts import Unavailable
from mfu_advisor.files import data_file


class PeakClock(NamedTuple):
    """The clock a peak is computed at (NamedTuple: cheap at import, see cpu.py)."""

    mhz: float | None
    """None when no clock is known at all."""
    source: str
    """Stable keyword for where the clock came from (:func:`clock_sources`)."""
    is_max: bool
    """True when ``mhz`` is the maximum (turbo) clock, so the peak is an upper bound."""
    label: str
    """A few words for the peak's formula ("max turbo clock, cpufreq")."""
    note: str
    """One sentence for the peak's note and the report: which clock, and what it implies."""


def clock_sources() -> dict[str, dict[str, Any]]:
    """``cpu.clock_source`` values, in the order the probe tries them on Linux (cpus.toml)."""
    return data_file("cpus.toml")["clock_source"]  # type: ignore[no-any-return]


def peak_clock(clock_source: str, mhz: float, **details: str) -> PeakClock:
    """A clock of ``mhz`` from ``clock_source``, in the words cpus.toml gives that source."""
    row = clock_sources()[clock_source]
    note = row["note"].format(mhz=mhz, **details)
    return PeakClock(mhz, clock_source, row["is_max"], row["label"], note)


def table_boost_clock(
    mhz: float, base_mhz: float, source: str, *, cpufreq_missing: bool = False
) -> PeakClock:
    """The model's max boost from the vendor's spec page, where cpufreq does not give it."""
    why = (
        "cpufreq gives no maximum here"
        if cpufreq_missing
        else f"cpufreq's cpuinfo_max_freq ({base_mhz:.0f} MHz) is the base P-state under "
        "acpi-cpufreq with boost on"
    )
    return peak_clock("model_table_boost", mhz, source=source, why=why)


def boost_above_clock(mhz: float) -> PeakClock:
    """cpufreq's max under acpi-cpufreq with boost on, and no model entry: base, boost unknown."""
    return PeakClock(
        mhz,
        "cpufreq_base",
        False,
        "base clock; boost unknown",
        f"at {mhz:.0f} MHz, cpufreq's cpuinfo_max_freq, which under acpi-cpufreq with boost on "
        "is the base P-state: the boost clock is unknown, so the peak may be an underestimate "
        "and a measured matmul can exceed it",
    )


def cpuinfo_clock(mhz: float, hypervisor: str | None) -> PeakClock:
    """/proc/cpuinfo's "cpu MHz" on a machine without cpufreq."""
    if hypervisor:
        name = hypervisor.split(" (", 1)[0]  # "KVM (virtio devices; ...)" -> "KVM"
        return peak_clock("hypervisor_cpu_mhz", mhz, name=name)
    return peak_clock("cpuinfo_cpu_mhz", mhz)


NO_CLOCK = PeakClock(None, "unknown", False, "no clock", "no clock known, so no peak")


def clock_fields(*clocks: PeakClock) -> dict[str, Any]:
    """The clock fields of CoreTypeFacts / CpuFacts for the given core types' clocks."""
    first = clocks[0] if clocks else NO_CLOCK
    return {
        "peak_clock_mhz": first.mhz if first.mhz is not None else Unavailable(first.note),
        "clock_source": first.source,
        "peak_clock_is_max": bool(clocks) and all(c.is_max for c in clocks),
        "clock_note": first.note,
    }
