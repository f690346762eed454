"""NVML sampled under load: a thread reads the run's GPU about 10 times a second."""

from __future__ import annotations

import statistics
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.nvml import decode_clock_event_reasons
from mfu_advisor.probe.nvml_live import GpuSample, NvmlReader, open_nvml

#: Seconds between samples: 10 Hz, enough to see a power cap settle (NVML's own
#: power reading averages about one second) without costing the run a core.
INTERVAL_S = 0.1
#: At most this many samples are kept (an hour at 10 Hz): memory stays bounded.
MAX_SAMPLES = 36_000


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


#: :class:`GpuUnderLoad`'s names for the live reading's fields (probe/nvml_live.py).
_FIELDS: dict[str, str] = {
    "sm_clock_mhz": "sm_clock_mhz",
    "memory_clock_mhz": "memory_clock_mhz",
    "power_draw_w": "power_w",
    "power_limit_w": "power_limit_w",
    "temperature_c": "temperature_c",
    "utilization_gpu_percent": "util_percent",
}


class NvmlSampler:
    """Samples one GPU (found by its PCI bus ID) on a background thread."""

    def __init__(
        self,
        pci_bus_id: str,
        *,
        interval_s: float = INTERVAL_S,
        nvml: Any = None,
    ) -> None:
        self.pci_bus_id = pci_bus_id
        self.interval_s = interval_s
        self._nvml = nvml
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._readings: list[GpuSample] = []
        self._reader: NvmlReader | None = None
        self._failure: str | None = None

    def start(self) -> None:
        """Open NVML and start sampling; a failure is kept as the summary's reason."""
        reader = open_nvml(self.pci_bus_id, self._nvml)
        if isinstance(reader, str):
            self._failure = reader
            return
        self._reader = reader
        self._thread = threading.Thread(target=self._run, name="mfu-nvml-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._reader is not None
        while not self._stop.is_set() and len(self._readings) < MAX_SAMPLES:
            self._readings.extend(self._reader.read())
            self._stop.wait(self.interval_s)

    def stop(self) -> GpuUnderLoad | Unavailable:
        """Stop sampling and summarise; Unavailable when no sample could be taken."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 * self.interval_s + 1.0)
        if self._reader is not None:
            self._reader.close()  # shutting down never costs the result
        if self._failure is not None:
            return Unavailable(self._failure)
        readings = list(self._readings)
        values = {
            name: [v for r in readings if (v := getattr(r, live)) is not None]
            for name, live in _FIELDS.items()
        }
        reasons = [r.event_reasons for r in readings if r.event_reasons is not None]
        errors = self._reader.reasons if self._reader is not None else {}
        named = {name: errors[live] for name, live in _FIELDS.items() if live in errors}
        return summarise(values, reasons, named, self.interval_s)


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

    counts = Counter(word for mask in reasons for word in decode_clock_event_reasons(mask))
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
