"""The hardware sampler: real processes for the job's tree, NVML as documented for GPUs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pynvml  # type: ignore[import-untyped]
from fake_nvml import MIB, FakeGpu, FakeNvml

from mfu_advisor.probe.nvml_live import NvmlReader
from mfu_advisor.watch.sampler import HardwareSampler, ProcessTree

#: Burns 0.4 s of its own CPU time, leaves a marker file, then idles: CPU seconds, not wall time,
#: so the expected total holds however busy the machine is.
BURN = (
    "import sys, time\n"
    "while time.process_time() < 0.4: pass\n"
    "open(sys.argv[1], 'w').close()\n"
    "time.sleep(30)\n"
)


def test_process_tree_counts_the_cpu_time_of_the_child_and_its_grandchild(
    tmp_path: Path,
) -> None:
    parent = (
        "import subprocess, sys\n"
        f"kid = subprocess.Popen([sys.executable, '-c', {BURN!r}, sys.argv[2]])\n"
        f"exec({BURN!r})\n"
    )
    markers = [tmp_path / "parent", tmp_path / "kid"]
    process = subprocess.Popen([sys.executable, "-c", parent, *map(str, markers)])
    try:
        tree = ProcessTree(process.pid)
        tree.read()
        first = time.monotonic()
        deadline = first + 60
        while not all(m.exists() for m in markers) and time.monotonic() < deadline:
            time.sleep(0.05)
        cores, threads, rss = tree.read()
        processes = len(tree.pids())
        elapsed = time.monotonic() - first
    finally:
        for member in psutil.Process(process.pid).children(recursive=True):
            member.kill()
        process.kill()
        process.wait()
    assert all(m.exists() for m in markers)
    assert processes == 2  # the child and the grandchild it started
    assert threads is not None and threads >= 2
    assert rss is not None and rss > 1_000_000
    assert cores is not None
    # 0.4 s each, plus the grandchild's interpreter start-up (and part of the child's).
    assert 0.7 <= cores / 100 * elapsed <= 1.4


def test_process_tree_of_a_finished_child_reads_nothing() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert ProcessTree(process.pid).read() == (None, None, None)


def test_nvml_readings_are_converted_to_watts_and_job_gpus_found_by_pid() -> None:
    nvml = FakeNvml([FakeGpu(pids=[4242]), FakeGpu(util=0, pids=[])])
    reader = NvmlReader(nvml)
    first, second = reader.read({4242, 4243})
    assert reader.names == ["Tesla V100-PCIE-32GB", "Tesla V100-PCIE-32GB"]
    assert first.power_w == 236.0 and first.power_limit_w == 250.0  # NVML answers milliwatts
    assert first.sm_clock_mhz == 1380.0 and first.memory_clock_mhz == 877.0
    assert first.util_percent == 97.0 and first.temperature_c == 71.0
    assert first.memory_used_bytes == 29_100 * MIB
    assert first.pcie_rx_kb_s == 54_000.0
    assert first.job_on_gpu is True
    assert second.job_on_gpu is False and second.util_percent == 0.0
    reader.close()
    assert nvml.shut_down


def test_nvml_not_supported_fields_are_none_with_their_reason() -> None:
    gpu = FakeGpu(not_supported={"pcie", "power", "processes"})
    reader = NvmlReader(FakeNvml([gpu]))
    (reading,) = reader.read(set())
    assert reading.power_w is None and reading.pcie_tx_kb_s is None
    assert reading.job_on_gpu is None
    assert reading.sm_clock_mhz == 1380.0
    assert reader.reasons["power_w"] == "NVML: not supported on this GPU"
    assert reader.reasons["job_on_gpu"] == "NVML: not supported on this GPU"


def test_nvml_that_cannot_start_is_a_reason_not_a_crash() -> None:
    lost = FakeNvml([], init_error=pynvml.NVMLError(pynvml.NVML_ERROR_DRIVER_NOT_LOADED))
    assert NvmlReader(lost).unavailable == (
        "NVML could not start: NVML: NVIDIA driver not loaded (the kernel module is not running)"
    )
    # nvidia-ml-py raises NVMLLibraryMismatchError, not an NVMLError, for a pre-R510 driver.
    mismatch = FakeNvml([], init_error=pynvml.NVMLLibraryMismatchError("mismatch"))
    reason = NvmlReader(mismatch).unavailable
    assert reason is not None and reason.startswith(
        "NVML could not start: NVMLLibraryMismatchError"
    )


def test_sampler_without_gpus_still_samples_cpus_and_memory() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    try:
        sampler = HardwareSampler(process.pid, "NVML lists no GPU", time.monotonic())
        time.sleep(0.3)
        sample = sampler.sample()
    finally:
        process.kill()
        process.wait()
    assert len(sample.cpu_percent) == (os.cpu_count() or 1) or len(sample.cpu_percent) >= 1
    assert all(0.0 <= c <= 100.0 for c in sample.cpu_percent)
    assert sample.gpus == ()
    assert sampler.gpu_unavailable == "NVML lists no GPU"
    assert 0 < sample.memory_used_bytes < sample.memory_total_bytes
    assert sampler.tree.pids() == {process.pid}
