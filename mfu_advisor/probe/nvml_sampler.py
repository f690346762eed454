"""NVML sampled under load: a thread reads the run's GPU about 10 times a second.

The probe reads NVML once, idle; a power cap, thermal slowdown or a low clock
during the measured steps only shows while they run. :class:`NvmlSampler`
records the SM and memory clocks, power draw and its limit, temperature,
utilization and the clock-event ("throttle") reasons, and
:meth:`NvmlSampler.stop` returns their medians and the share of samples in
which each reason was active (:class:`GpuUnderLoad`).

Only ``nvmlDeviceGet*`` queries are made (nvidia-smi's ``--query-gpu``
equivalents are named per call); the GPU's settings are never changed.
Every failure becomes a reason, never an exception in the training loop.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.nvml import (
    NVML_CLOCK_SM,
    decode_clock_event_reasons,
    nvml_reason,
)

#: Seconds between samples: 10 Hz, enough to see a power cap settle (NVML's own
#: power reading averages about one second) without costing the run a core.
INTERVAL_S = 0.1
#: At most this many samples are kept (an hour at 10 Hz): memory stays bounded.
MAX_SAMPLES = 36_000
#: nvml.h NVML_CLOCK_MEM and NVML_TEMPERATURE_GPU.
NVML_CLOCK_MEM = 2
NVML_TEMPERATURE_GPU = 0


@dataclass(frozen=True)
class GpuUnderLoad:
    """The run's GPU while the measured steps ran: medians over the samples."""

    samples: int
    interval_ms: float
    sm_clock_mhz: Maybe[float]
    """Median SM clock (nvidia-smi clocks.sm)."""
    memory_clock_mhz: Maybe[float]
    """Median memory clock (clocks.mem)."""
    power_draw_w: Maybe[float]
    """Median power draw (power.draw)."""
    power_limit_w: Maybe[float]
    """Enforced power limit (enforced.power.limit), median."""
    temperature_c: Maybe[float]
    """Median GPU temperature (temperature.gpu)."""
    utilization_gpu_percent: Maybe[float]
    """Median share of time a kernel ran (utilization.gpu)."""
    clock_event_reason_shares: Mapping[str, float] = field(default_factory=dict)
    """Reason (probe/nvml.py words, "sw_power_cap") -> share of samples it was active."""


#: The sampled quantities, as :class:`GpuUnderLoad` names them.
_FIELDS: tuple[str, ...] = (
    "sm_clock_mhz",
    "memory_clock_mhz",
    "power_draw_w",
    "power_limit_w",
    "temperature_c",
    "utilization_gpu_percent",
)


class NvmlSampler:
    """Samples one GPU (found by its PCI bus ID) on a background thread."""

    def __init__(
        self,
        pci_bus_id: str,
        *,
        interval_s: float = INTERVAL_S,
        nvml: Any = None,
        clock: Any = time.monotonic,
    ) -> None:
        self.pci_bus_id = pci_bus_id
        self.interval_s = interval_s
        self._nvml = nvml
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._values: dict[str, list[float]] = {name: [] for name in _FIELDS}
        self._reasons: list[int] = []
        self._errors: dict[str, str] = {}
        self._failure: str | None = None
        self._handle: Any = None

    def start(self) -> None:
        """Open NVML and start sampling; a failure is kept as the summary's reason."""
        nv = self._nvml
        try:
            if nv is None:
                import pynvml  # type: ignore[import-untyped]  # nvidia-ml-py ships no hints

                nv = self._nvml = pynvml
            nv.nvmlInit()
            self._handle = nv.nvmlDeviceGetHandleByPciBusId(self.pci_bus_id)
        except ImportError:
            self._failure = "nvidia-ml-py is not installed"
            return
        except Exception as exc:  # NVMLError and its many subclasses, library mismatch
            self._failure = self._reason(exc)
            return
        self._thread = threading.Thread(target=self._run, name="mfu-nvml-sampler", daemon=True)
        self._thread.start()

    def _reason(self, exc: BaseException) -> str:
        value = getattr(exc, "value", None)
        names = {
            getattr(self._nvml, n): n
            for n in dir(self._nvml or object)
            if n.startswith("NVML_ERROR_")
        }
        if isinstance(value, int) and value in names:
            return nvml_reason(names[value])
        return f"NVML failed ({type(exc).__name__}: {exc})"

    def _run(self) -> None:
        while not self._stop.is_set() and len(self._reasons) < MAX_SAMPLES:
            self._sample()
            self._stop.wait(self.interval_s)

    def _read(self, name: str, call: Any) -> float | None:
        if name in self._errors:
            return None  # a query NVML refused once is not asked again
        try:
            return float(call())
        except Exception as exc:
            self._errors[name] = self._reason(exc)
            return None

    def _sample(self) -> None:
        nv, handle = self._nvml, self._handle
        readers = {
            "sm_clock_mhz": lambda: nv.nvmlDeviceGetClockInfo(handle, NVML_CLOCK_SM),
            "memory_clock_mhz": lambda: nv.nvmlDeviceGetClockInfo(handle, NVML_CLOCK_MEM),
            "power_draw_w": lambda: nv.nvmlDeviceGetPowerUsage(handle) / 1000.0,
            "power_limit_w": lambda: nv.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000.0,
            "temperature_c": lambda: nv.nvmlDeviceGetTemperature(handle, NVML_TEMPERATURE_GPU),
            "utilization_gpu_percent": lambda: nv.nvmlDeviceGetUtilizationRates(handle).gpu,
        }
        for name, read in readers.items():
            value = self._read(name, read)
            if value is not None:
                self._values[name].append(value)
        reasons = self._read(
            "clock_event_reasons",
            lambda: (
                getattr(nv, "nvmlDeviceGetCurrentClocksEventReasons", None)
                or nv.nvmlDeviceGetCurrentClocksThrottleReasons
            )(handle),
        )
        if reasons is not None:
            self._reasons.append(int(reasons))

    def stop(self) -> GpuUnderLoad | Unavailable:
        """Stop sampling and summarise; Unavailable when no sample could be taken."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 * self.interval_s + 1.0)
        if self._nvml is not None and self._handle is not None:
            with contextlib.suppress(Exception):  # shutting down must not cost the result
                self._nvml.nvmlShutdown()
        if self._failure is not None:
            return Unavailable(self._failure)
        return summarise(self._values, self._reasons, self._errors, self.interval_s)


def summarise(
    values: Mapping[str, list[float]],
    reasons: list[int],
    errors: Mapping[str, str],
    interval_s: float,
) -> GpuUnderLoad | Unavailable:
    """Medians of the sampled values and the share of samples each reason was active."""
    samples = max([len(v) for v in values.values()] + [len(reasons)])
    if samples == 0:
        return Unavailable("no NVML sample was taken (the measured steps were too short)")

    def median(name: str) -> Maybe[float]:
        series = values.get(name) or []
        if series:
            return float(statistics.median(series))
        return Unavailable(errors.get(name, "not sampled"))

    counts: dict[str, int] = {}
    for mask in reasons:
        for word in decode_clock_event_reasons(mask):
            counts[word] = counts.get(word, 0) + 1
    shares = {word: count / len(reasons) for word, count in sorted(counts.items())}
    return GpuUnderLoad(
        samples=samples,
        interval_ms=interval_s * 1e3,
        sm_clock_mhz=median("sm_clock_mhz"),
        memory_clock_mhz=median("memory_clock_mhz"),
        power_draw_w=median("power_draw_w"),
        power_limit_w=median("power_limit_w"),
        temperature_c=median("temperature_c"),
        utilization_gpu_percent=median("utilization_gpu_percent"),
        clock_event_reason_shares=shares,
    )
