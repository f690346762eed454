"""Reading NVIDIA GPUs as they run: one NVML session, every live figure, each failure a reason.

Used by ``mfu-advisor run`` and the bench's under-load sampler. Units follow the
NVML API reference (https://docs.nvidia.com/deploy/nvml-api/, "Device Queries"):
power in mW, PCIe throughput in KB/s over a 20 ms window, clocks in MHz.
"""

from __future__ import annotations

import contextlib
from typing import Any, NamedTuple

from mfu_advisor.files import data_file
from mfu_advisor.probe.nvml import error_names, nvml_reason


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


class NvmlReader:
    """A live NVML session: one handle per GPU, read field by field each sample."""

    def __init__(self, nvml: Any, pci_bus_id: str | None = None) -> None:
        self.nv = nvml
        self.handles: list[Any] = []
        self.names: list[str] = []
        self.reasons: dict[str, str] = {}
        self.unavailable: str | None = None
        self._refused: set[tuple[str, int]] = set()
        """(field, id of the GPU's handle) NVML refused for good: one GPU's refusal is its own."""
        try:
            nvml.nvmlInit()
        except Exception as exc:  # NVMLError, or NVMLLibraryMismatchError (not a subclass)
            self.unavailable = f"NVML could not start: {_error_text(nvml, exc)}"
            return
        if pci_bus_id is not None:
            # One GPU, the run's (bench): found by its PCI bus ID, as torch names it.
            try:
                self.handles.append(nvml.nvmlDeviceGetHandleByPciBusId(pci_bus_id))
            except Exception as exc:
                self.unavailable = f"NVML has no GPU at {pci_bus_id}: {_error_text(nvml, exc)}"
                return
            self.names.append(self._name(self.handles[0]))
            return
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
            self.names.append(self._name(handle))

    def _name(self, handle: Any) -> str:
        name = self._get("name", "nvmlDeviceGetName", handle)
        return name.decode() if isinstance(name, bytes) else str(name or "GPU")

    def _get(self, field: str, function: str, handle: Any, *args: Any) -> Any:
        """``pynvml.<function>(handle, *args)``, or None with the reason kept under ``field``."""
        if (field, id(handle)) in self._refused:
            return None  # NOT_SUPPORTED once is NOT_SUPPORTED for good: not asked again
        try:
            return getattr(self.nv, function)(handle, *args)
        except Exception as exc:  # every NVMLError_* subclass, and the library's odd ones
            reason = _error_text(self.nv, exc)
            self.reasons.setdefault(field, reason)
            if reason == nvml_reason("NVML_ERROR_NOT_SUPPORTED") or isinstance(exc, AttributeError):
                # An old pynvml without the function is a refusal too.
                self._refused.add((field, id(handle)))
            return None

    def read(self, job_pids: set[int] | None = None) -> tuple[GpuSample, ...]:
        """One reading of every GPU; ``job_on_gpu`` only when ``job_pids`` is given."""
        # Renamed in R535 (nvml.h: "ClocksThrottleReasons" is the deprecated name, same bits).
        reasons_call = "nvmlDeviceGetCurrentClocks" + (
            "EventReasons"
            if hasattr(self.nv, "nvmlDeviceGetCurrentClocksEventReasons")
            else "ThrottleReasons"
        )
        out = []
        for index, handle in enumerate(self.handles):
            util = self._get("util_percent", "nvmlDeviceGetUtilizationRates", handle)
            memory = self._get("memory_used_bytes", "nvmlDeviceGetMemoryInfo", handle)
            numbers = {
                field: _float(self._get(field, function, handle, *args))
                for field, (function, *args) in data_file("nvml.toml")["live_numbers"].items()
            }
            for watts in ("power_w", "power_limit_w"):  # NVML answers in milliwatts
                if (milliwatts := numbers[watts]) is not None:
                    numbers[watts] = milliwatts / 1000.0
            out.append(
                GpuSample(
                    gpu_index=index,
                    util_percent=_float(getattr(util, "gpu", None)),
                    memory_util_percent=_float(getattr(util, "memory", None)),
                    memory_used_bytes=_int(getattr(memory, "used", None)),
                    memory_total_bytes=_int(getattr(memory, "total", None)),
                    event_reasons=_int(self._get("event_reasons", reasons_call, handle)),
                    job_on_gpu=self._job_on_gpu(handle, job_pids),
                    **numbers,
                )
            )
        return tuple(out)

    def _job_on_gpu(self, handle: Any, job_pids: set[int] | None) -> bool | None:
        if job_pids is None:
            return None
        processes = self._get("job_on_gpu", "nvmlDeviceGetComputeRunningProcesses", handle)
        if processes is None:
            return None
        return any(getattr(p, "pid", None) in job_pids for p in processes)

    def close(self) -> None:
        if self.unavailable is None:
            with contextlib.suppress(Exception):
                self.nv.nvmlShutdown()


def _error_text(nv: Any, exc: Exception) -> str:
    name = error_names(nv).get(getattr(exc, "value", None))  # type: ignore[arg-type]
    return nvml_reason(name) if name else f"{type(exc).__name__}: {str(exc)[:120]}"


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


def open_nvml(pci_bus_id: str | None = None, nvml: Any = None) -> NvmlReader | str:
    """A reader over this machine's NVIDIA GPUs (or the one at ``pci_bus_id``), or why there
    is none. ``nvml`` replaces the pynvml module (tests)."""
    if nvml is None:
        try:
            import pynvml  # type: ignore[import-untyped]  # nvidia-ml-py ships no type hints
        except ImportError:
            return "nvidia-ml-py is not installed"
        nvml = pynvml
    reader = NvmlReader(nvml, pci_bus_id)
    if reader.unavailable is not None:
        return reader.unavailable
    if not reader.handles:
        reader.close()
        return "NVML lists no GPU"
    return reader
