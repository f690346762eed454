"""The live NVML reader (``run``'s sampler, the bench's under-load sampler) on real GPUs' answers.

Each recorded ``nvidia-smi -q`` dump (tests/data/nvidia_smi, provenance in its
PROVENANCE.md) is served by the pynvml stand-in of smi_dumps.py, which answers
as NVML does (milliwatts, N/A as NOT_SUPPORTED, queries it has no answer for
refused). Every figure the reader gives must be the dump's own.
"""

from __future__ import annotations

import pytest
from smi_dumps import DumpNvml, _power_draw_w, _power_limit_w, _reasons, dump_names, parse_dump

from mfu_advisor.probe.nvml_live import NvmlReader


@pytest.mark.parametrize("name", dump_names())
def test_every_reading_is_the_recorded_gpus_own(name: str) -> None:
    dump = parse_dump(name)
    reader = NvmlReader(DumpNvml(dump))
    assert reader.unavailable is None
    readings = reader.read(job_pids={4242})
    assert len(readings) == len(dump.gpus)
    assert reader.names == [gpu.name for gpu in dump.gpus]
    for reading, gpu in zip(readings, dump.gpus, strict=True):
        assert reading.sm_clock_mhz == gpu.number("Clocks.SM")
        draw, limit = _power_draw_w(gpu), _power_limit_w(gpu)
        assert reading.power_w == (None if draw is None else round(draw * 1000) / 1000)
        assert reading.power_limit_w == (None if limit is None else round(limit * 1000) / 1000)
        used = gpu.number("FB Memory Usage.Used")
        assert reading.memory_used_bytes == int((used or 0) * 2**20)
        assert reading.util_percent == (gpu.number("Utilization.Gpu") or 0)
        assert reading.event_reasons == _reasons(gpu)
        assert reading.job_on_gpu is False  # no process of the job on a recorded GPU
    reader.close()


def test_a_query_the_driver_refuses_is_asked_once_and_kept_as_a_reason() -> None:
    dump = parse_dump("H100SXMx8")
    nvml = DumpNvml(dump)
    reader = NvmlReader(nvml)
    for _ in range(3):
        readings = reader.read()
        assert all(r.temperature_c is None for r in readings)  # the stand-in has no answer
    # Asked once per GPU (each GPU's refusal is its own), not once per reading.
    assert nvml.calls.count("nvmlDeviceGetTemperature") == len(dump.gpus) == 8
    assert "temperature_c" in reader.reasons
