"""How mfu-advisor writes a number for people: one function per unit, used by every layer,
so a figure reads the same in every format (an MFU of 0.4567 is "45.7%"). Finite numbers
only: report/values.py wraps these for values that may be missing."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

#: SI prefixes, largest first (powers of 1000).
SI_PREFIXES = ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def significant(value: float, digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits, trailing zeros kept: 61.2, 1.50, 0.412."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    shown = f"{value:.{decimals}f}"
    # Rounding may add a digit (999.6 -> "1000"); one fewer decimal keeps three.
    if decimals and len(shown.lstrip("-").replace(".", "").lstrip("0")) > digits:
        shown = f"{value:.{decimals - 1}f}"
    return shown


def si(value: float, unit: str = "") -> str:
    """Three significant digits and an SI prefix: "61.2 GFLOP/s", "5.19 MFLOP", "312 T"."""
    magnitude = abs(value)
    for scale, prefix in SI_PREFIXES:
        if magnitude >= scale * 0.9995:  # 999.96e9 is "1.00 T", not "1000 G"
            return f"{significant(value / scale)} {prefix}{unit}"
    return f"{significant(value)} {unit}".rstrip()


def flops(value: float) -> str:
    """FLOP/s with an SI prefix: "61.2 GFLOP/s"."""
    return si(value, "FLOP/s")


def tick(value: float) -> str:
    """A chart axis label, as short as it can be: 0.5, 12, 1.5k, 120M, 3.1G."""
    magnitude = abs(value)
    for scale, prefix in SI_PREFIXES:
        if magnitude >= scale:
            return f"{value / scale:.3g}{prefix}"
    return f"{value:.3g}"


def percent(fraction: float) -> str:
    """A fraction as a percentage: 0.4567 -> "45.7%", 0.31 -> "31%", 0.000195 -> "0.0195%"
    (below 1%, three significant digits, so a tiny MFU keeps its figure)."""
    shown = fraction * 100
    if shown == 0:
        return "0%"
    if abs(shown) >= 1:
        return f"{_one_decimal(shown)}%"
    return f"{shown:.3g}%"


def plus_minus(relative: float) -> str:
    """A relative half-width (noise, a confidence interval) as "±3.5%", "±6%"."""
    return f"±{_one_decimal(relative * 100)}%"


def _one_decimal(value: float) -> str:
    shown = f"{value:.1f}"
    return shown.removesuffix(".0")


def factor(value: float) -> str:
    """A ratio: "1.42x"; from 10 on a whole number ("16x"); below 0.1 two digits ("0.063x"):
    no more digits than a measurement with a few percent of noise holds."""
    if value >= 10:
        return f"{value:.0f}x"
    if value >= 0.1:
        return f"{value:.2f}x"
    return f"{value:.2g}x"


def speedup(value: float) -> str:
    """A speed ratio in words: "1.42x faster", "1.16x slower", "16x slower" (0.0625), "1.00x"."""
    if value >= 1.005:
        return f"{factor(value)} faster"
    if value <= 0.995:
        return slower(value)
    return "1.00x (same)"


def slower(value: float) -> str:
    """A speed ratio below 1 as how many times slower: 0.86 -> "1.16x slower"."""
    if value <= 0:
        return "no progress at all"
    return f"{factor(1 / value)} slower"


def milliseconds(value: float) -> str:
    """A duration in ms: "65.2 ms", "0.412 ms", "1,145 ms"."""
    if abs(value) >= 1000:
        return f"{value:,.0f} ms"
    return f"{significant(value)} ms"


def seconds(value: float) -> str:
    """A duration in seconds: "83.4 s", "1,250 s"."""
    return f"{value:,.1f} s" if abs(value) < 1000 else f"{value:,.0f} s"


def count(value: float) -> str:
    """A whole number with thousands separators: "11,781"."""
    return f"{value:,.0f}"


def rate(value: float, unit: str = "tokens/s") -> str:
    """A throughput: "11,781 tokens/s"; below 100 three significant digits ("4.25 tokens/s")."""
    return f"{value:,.0f} {unit}" if abs(value) >= 100 else f"{significant(value)} {unit}"


def size_bytes(value: float) -> str:
    """Bytes in binary units: "22.9 GiB", "512 KiB"."""
    for scale, prefix in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if abs(value) >= scale:
            return f"{significant(value / scale)} {prefix}"
    return f"{value:.0f} B"


def cpu_list(cpus: Sequence[int]) -> str:
    """CPU numbers as Linux writes a CPU list: (0, 1, 2, 3, 6) -> "0-3,6"."""
    parts = []
    # Consecutive numbers share their difference from their position in the sorted list.
    for _, run in itertools.groupby(enumerate(sorted(set(cpus))), lambda pair: pair[1] - pair[0]):
        group = [cpu for _, cpu in run]
        parts.append(f"{group[0]}-{group[-1]}" if len(group) > 1 else str(group[0]))
    return ",".join(parts)
