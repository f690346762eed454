"""Reading ``/proc/cpuinfo``: CPU identity and the ISA features that decide matmul speed.

Field names are those of the kernel's ``show_cpuinfo`` (arch/x86/kernel/cpu/proc.c,
arch/arm64/kernel/cpuinfo.c, https://github.com/torvalds/linux).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.files import data_file


def isa_order(arch: str) -> tuple[str, ...]:
    """Canonical ISA names worth reporting for "x86" or "arm", in report order (cpus.toml)."""
    return tuple(data_file("cpus.toml")["isa"][arch])


class CpuinfoBlock(NamedTuple):
    """One logical CPU's block of ``/proc/cpuinfo``, as key/value text."""

    fields: Mapping[str, str]

    def get(self, key: str) -> str | None:
        return self.fields.get(key)

    def get_int(self, key: str, base: int = 10) -> int | None:
        """An integer field, or None when absent or garbled (callers give the reason)."""
        raw = self.fields.get(key)
        if raw is None:
            return None
        try:
            return int(raw.strip(), base)
        except ValueError:
            return None


def parse_cpuinfo(text: str) -> tuple[CpuinfoBlock, ...]:
    """Split ``/proc/cpuinfo`` into one block per logical CPU (plus arm64's trailer block)."""
    blocks: list[CpuinfoBlock] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(CpuinfoBlock(current))
                current = {}
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        current[key.strip()] = value.strip()
    if current:
        blocks.append(CpuinfoBlock(current))
    return tuple(blocks)


def processor_blocks(blocks: Sequence[CpuinfoBlock]) -> dict[int, CpuinfoBlock]:
    """Blocks that describe a logical CPU, keyed by their ``processor`` number."""
    out: dict[int, CpuinfoBlock] = {}
    for block in blocks:
        number = block.get_int("processor")
        if number is not None and 0 <= number < MAX_CPUS:
            out[number] = block
    return out


def isa_names(arch: str, words: str) -> tuple[str, ...]:
    """Canonical ISA names present in an x86 ``flags`` or arm64 ``Features`` line, in order."""
    present = set(words.split())
    return tuple(name for name in isa_order(arch) if name in present)


def isa_from_blocks(blocks: Iterable[CpuinfoBlock]) -> Maybe[tuple[str, ...]]:
    """The ISA features every CPU has (the intersection: a thread may run on any of them)."""
    common: set[str] | None = None
    order: tuple[str, ...] = ()
    for block in blocks:
        arch = "x86" if "flags" in block.fields else "arm" if "Features" in block.fields else ""
        if not arch:
            continue
        order = isa_order(arch)
        names = set(isa_names(arch, block.fields["flags" if arch == "x86" else "Features"]))
        common = names if common is None else common & names
    if common is None:
        return Unavailable("/proc/cpuinfo has no flags or Features line")
    return tuple(name for name in order if name in common)


_BRAND_CLOCK = re.compile(r"@\s*([0-9]+(?:\.[0-9]+)?)\s*GHz", re.IGNORECASE)


def clock_from_model_name(model_name: str) -> float | None:
    """The nominal clock printed in an Intel brand string ("... @ 2.40GHz"), in MHz."""
    match = _BRAND_CLOCK.search(model_name)
    if match is None:
        return None
    return float(match.group(1)) * 1000.0


#: The most CPUs a Linux kernel can have: CONFIG_NR_CPUS is at most 8192 (x86_64
#: with MAXSMP; arm64 allows 4096), arch/x86/Kconfig and arch/arm64/Kconfig. A CPU
#: number at or above it is a garbled or crafted file, not a machine.
MAX_CPUS = 8192


def parse_cpu_list(text: str) -> tuple[int, ...] | None:
    """Parse a kernel CPU list such as ``"0-3,8,10-11"`` (lib/bitmap.c's list format)."""
    cpus: set[int] = set()
    text = text.strip()
    if not text:
        return ()
    for part in text.split(",")[:MAX_CPUS]:
        first, sep, last = part.strip().partition("-")
        try:
            low = int(first)
            high = int(last) if sep else low
        except ValueError:
            return None
        if not 0 <= low <= high < MAX_CPUS:
            return None
        cpus.update(range(low, high + 1))
    return tuple(sorted(cpus))
