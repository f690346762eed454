"""Sampling the hardware while the user's job runs: CPUs, the job's processes, memory, GPUs.

Every ``--interval`` seconds one :class:`Sample` is taken:

- per-CPU utilisation since the last sample (psutil, from /proc/stat on Linux);
- the job's process tree (the child and every descendant, DataLoader workers
  and torchrun ranks included): CPU time used since the last sample as a
  share of one core (100 = one core busy), threads, resident memory;
- system memory in use and the 1-minute load average;
- for NVIDIA GPUs, through NVML (nvidia-ml-py): utilisation, SM and memory
  clocks, power draw and the enforced limit, temperature, memory used,
  clock-event ("throttle") reasons and PCIe throughput, and whether one of the
  job's processes runs on that GPU.

Only ``nvmlDevice*Get*`` queries are made; nothing is changed. A reading that
fails is None in that sample (the NVML reason is kept once per field), never a
made-up number. A sample costs about a millisecond (benchmarks/run_overhead.py).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import psutil

#: nvml.h constants used here (NVML API reference, "Device Queries").
NVML_CLOCK_SM = 1  # nvmlClockType_t NVML_CLOCK_SM
NVML_CLOCK_MEM = 2  # nvmlClockType_t NVML_CLOCK_MEM
NVML_TEMPERATURE_GPU = 0  # nvmlTemperatureSensors_t NVML_TEMPERATURE_GPU
NVML_PCIE_UTIL_TX_BYTES = 0  # nvmlPcieUtilCounter_t; answers in KB/s over a 20 ms window
NVML_PCIE_UTIL_RX_BYTES = 1


class GpuSample(NamedTuple):
    """One GPU at one moment; None where NVML gave no answer."""

    gpu_index: int
    util_percent: float | None
    """nvmlDeviceGetUtilizationRates().gpu: share of the last sample period a kernel ran."""
    memory_util_percent: float | None
    sm_clock_mhz: float | None
    memory_clock_mhz: float | None
    power_w: float | None
    power_limit_w: float | None
    """The enforced power limit (nvmlDeviceGetEnforcedPowerLimit)."""
    temperature_c: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    event_reasons: int | None
    """nvmlDeviceGetCurrentClocksEventReasons bitmask (probe/nvml.py decodes it)."""
    pcie_tx_kb_s: float | None
    pcie_rx_kb_s: float | None
    job_on_gpu: bool | None
    """True when a process of the job has a context on this GPU (None: NVML cannot tell)."""


class Sample(NamedTuple):
    """The machine and the job at one moment."""

    t_s: float
    """Seconds since the job started."""
    cpu_percent: tuple[float, ...]
    """Utilisation of each CPU since the previous sample, 0-100."""
    job_cpu_percent: float | None
    """The job's processes' CPU time since the previous sample, as % of one core."""
    job_threads: int | None
    job_processes: int | None
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
        """The pids of the tree now."""
        return {pid for pid in self._seen}

    def read(self) -> tuple[float | None, int | None, int | None, int | None]:
        """(CPU % of one core since the last read, threads, processes, RSS bytes)."""
        now = time.monotonic()
        elapsed = now - self._last
        self._last = now
        try:
            root = psutil.Process(self.pid)
            members = [root, *root.children(recursive=True)]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None, None, None, None
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
            return None, threads, len(seen), rss
        return 100.0 * used / elapsed, threads, len(seen), rss


class NvmlReader:
    """A live NVML session: one handle per GPU, read field by field each sample.

    ``nvml`` is the pynvml module (tests pass a fake with the same functions and
    error codes). Each failing getter gives None and its reason is kept once in
    :attr:`reasons` under the field's name.
    """

    def __init__(self, nvml: Any) -> None:
        self.nv = nvml
        self.handles: list[Any] = []
        self.names: list[str] = []
        self.reasons: dict[str, str] = {}
        self.unavailable: str | None = None
        try:
            nvml.nvmlInit()
        except Exception as exc:  # NVMLError, or NVMLLibraryMismatchError (not a subclass)
            self.unavailable = f"NVML could not start: {_error_text(nvml, exc)}"
            return
        self._started = True
        try:
            count = int(nvml.nvmlDeviceGetCount())
        except Exception as exc:
            self.unavailable = f"NVML found no GPUs: {_error_text(nvml, exc)}"
            return
        for index in range(min(count, 64)):
            try:
                handle = nvml.nvmlDeviceGetHandleByIndex(index)
            except Exception as exc:
                self.reasons[f"gpu{index}"] = _error_text(nvml, exc)
                continue
            self.handles.append(handle)
            name = self._get("name", nvml.nvmlDeviceGetName, handle)
            self.names.append(name.decode() if isinstance(name, bytes) else str(name or "GPU"))

    def _get(self, field: str, getter: Callable[..., Any], handle: Any, *args: Any) -> Any:
        try:
            return getter(handle, *args)
        except Exception as exc:  # every NVMLError_* subclass, and the library's odd ones
            self.reasons.setdefault(field, _error_text(self.nv, exc))
            return None

    def _number(
        self, field: str, getter: Callable[..., Any], handle: Any, *args: Any
    ) -> float | None:
        return _float(self._get(field, getter, handle, *args))

    def read(self, job_pids: set[int]) -> tuple[GpuSample, ...]:
        """One reading of every GPU."""
        nv = self.nv
        clock, pcie = nv.nvmlDeviceGetClockInfo, nv.nvmlDeviceGetPcieThroughput
        out = []
        for index, handle in enumerate(self.handles):
            util = self._get("util_percent", nv.nvmlDeviceGetUtilizationRates, handle)
            memory = self._get("memory_used_bytes", nv.nvmlDeviceGetMemoryInfo, handle)
            power = self._number("power_w", nv.nvmlDeviceGetPowerUsage, handle)
            limit = self._number("power_limit_w", nv.nvmlDeviceGetEnforcedPowerLimit, handle)
            reasons = self._get("event_reasons", _event_reasons_getter(nv), handle)
            temperature = nv.nvmlDeviceGetTemperature
            out.append(
                GpuSample(
                    gpu_index=index,
                    util_percent=_float(getattr(util, "gpu", None)),
                    memory_util_percent=_float(getattr(util, "memory", None)),
                    sm_clock_mhz=self._number("sm_clock_mhz", clock, handle, NVML_CLOCK_SM),
                    memory_clock_mhz=self._number(
                        "memory_clock_mhz", clock, handle, NVML_CLOCK_MEM
                    ),
                    power_w=None if power is None else power / 1000.0,  # milliwatts
                    power_limit_w=None if limit is None else limit / 1000.0,
                    temperature_c=self._number(
                        "temperature_c", temperature, handle, NVML_TEMPERATURE_GPU
                    ),
                    memory_used_bytes=_int(getattr(memory, "used", None)),
                    memory_total_bytes=_int(getattr(memory, "total", None)),
                    event_reasons=_int(reasons),
                    pcie_tx_kb_s=self._number(
                        "pcie_tx_kb_s", pcie, handle, NVML_PCIE_UTIL_TX_BYTES
                    ),
                    pcie_rx_kb_s=self._number(
                        "pcie_rx_kb_s", pcie, handle, NVML_PCIE_UTIL_RX_BYTES
                    ),
                    job_on_gpu=self._job_on_gpu(handle, job_pids),
                )
            )
        return tuple(out)

    def _job_on_gpu(self, handle: Any, job_pids: set[int]) -> bool | None:
        processes = self._get("job_on_gpu", self.nv.nvmlDeviceGetComputeRunningProcesses, handle)
        if processes is None:
            return None
        return any(getattr(p, "pid", None) in job_pids for p in processes)

    def close(self) -> None:
        if self.unavailable is None:
            with contextlib.suppress(Exception):
                self.nv.nvmlShutdown()


def _event_reasons_getter(nv: Any) -> Callable[[Any], Any]:
    # Renamed in R535 (nvml.h: "ClocksThrottleReasons" is the deprecated name, same bits).
    for name in (
        "nvmlDeviceGetCurrentClocksEventReasons",
        "nvmlDeviceGetCurrentClocksThrottleReasons",
    ):
        getter = getattr(nv, name, None)
        if getter is not None:
            return getter  # type: ignore[no-any-return]
    return lambda _h: None


def _error_text(nv: Any, exc: Exception) -> str:
    value = getattr(exc, "value", None)
    for name in dir(nv):
        if name.startswith("NVML_ERROR_") and getattr(nv, name, object()) == value:
            from mfu_advisor.probe.nvml import nvml_reason

            return nvml_reason(name)
    return f"{type(exc).__name__}: {str(exc)[:120]}"


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def open_nvml() -> NvmlReader | str:
    """A reader over this machine's NVIDIA GPUs, or why there is none."""
    try:
        import pynvml  # type: ignore[import-untyped]  # nvidia-ml-py ships no type hints
    except ImportError:
        return "nvidia-ml-py is not installed"
    reader = NvmlReader(pynvml)
    if reader.unavailable is not None:
        return reader.unavailable
    if not reader.handles:
        reader.close()
        return "NVML lists no GPU"
    return reader


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
        job_cpu, threads, processes, rss = self.tree.read()
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
            job_processes=processes,
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
