"""How much CPU other processes used while the diagnosis measured: the noise's usual cause.

Around each bench process the diagnosis reads the machine's busy CPU time
(``/proc/stat``, the "cpu" line: user + nice + system + irq + softirq, in
``USER_HZ`` ticks; proc(5)) and the CPU time of this process and its waited-for
children (``getrusage``). Busy time that is not ours was other processes':
divided by the wall time and the CPU count, it is their share of the machine.
Linux only; elsewhere nothing is measured. Reads only.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")

#: Fields of /proc/stat's "cpu" line that count as busy (proc(5)): user, nice,
#: system, irq, softirq. idle, iowait and steal are not.
_BUSY_FIELDS = (0, 1, 2, 5, 6)


@dataclass(frozen=True)
class CpuSample:
    """A reading of the machine's and our own CPU time, in seconds."""

    machine_busy_s: float
    ours_s: float


def sample(stat_path: Path = PROC_STAT) -> CpuSample | None:
    """The machine's busy CPU seconds and ours (this process, finished children); None off Linux."""
    try:
        first = stat_path.read_text(encoding="ascii").splitlines()[0].split()
        ticks = [int(v) for v in first[1:]]
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
    busy = sum(ticks[i] for i in _BUSY_FIELDS if i < len(ticks)) / hz
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    return CpuSample(busy, ours)


def others_share(
    before: CpuSample | None, after: CpuSample | None, wall_s: float, cpus: int
) -> float | None:
    """Share (0-1) of the machine's CPUs other processes kept busy between two samples."""
    if before is None or after is None or wall_s <= 0 or cpus <= 0:
        return None
    others = (after.machine_busy_s - before.machine_busy_s) - (after.ours_s - before.ours_s)
    return min(1.0, max(0.0, others / (wall_s * cpus)))
