"""How findings write a change as nanoGPT flags. Numbers are written by mfu_advisor.units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.units import cpu_list


def nanogpt_flags(options: Mapping[str, Any]) -> str:
    """{"batch_size": 48, "compile": True} -> "--batch_size=48 --compile=True" (nanoGPT syntax)."""
    parts = []
    for name, value in options.items():
        if name == "cpus" and isinstance(value, (list, tuple)):
            parts.append(f"--cpus={cpu_list(value)}")
        else:
            parts.append(f"--{name}={value}")
    return " ".join(parts)
