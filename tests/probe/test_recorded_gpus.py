"""22 recorded GPUs (public nvidia-smi -q dumps) through the real NVML wrapper and the probe.

The pynvml stand-in answers as NVML does (smi_dumps.py): no SM count for a
whole GPU, NOT_SUPPORTED for every "N/A", the rated boost only on data-center
parts. Each GPU is then probed as a machine (PCI functions from the dump's IDs,
torch's device list with the SM count torch reports) and its peak compared
with the vendor's datasheet figure typed here, not read from the table.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from fixture_parts import Machine, add_pci, cuda_device, torch_answers
from smi_dumps import COMPUTE_CAPABILITY, DumpNvml, SmiDump, dump_names, parse_dump
from snapshot_fixtures import write_machine

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe import probe_machine
from mfu_advisor.probe.facts import HardwareFacts, NvidiaFacts, PeakFlops
from mfu_advisor.probe.nvml import collect_nvml_answers, nvidia_facts_from_answers
from mfu_advisor.probe.sources import MachineRoot

#: SMs torch reports (multi_processor_count): CUDA cores / cores per SM from each
#: product's NVIDIA specifications page or architecture whitepaper.
TORCH_SMS: dict[int, int] = {
    0x1180: 8,  # GTX 680: 1536 cores / 192
    0x1C82: 6,  # GTX 1050 Ti: 768 / 128
    0x1DB1: 80,
    0x20B2: 108,
    0x2204: 82,
    0x2216: 68,
    0x2230: 84,
    0x2235: 84,
    0x2236: 72,
    0x2321: 132,
    0x2330: 132,
    0x2335: 132,
    0x2342: 132,
    0x2484: 46,
    0x2684: 128,
    0x26B1: 142,
    0x26B9: 142,
    0x27B2: 48,
    0x27B8: 58,
    0x2803: 34,
    0x28B0: 22,
    0x2B85: 170,
}

#: Datasheet figure per dump: (dtype, dense TFLOP/s), fp32 accumulate, and where from.
DATASHEET: dict[str, tuple[str, float]] = {
    "A10": ("bf16", 125.0),  # A10 datasheet: 250* sparse
    "A100SXMx4": ("bf16", 312.0),  # A100 datasheet
    "A40x10": ("bf16", 149.7),  # A40 datasheet: 299.4* sparse
    "GH200": ("bf16", 989.4),  # GH200 datasheet: 1,979* sparse
    "H100NVLx2": ("bf16", 835.5),  # H100 datasheet, NVL column: 1,671* sparse
    "H100SXMx8": ("bf16", 989.4),  # H100 datasheet, SXM column
    "H200": ("bf16", 989.4),  # H200 datasheet
    "L4": ("bf16", 121.0),  # L4 datasheet: 242* sparse
    "L40S": ("bf16", 362.05),  # L40S datasheet: 733* sparse
    "RTX2000Ada": ("fp32", 12.0),  # RTX 2000 Ada datasheet: 12.0 TFLOPS single precision
    "RTX3070": ("bf16", 40.6),  # GA102 whitepaper appendix: fp16 tensor, fp32 accumulate
    "RTX3080": ("bf16", 59.5),  # GA102 whitepaper
    "RTX3090": ("bf16", 71.0),  # GA102 whitepaper
    "RTX4000Ada": ("fp32", 26.7),  # RTX 4000 Ada datasheet
    "RTX4060Ti": ("fp32", 22.06),  # GeForce spec page: 4352 cores x 2 x 2535 MHz
    "RTX4090": ("bf16", 165.2),  # Ada whitepaper: fp16 tensor, fp32 accumulate
    "RTX5090": ("bf16", 209.5),  # RTX Blackwell whitepaper: 419* sparse
    "RTX6000Ada_x8": ("fp32", 91.1),  # RTX 6000 Ada datasheet
    "RTX_A6000_x9": ("bf16", 154.85),  # RTX A6000 datasheet: 309.7* sparse tensor
    "V100_x8": ("fp16", 125.0),  # V100 datasheet, SXM2
    "GTX1050Ti": ("fp32", 2.14),  # GeForce spec page: 768 cores x 2 x 1392 MHz
}

#: GPUs outside the table: the peak is the formula at a named clock, or unknown.
OUTSIDE_TABLE = {"GTX680"}


def _collect(monkeypatch: pytest.MonkeyPatch, fake: DumpNvml) -> dict[str, Any]:
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    return collect_nvml_answers()


def _machine(dump: SmiDump, nvml: dict[str, Any]) -> Machine:
    machine = Machine(dump.name.lower(), f"{dump.name} from a recorded nvidia-smi -q dump")
    gpus = []
    for index, gpu in enumerate(dump.gpus):
        address = gpu.bus_id.lower()[-12:]
        base = int(gpu.fields.get("PCI.Base Classcode", "0x3"), 16)
        sub = int(gpu.fields.get("PCI.Sub Classcode", "0x0"), 16)
        add_pci(
            machine,
            address,
            0x10DE,
            gpu.device_id,
            (base << 16) | (sub << 8),
            gpu.subsystem,
            driver="nvidia",
        )
        cc = COMPUTE_CAPABILITY[gpu.device_id]
        memory = int((gpu.number("FB Memory Usage.Total") or 0) * 2**20)
        gpus.append(
            cuda_device(
                index, gpu.name, address, f"{cc[0]}.{cc[1]}", TORCH_SMS[gpu.device_id], memory
            )
        )
    machine.nvml = nvml
    machine.torch = torch_answers(
        "2.13.0+cu128", num_threads=16, capability="AVX512", cuda="12.8", gpus=gpus
    )
    return machine


def _probe(tmp_path: Path, machine: Machine) -> HardwareFacts:
    folder = write_machine(machine, tmp_path)
    with MachineRoot.open_snapshot(folder) as root:
        return probe_machine(root)


@pytest.mark.parametrize("name", dump_names())
def test_recorded_gpu_answers_as_nvml_does(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    dump = parse_dump(name)
    answers = _collect(monkeypatch, DumpNvml(dump))
    devices, status = nvidia_facts_from_answers(answers)
    assert status == dump.driver
    assert [d.pci_bus_id for d in devices] == [g.bus_id.lower()[-12:] for g in dump.gpus]
    for device, gpu in zip(devices, dump.gpus, strict=True):
        facts = device.facts
        assert isinstance(facts, NvidiaFacts)
        assert facts.name == gpu.name
        assert device.pci_device_id == gpu.device_id
        # A whole GPU: NVML has no SM count.
        assert facts.sm_count == Unavailable("NVML: not supported on this GPU")
        boost = gpu.number("Max Customer Boost Clocks.Graphics")
        if boost is None:
            assert isinstance(facts.sm_clock_boost_mhz, Unavailable)
        else:
            assert facts.sm_clock_boost_mhz == int(boost)


@pytest.mark.parametrize("name", dump_names())
def test_recorded_gpu_peak_matches_its_datasheet(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    dump = parse_dump(name)
    facts = _probe(tmp_path, _machine(dump, _collect(monkeypatch, DumpNvml(dump))))
    assert len(facts.gpus) == len(dump.gpus)
    for gpu, recorded in zip(facts.gpus, dump.gpus, strict=True):
        assert gpu.name == recorded.name
        assert gpu.torch.usable is True
        if name in OUTSIDE_TABLE:
            fp32 = gpu.peak_flops["fp32"]
            if isinstance(fp32, PeakFlops):
                # Never NVML's max clock silently: the clock used is named.
                assert fp32.estimated and "MHz (typical" in fp32.source
            else:
                assert "compute capability 3.0" in fp32.reason
            continue
        dtype, tflops = DATASHEET[name]
        peak = gpu.peak_flops[dtype]
        assert isinstance(peak, PeakFlops), peak
        assert peak.flops == pytest.approx(tflops * 1e12, rel=0.05)
        assert gpu.compute_units == TORCH_SMS[recorded.device_id]


def test_every_recorded_gpu_is_in_the_datasheet_map() -> None:
    assert set(dump_names()) == set(DATASHEET) | OUTSIDE_TABLE
    assert len(dump_names()) >= 12


# -- NVML's failure answers --------------------------------------------------------


def test_an_old_driver_library_mismatch_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 11: nvidia-ml-py raises NVMLLibraryMismatchError, not an NVMLError."""
    fake = DumpNvml(parse_dump("V100_x8"), old_driver=True)
    answers = _collect(monkeypatch, fake)
    (first, *_rest) = answers["devices"]
    # The unversioned call failed; the _v2 fallback answered.
    assert first["compute_processes"] == []
    assert "nvmlDeviceGetComputeRunningProcesses_v2" in fake.calls


def test_a_lost_gpu_and_a_forbidden_gpu_keep_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = DumpNvml(parse_dump("H100SXMx8"), lost=frozenset({3}), no_permission=frozenset({5}))
    devices, _ = nvidia_facts_from_answers(_collect(monkeypatch, fake))
    reasons = {d.nvml_index: d.facts for d in devices}
    assert isinstance(reasons[3], Unavailable) and "lost" in reasons[3].reason
    assert isinstance(reasons[5], Unavailable) and "permission" in reasons[5].reason
    assert sum(isinstance(f, NvidiaFacts) for f in reasons.values()) == 6


def test_driver_not_loaded_is_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = DumpNvml(parse_dump("L4"), init_error="NVML_ERROR_DRIVER_NOT_LOADED")
    devices, status = nvidia_facts_from_answers(_collect(monkeypatch, fake))
    assert devices == () and isinstance(status, Unavailable)
    assert "driver not loaded" in status.reason
