"""Which clock a CPU peak is computed at, where it came from, and what that means for the peak.

A CPU peak is cores x FLOPs per cycle x clock, so the clock decides whether
the peak is an upper bound or may be exceeded. Only cpufreq's
``cpuinfo_max_freq`` (and the Apple table) give the maximum (turbo) clock.
The other sources give a nominal or current clock below it:

- a KVM/QEMU guest has no cpufreq; ``/proc/cpuinfo``'s "cpu MHz" there is the
  host's nominal (TSC) clock that the hypervisor reports, and the host may
  boost well above it (on this project's 2-core EPYC guest a measured fp32
  matmul reached 161-178 GFLOP/s against a 156.5 GFLOP/s estimate at the
  reported 2445 MHz);
- on bare metal without cpufreq it is the clock at the moment of reading;
- the brand string's "@ 2.40GHz" and cpufreq's ``base_frequency`` are the
  base clock.

The kernel documents "cpu MHz" as the current frequency where cpufreq knows
it and the TSC frequency otherwise (Documentation/admin-guide/pm/cpufreq.rst,
arch/x86/kernel/cpu/proc.c, https://github.com/torvalds/linux).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mfu_advisor.facts import Unavailable


class PeakClock(NamedTuple):
    """The clock a peak is computed at (NamedTuple: cheap at import, see cpu.py)."""

    mhz: float | None
    """None when no clock is known at all."""
    source: str
    """Stable keyword for where the clock came from (:data:`CLOCK_SOURCES`)."""
    is_max: bool
    """True when ``mhz`` is the maximum (turbo) clock, so the peak is an upper bound."""
    label: str
    """A few words for the peak's formula ("max turbo clock, cpufreq")."""
    note: str
    """One sentence for the peak's note and the report: which clock, and what it implies."""


#: ``cpu.clock_source`` values, in the order the probe tries them on Linux.
CLOCK_SOURCES: dict[str, str] = {
    "cpufreq_max": "cpufreq cpuinfo_max_freq: the maximum turbo clock",
    "model_table_boost": "the CPU model's max boost clock from the vendor's spec page "
    "(cpufreq shows only the base P-state under acpi-cpufreq with boost on)",
    "cpufreq_base": "cpufreq base_frequency: the base clock; no maximum known",
    "brand_string": "the '@ x.xxGHz' of the model name: the base clock; no maximum known",
    "hypervisor_cpu_mhz": "/proc/cpuinfo 'cpu MHz' in a VM: the nominal clock the hypervisor "
    "reports; the host's boost clock is unknown",
    "cpuinfo_cpu_mhz": "/proc/cpuinfo 'cpu MHz' without cpufreq: the clock when probed",
    "apple_table": "table of measured Apple-silicon core clocks (macOS reports none)",
    "advertised": "the advertised clock py-cpuinfo reads (non-Linux fallback)",
    "sysctl_cpufrequency": "macOS hw.cpufrequency(_max) on an Intel Mac: the nominal clock",
    "unknown": "no clock known: no peak",
}

_UNDERESTIMATE = "so the peak may be an underestimate and a measured matmul can exceed it"


def max_clock(mhz: float) -> PeakClock:
    """cpufreq's ``cpuinfo_max_freq``: the single-core turbo clock, an upper bound."""
    return PeakClock(
        mhz,
        "cpufreq_max",
        True,
        "max turbo clock, cpufreq",
        f"at {mhz:.0f} MHz, the maximum turbo clock (cpufreq cpuinfo_max_freq); all-core and "
        "AVX clocks are lower, so the peak is an upper bound",
    )


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
    return PeakClock(
        mhz,
        "model_table_boost",
        True,
        "max boost clock, vendor spec page",
        f"at {mhz:.0f} MHz, the model's max boost clock ({source}); {why}; all-core clocks "
        "are lower, so the peak is an upper bound",
    )


def boost_above_clock(mhz: float) -> PeakClock:
    """cpufreq's max under acpi-cpufreq with boost on, and no model entry: base, boost unknown."""
    return PeakClock(
        mhz,
        "cpufreq_base",
        False,
        "base clock; boost unknown",
        f"at {mhz:.0f} MHz, cpufreq's cpuinfo_max_freq, which under acpi-cpufreq with boost on "
        f"is the base P-state: the boost clock is unknown, {_UNDERESTIMATE}",
    )


def base_clock(mhz: float, *, from_brand_string: bool) -> PeakClock:
    """The base clock, from cpufreq ``base_frequency`` or the brand string; turbo unknown."""
    where = "the model name's '@ GHz'" if from_brand_string else "cpufreq base_frequency"
    return PeakClock(
        mhz,
        "brand_string" if from_brand_string else "cpufreq_base",
        False,
        "base clock; turbo unknown",
        f"at {mhz:.0f} MHz, the base clock from {where}: with no cpufreq maximum the turbo "
        f"clock is unknown, {_UNDERESTIMATE}",
    )


def cpuinfo_clock(mhz: float, hypervisor: str | None) -> PeakClock:
    """/proc/cpuinfo's "cpu MHz" on a machine without cpufreq."""
    if hypervisor:
        name = hypervisor.split(" (", 1)[0]  # "KVM (virtio devices; ...)" -> "KVM"
        return PeakClock(
            mhz,
            "hypervisor_cpu_mhz",
            False,
            "nominal clock reported by the hypervisor; real boost clock unknown",
            f"at {mhz:.0f} MHz, the nominal clock the hypervisor reports in /proc/cpuinfo "
            f"'cpu MHz' ({name} guest, no cpufreq): the host's real boost clock is unknown, "
            f"{_UNDERESTIMATE}",
        )
    return PeakClock(
        mhz,
        "cpuinfo_cpu_mhz",
        False,
        "clock when probed; max unknown",
        f"at {mhz:.0f} MHz, the clock /proc/cpuinfo 'cpu MHz' showed when probed (no "
        f"cpufreq): the maximum clock is unknown, {_UNDERESTIMATE}",
    )


def apple_clock(mhz: float, source: str) -> PeakClock:
    """An Apple-silicon core clock from the measured table (``source`` cites it)."""
    return PeakClock(
        mhz,
        "apple_table",
        True,
        "max clock, measured table",
        f"at {mhz:.0f} MHz, the core's maximum clock; {source}",
    )


def advertised_clock(mhz: float, *, on_mac: bool = False) -> PeakClock:
    """The nominal clock py-cpuinfo (or an Intel Mac's sysctl) advertises; turbo unknown."""
    where = "macOS hw.cpufrequency" if on_mac else "py-cpuinfo"
    return PeakClock(
        mhz,
        "sysctl_cpufrequency" if on_mac else "advertised",
        False,
        "advertised clock; turbo unknown",
        f"at {mhz:.0f} MHz, the advertised clock ({where}): the turbo clock is unknown, "
        f"{_UNDERESTIMATE}",
    )


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
