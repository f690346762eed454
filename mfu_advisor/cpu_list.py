"""CPU lists in the taskset/cpuset syntax: ``"0-3,6"`` <-> (0, 1, 2, 3, 6).

Shared by every layer that reads ``--cpus`` or prints an affinity.
"""

from __future__ import annotations

from collections.abc import Sequence

from mfu_advisor.errors import UserError


def parse_cpu_list(text: str) -> tuple[int, ...]:
    """``"0-3,6"`` -> (0, 1, 2, 3, 6), the taskset/cpuset list syntax."""
    cpus: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        try:
            if "-" in part:
                low, high = (int(p) for p in part.split("-", 1))
                if low > high or low < 0:
                    raise ValueError
                cpus.update(range(low, high + 1))
            else:
                number = int(part)
                if number < 0:
                    raise ValueError
                cpus.add(number)
        except ValueError:
            raise UserError(f"--cpus: cannot read {part!r}; write a list such as 0-3,6") from None
    if not cpus:
        raise UserError("--cpus needs at least one CPU, such as 0-3,6")
    return tuple(sorted(cpus))


def format_cpu_list(cpus: Sequence[int]) -> str:
    """(0, 1, 2, 3, 6) -> ``"0-3,6"``."""
    ordered = sorted(set(cpus))
    parts: list[str] = []
    start = prev = ordered[0]
    for cpu in [*ordered[1:], None]:
        if cpu is not None and cpu == prev + 1:
            prev = cpu
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if cpu is not None:
            start = prev = cpu
    return ",".join(parts)
