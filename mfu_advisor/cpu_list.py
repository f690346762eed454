"""Reading CPU lists in the taskset/cpuset syntax (``units.cpu_list`` writes them)."""

from __future__ import annotations

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
