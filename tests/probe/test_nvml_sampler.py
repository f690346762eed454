"""NVML sampled under load (issue 12, finding 7): medians and throttle-reason shares."""

from __future__ import annotations

import threading
import types
from typing import Any

import pytest

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.nvml_sampler import GpuUnderLoad, NvmlSampler, summarise


class CappedGpu:
    """A pynvml stand-in for a GPU held at its power cap: 1,410 MHz, 300 W of 300 W."""

    NVML_ERROR_NOT_SUPPORTED = 3
    NVML_ERROR_DRIVER_NOT_LOADED = 9

    def __init__(self, init_error: int | None = None, enough: int = 5) -> None:
        self.init_error = init_error
        self.samples = 0
        self.enough = enough
        self.sampled = threading.Event()
        self.calls: list[str] = []

        class NVMLError(Exception):
            def __init__(self, value: int) -> None:
                super().__init__(value)
                self.value = value

        self.NVMLError = NVMLError

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise self.NVMLError(self.init_error)

    def nvmlShutdown(self) -> None:
        self.calls.append("shutdown")

    def nvmlDeviceGetHandleByPciBusId(self, bus: str) -> str:
        assert bus == "0000:3b:00.0"
        return "handle"

    def nvmlDeviceGetClockInfo(self, handle: Any, domain: int) -> int:
        return {1: 1410, 2: 1593}[domain]

    def nvmlDeviceGetPowerUsage(self, handle: Any) -> int:
        return 299_500

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: Any) -> int:
        return 300_000

    def nvmlDeviceGetTemperature(self, handle: Any, sensor: int) -> int:
        raise self.NVMLError(self.NVML_ERROR_NOT_SUPPORTED)

    def nvmlDeviceGetUtilizationRates(self, handle: Any) -> Any:
        return types.SimpleNamespace(gpu=100)

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle: Any) -> int:
        self.samples += 1
        if self.samples >= self.enough:
            self.sampled.set()
        return 0x4  # sw_power_cap

    def nvmlDeviceSetApplicationsClocks(self, *args: Any) -> None:  # pragma: no cover
        raise AssertionError("the sampler must never change a GPU setting")


def test_a_power_capped_run_is_seen_with_its_clock_under_load() -> None:
    gpu = CappedGpu()
    sampler = NvmlSampler("0000:3b:00.0", interval_s=0.001, nvml=gpu)
    sampler.start()
    assert gpu.sampled.wait(timeout=10)
    result = sampler.stop()
    assert isinstance(result, GpuUnderLoad)
    assert result.samples >= 5
    assert (result.sm_clock_mhz, result.memory_clock_mhz) == (1410.0, 1593.0)
    assert (result.power_draw_w, result.power_limit_w) == (299.5, 300.0)
    assert result.utilization_gpu_percent == 100.0
    assert result.clock_event_reason_shares == {"sw_power_cap": 1.0}
    assert result.temperature_c == Unavailable("NVML: not supported on this GPU")
    assert gpu.calls == ["shutdown"]


def test_reason_shares_count_the_samples_each_reason_was_active() -> None:
    values = {"sm_clock_mhz": [1980.0, 1980.0, 1755.0, 1410.0]}
    result = summarise(values, [0x0, 0x4, 0x4 | 0x20, 0x20], {}, 0.1)
    assert isinstance(result, GpuUnderLoad)
    assert result.sm_clock_mhz == pytest.approx(1867.5)
    assert result.clock_event_reason_shares == {"sw_power_cap": 0.5, "sw_thermal_slowdown": 0.5}
    assert isinstance(result.power_draw_w, Unavailable)


def test_no_driver_is_a_reason_not_an_exception() -> None:
    sampler = NvmlSampler("0000:3b:00.0", nvml=CappedGpu(init_error=9))
    sampler.start()
    result = sampler.stop()
    assert isinstance(result, Unavailable) and "driver not loaded" in result.reason


def test_no_sample_at_all_says_so() -> None:
    result = summarise({"sm_clock_mhz": []}, [], {}, 0.1)
    assert isinstance(result, Unavailable) and "no NVML sample" in result.reason
