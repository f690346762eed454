"""A watched job's samples as :class:`JobFacts` (what the rules read) and chart series.

Only the steady window counts: from the first training step (docs/run.md), else every sample.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.nvml import decode_clock_event_reasons
from mfu_advisor.probe.nvml_live import GpuSample
from mfu_advisor.run_facts import JobFacts, JobGpuFacts
from mfu_advisor.watch.sampler import Sample

#: The clock-event reasons (probe/nvml.py's words for nvml.h's bits) behind each share.
_SHARES = {
    "power_cap_share": {"sw_power_cap"},
    "thermal_share": {"sw_thermal_slowdown", "hw_thermal_slowdown"},
    "hw_slowdown_share": {"hw_slowdown", "hw_power_brake_slowdown"},
}

_NO_SAMPLES = Unavailable("no samples in the steady window")


def _over(
    values: Sequence[float | None], how: Callable[[list[float]], float] = statistics.median
) -> Maybe[float]:
    """``how`` (the median) of the known ``values``."""
    known = [float(v) for v in values if v is not None]
    return how(known) if known else _NO_SAMPLES


def _fraction(used: int | None, total: int | None) -> float | None:
    return used / total if used is not None and total else None


def _machine_cpu(s: Sample) -> float | None:
    return sum(s.cpu_percent) / len(s.cpu_percent) if s.cpu_percent else None


def _job_cores(s: Sample) -> float | None:
    return None if s.job_cpu_percent is None else s.job_cpu_percent / 100


def _gpu_facts(
    index: int, name: str, readings: list[GpuSample], reasons: dict[str, str]
) -> JobGpuFacts:
    def why(field: str) -> Unavailable:
        return Unavailable(reasons.get(field, "NVML gave no answer"))

    def known(field: str, value: Maybe[float]) -> Maybe[float]:
        return why(field) if isinstance(value, Unavailable) else value

    def over(field: str, how: Callable[[list[float]], float] = statistics.median) -> Maybe[float]:
        return known(field, _over([getattr(r, field) for r in readings], how))

    flags = [r.job_on_gpu for r in readings if r.job_on_gpu is not None]
    memory = _over([_fraction(r.memory_used_bytes, r.memory_total_bytes) for r in readings], max)
    masks = [r.event_reasons for r in readings if r.event_reasons is not None]
    masks = [m for m in masks if m >= 0]
    shares: dict[str, Maybe[float]] = {
        field: sum(1 for m in masks if set(decode_clock_event_reasons(m)) & wanted) / len(masks)
        if masks
        else Unavailable("NVML gave no clock-event reasons")
        for field, wanted in _SHARES.items()
    }
    return JobGpuFacts(
        index=index,
        name=name,
        used_by_job=any(flags) if flags else why("job_on_gpu"),
        util_percent_median=over("util_percent"),
        sm_clock_mhz_median=over("sm_clock_mhz"),
        sm_clock_mhz_max=over("sm_clock_mhz", max),
        power_w_median=over("power_w"),
        power_limit_w=over("power_limit_w"),
        temperature_c_max=over("temperature_c", max),
        memory_used_fraction_max=known("memory_used_bytes", memory),
        **shares,
    )


def job_facts(
    samples: Sequence[Sample],
    *,
    exit_code: int,
    wall_s: float,
    window_start_s: float,
    gpu_names: Sequence[str],
    gpu_reasons: dict[str, str],
    gpu_unavailable: str | None,
) -> JobFacts:
    """What the rules read about the watched job."""
    steady = [s for s in samples if s.t_s >= window_start_s] or list(samples)
    threads = [s.job_threads for s in steady if s.job_threads is not None]
    gpus = []
    for index, name in enumerate(gpu_names):
        readings = [g for s in steady for g in s.gpus if g.gpu_index == index]
        if readings:
            gpus.append(_gpu_facts(index, name, readings, gpu_reasons))
    return JobFacts(
        exit_code=exit_code,
        wall_s=wall_s,
        samples=len(steady),
        window_start_s=window_start_s if steady and steady[0].t_s >= window_start_s else 0.0,
        usable_cpus=max((len(s.cpu_percent) for s in steady), default=0),
        job_cpu_cores_median=_over([_job_cores(s) for s in steady]),
        busiest_cpu_percent_median=_over([max(s.cpu_percent, default=None) for s in steady]),
        machine_cpu_percent_median=_over([_machine_cpu(s) for s in steady]),
        job_threads_max=max(threads) if threads else _NO_SAMPLES,
        load_1min_median=_over([s.load_1min for s in steady]),
        memory_used_fraction_max=_over(
            [_fraction(s.memory_used_bytes, s.memory_total_bytes) for s in steady], max
        ),
        job_memory_fraction_max=_over(
            [_fraction(s.job_rss_bytes, s.memory_total_bytes) for s in steady], max
        ),
        gpus=tuple(gpus),
        gpu_unavailable=gpu_unavailable or "",
    )


#: The per-GPU columns of the samples, and the decimals each keeps.
_GPU_COLUMNS = {
    "util_percent": 0,
    "sm_clock_mhz": 0,
    "power_w": 1,
    "temperature_c": 0,
    "memory_used_bytes": 0,
    "event_reasons": 0,
    "pcie_rx_kb_s": 0,
    "pcie_tx_kb_s": 0,
}


def sample_series(samples: Sequence[Sample], keep: Sequence[int]) -> dict[str, Any]:
    """The samples at indices ``keep`` as JSON-ready columns (docs/run.md, ``samples``)."""
    chosen = [samples[i] for i in keep]

    def column(values: Sequence[float | None], digits: int = 1) -> list[Any]:
        return [None if v is None else round(float(v), digits) for v in values]

    def gpu(at: int, field: str) -> list[Any]:
        readings = [getattr(s.gpus[at], field) if at < len(s.gpus) else None for s in chosen]
        return column(readings, _GPU_COLUMNS[field])

    gpu_count = max((len(s.gpus) for s in chosen), default=0)
    return {
        "count": len(samples),
        "shown": len(chosen),
        "t_s": column([s.t_s for s in chosen], 2),
        "cpu_percent": column([_machine_cpu(s) for s in chosen]),
        "busiest_cpu_percent": column([max(s.cpu_percent, default=None) for s in chosen]),
        "job_cpu_cores": column([_job_cores(s) for s in chosen], 2),
        "job_threads": column([s.job_threads for s in chosen], 0),
        "job_rss_bytes": column([s.job_rss_bytes for s in chosen], 0),
        "memory_used_bytes": column([s.memory_used_bytes for s in chosen], 0),
        "gpus": [
            {"index": i, **{field: gpu(i, field) for field in _GPU_COLUMNS}}
            for i in range(gpu_count)
        ],
    }
