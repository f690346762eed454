"""Sampling the hardware while the user's job runs: CPUs, the job's process tree, memory, GPUs.

A reading that fails is None in that sample, never a made-up number. A sample costs about a
millisecond of CPU (benchmarks/run_overhead.py); docs/run.md lists what is sampled.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import NamedTuple

import psutil

from mfu_advisor.probe.nvml_live import GpuSample, NvmlReader


class Sample(NamedTuple):
    """The machine and the job at one moment."""

    t_s: float
    """Seconds since the job started."""
    cpu_percent: tuple[float, ...]
    """Utilisation of each CPU since the previous sample, 0-100."""
    job_cpu_percent: float | None
    """The job's processes' CPU time since the previous sample, as % of one core."""
    job_threads: int | None
    job_rss_bytes: int | None
    memory_used_bytes: int
    memory_total_bytes: int
    load_1min: float | None
    gpus: tuple[GpuSample, ...]


class ProcessTree:
    """The child and its descendants, with each one's CPU time at the last look."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._seen: dict[int, tuple[psutil.Process, float]] = {}
        self._last = time.monotonic()

    def pids(self) -> set[int]:
        """The pids of the tree at the last read."""
        return set(self._seen)

    def read(self) -> tuple[float | None, int | None, int | None]:
        """(CPU % of one core since the last read, threads, RSS bytes)."""
        now = time.monotonic()
        elapsed = now - self._last
        self._last = now
        try:
            root = psutil.Process(self.pid)
            members = [root, *root.children(recursive=True)]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None, None, None
        used = 0.0
        threads = 0
        rss = 0
        seen: dict[int, tuple[psutil.Process, float]] = {}
        for member in members:
            known = self._seen.get(member.pid)
            process = known[0] if known and known[0].is_running() else member
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    total = times.user + times.system
                    threads += process.num_threads()
                    rss += process.memory_info().rss
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            # A process not seen at the last read started since (the whole tree is listed each
            # time), so all of its CPU time falls in this interval. (Its create_time cannot
            # decide: psutil derives it from the boot time, in whole seconds.)
            before = known[1] if known else 0.0
            used += max(0.0, total - before)
            seen[member.pid] = (process, total)
        first = not self._seen
        self._seen = seen
        if first or elapsed <= 0:
            return None, threads, rss
        return 100.0 * used / elapsed, threads, rss


class HardwareSampler:
    """Takes a :class:`Sample` of the machine and one process tree on each call."""

    def __init__(self, pid: int, nvml: NvmlReader | str | None, started: float) -> None:
        self.tree = ProcessTree(pid)
        self.nvml = nvml if isinstance(nvml, NvmlReader) else None
        self.gpu_unavailable = nvml if isinstance(nvml, str) else None
        self.started = started
        self.samples: list[Sample] = []
        psutil.cpu_percent(percpu=True)  # the first call only starts the interval
        self.tree.read()

    def sample(self) -> Sample:
        cpus = tuple(float(x) for x in psutil.cpu_percent(percpu=True))
        job_cpu, threads, rss = self.tree.read()
        memory = psutil.virtual_memory()
        load: float | None = None
        with contextlib.suppress(OSError, AttributeError):
            load = os.getloadavg()[0]
        gpus = self.nvml.read(self.tree.pids()) if self.nvml is not None else ()
        taken = Sample(
            t_s=time.monotonic() - self.started,
            cpu_percent=cpus,
            job_cpu_percent=job_cpu,
            job_threads=threads,
            job_rss_bytes=rss,
            memory_used_bytes=int(memory.total - memory.available),
            memory_total_bytes=int(memory.total),
            load_1min=load,
            gpus=gpus,
        )
        self.samples.append(taken)
        return taken

    @property
    def gpu_names(self) -> list[str]:
        return list(self.nvml.names) if self.nvml is not None else []

    def close(self) -> None:
        if self.nvml is not None:
            self.nvml.close()
