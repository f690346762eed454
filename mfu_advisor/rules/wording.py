"""How findings write numbers: FLOP/s, percentages, factors, sizes. Pure formatting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.cpu_list import format_cpu_list


def flops(value: float) -> str:
    """12.3e9 -> "12.3 GFLOP/s"; picks G, T or P so that 1-3 digits lead."""
    for scale, unit in ((1e15, "PFLOP/s"), (1e12, "TFLOP/s"), (1e9, "GFLOP/s"), (1e6, "MFLOP/s")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} FLOP/s"


def percent(fraction: float) -> str:
    """0.4567 -> "46%", 0.0002 -> "0.02%": two significant digits below 10%."""
    shown = fraction * 100
    if abs(shown) >= 10:
        return f"{shown:.0f}%"
    return f"{shown:.2g}%"


def factor(value: float) -> str:
    """1.4234 -> "1.42x"; 0.0625 -> "0.063x"."""
    if value >= 0.1:
        return f"{value:.2f}x"
    return f"{value:.2g}x"


def slower(value: float) -> str:
    """A speedup below 1 as "how many times slower": 0.0625 -> "16x slower"."""
    if value <= 0:
        return "no progress at all"
    times = 1 / value
    return f"{times:.0f}x slower" if times >= 10 else f"{times:.2g}x slower"


def gib(value: float) -> str:
    """Bytes as GiB with one decimal."""
    return f"{value / 2**30:.1f} GiB"


def plus_minus(noise: float) -> str:
    """0.034 -> "+-3.4%", 1.3 -> "+-130%"."""
    shown = noise * 100
    return f"+-{shown:.0f}%" if shown >= 10 else f"+-{shown:.2g}%"


def nanogpt_flags(options: Mapping[str, Any]) -> str:
    """{"batch_size": 48, "compile": True} -> "--batch_size=48 --compile=True" (nanoGPT syntax)."""
    parts = []
    for name, value in options.items():
        if name == "cpus" and isinstance(value, (list, tuple)):
            parts.append(f"--cpus={format_cpu_list(value)}")
        else:
            parts.append(f"--{name}={value}")
    return " ".join(parts)
