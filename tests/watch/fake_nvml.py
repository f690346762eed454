"""A stand-in for pynvml that answers as NVML's API reference documents, not as the code expects.

Units and shapes follow https://docs.nvidia.com/deploy/nvml-api/ ("Device
Queries"): power in milliwatts, PCIe throughput in KB/s, clocks in MHz,
utilisation as a struct with ``gpu`` and ``memory`` percentages, memory as a
struct of bytes, running processes as ``nvmlProcessInfo_t`` with ``pid``. A
failing query raises ``NVMLError`` (the real class from nvidia-ml-py, matched
by its ``value``); NOT_SUPPORTED is what a GeForce board answers for PCIe
throughput and what a vGPU answers for power. The figures are a Tesla
V100-PCIE-32GB's: 250 W board power limit and 1380 MHz boost clock (NVIDIA
V100 PCIe datasheet), 877 MHz HBM2 clock, 32,768 MiB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pynvml  # type: ignore[import-untyped]

MIB = 1024 * 1024


@dataclass
class FakeGpu:
    name: str = "Tesla V100-PCIE-32GB"
    util: int = 97
    memory_util: int = 61
    sm_clock: int = 1380
    memory_clock: int = 877
    power_mw: int = 236_000
    limit_mw: int = 250_000
    temperature: int = 71
    memory_used: int = 29_100 * MIB
    memory_total: int = 32_768 * MIB
    reasons: int = 0
    pcie_tx: int = 1_200
    pcie_rx: int = 54_000
    pids: list[int] = field(default_factory=list)
    not_supported: set[str] = field(default_factory=set)
    """Names of queries that raise NVML_ERROR_NOT_SUPPORTED."""


class FakeNvml:
    """The functions of pynvml that the sampler calls, over a list of FakeGpu."""

    NVMLError = pynvml.NVMLError
    NVML_ERROR_NOT_SUPPORTED = pynvml.NVML_ERROR_NOT_SUPPORTED
    NVML_ERROR_NO_PERMISSION = pynvml.NVML_ERROR_NO_PERMISSION
    NVML_ERROR_DRIVER_NOT_LOADED = pynvml.NVML_ERROR_DRIVER_NOT_LOADED
    NVML_ERROR_GPU_IS_LOST = pynvml.NVML_ERROR_GPU_IS_LOST

    def __init__(self, gpus: list[FakeGpu], init_error: BaseException | None = None) -> None:
        self.gpus = gpus
        self.init_error = init_error
        self.shut_down = False

    def _check(self, handle: int, query: str) -> FakeGpu:
        gpu = self.gpus[handle]
        if query in gpu.not_supported:
            raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
        return gpu

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise self.init_error

    def nvmlShutdown(self) -> None:
        self.shut_down = True

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> str:
        return self._check(handle, "name").name

    def nvmlDeviceGetUtilizationRates(self, handle: int) -> Any:
        gpu = self._check(handle, "utilization")
        return SimpleNamespace(gpu=gpu.util, memory=gpu.memory_util)

    def nvmlDeviceGetMemoryInfo(self, handle: int) -> Any:
        gpu = self._check(handle, "memory")
        return SimpleNamespace(
            total=gpu.memory_total, used=gpu.memory_used, free=gpu.memory_total - gpu.memory_used
        )

    def nvmlDeviceGetClockInfo(self, handle: int, clock_type: int) -> int:
        gpu = self._check(handle, "clock")
        return {1: gpu.sm_clock, 2: gpu.memory_clock}[clock_type]

    def nvmlDeviceGetPowerUsage(self, handle: int) -> int:
        return self._check(handle, "power").power_mw

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: int) -> int:
        return self._check(handle, "power_limit").limit_mw

    def nvmlDeviceGetTemperature(self, handle: int, sensor: int) -> int:
        assert sensor == 0  # NVML_TEMPERATURE_GPU
        return self._check(handle, "temperature").temperature

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle: int) -> int:
        return self._check(handle, "reasons").reasons

    def nvmlDeviceGetPcieThroughput(self, handle: int, counter: int) -> int:
        gpu = self._check(handle, "pcie")
        return {0: gpu.pcie_tx, 1: gpu.pcie_rx}[counter]

    def nvmlDeviceGetComputeRunningProcesses(self, handle: int) -> list[Any]:
        gpu = self._check(handle, "processes")
        return [SimpleNamespace(pid=pid, usedGpuMemory=1024 * MIB) for pid in gpu.pids]

    def __dir__(self) -> list[str]:
        return [name for name in dir(pynvml) if name.startswith("NVML_ERROR_")] + list(
            type(self).__dict__
        )

    def __getattr__(self, name: str) -> Any:
        if name.startswith("NVML_ERROR_"):
            return getattr(pynvml, name)
        raise AttributeError(name)
