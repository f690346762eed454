"""The run's device: found by PCI bus ID, CUDA's numbering honoured, MIG slices scaled.

Machines are built from recorded nvidia-smi dumps (smi_dumps.py) and probed
through the real code; torch's device list is what torch reports on such a
machine (bus IDs, SM counts, memory).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from smi_dumps import DumpNvml, parse_dump
from test_recorded_gpus import _collect, _machine, _probe

import mfu_advisor.probe
from mfu_advisor.bench import denominators
from mfu_advisor.bench.denominators import device_peak
from mfu_advisor.bench.devices import native_bf16
from mfu_advisor.distributed import worker
from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.capabilities import run_memory_bytes
from mfu_advisor.probe.facts import HardwareFacts, PeakFlops, TorchFacts
from mfu_advisor.probe.run_device import find_run_device


def _machine_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, **changes: Any
) -> HardwareFacts:
    dump = parse_dump(name)
    machine = _machine(dump, _collect(monkeypatch, DumpNvml(dump)))
    if "torch_devices" in changes:
        assert machine.torch is not None
        machine.torch["devices"] = [machine.torch["devices"][0], *changes["torch_devices"]]
    if "mig" in changes:
        assert machine.nvml is not None
        machine.nvml["devices"][0]["mig_mode"] = [1, 1]
    return _probe(tmp_path, machine)


def _no_torch(facts: HardwareFacts) -> HardwareFacts:
    import dataclasses

    return dataclasses.replace(facts, torch=Unavailable("skipped: --no-torch"))


def test_load_hardware_asks_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding 1: without torch's answers no GPU is usable and no CUDA run had a device peak."""
    asked: dict[str, Any] = {}

    def fake_probe(**kwargs: Any) -> str:
        asked.update(kwargs)
        return "facts"

    monkeypatch.setattr(mfu_advisor.probe, "probe_machine", fake_probe)
    assert denominators.load_hardware() == "facts"
    assert asked == {"include_torch": True}


def test_every_gpu_of_a_recorded_server_gets_its_device_peak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = _machine_facts(tmp_path, monkeypatch, "H100SXMx8")
    for index in range(8):
        peak = device_peak(facts, "cuda", index, "bf16")
        assert isinstance(peak, PeakFlops) and peak.flops == pytest.approx(989.4e12)


def test_cuda_n_is_matched_by_the_bus_id_torch_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 2: torch's cuda:0 is the GPU at the bus address it reports, not PCI order."""
    dump = parse_dump("RTX4060Ti")
    assert len(dump.gpus) == 2
    facts = _machine_facts(tmp_path, monkeypatch, "RTX4060Ti")
    assert isinstance(facts.torch, TorchFacts)
    second_bus = dump.gpus[1].bus_id.lower()[-12:]
    found = find_run_device(facts, "cuda:1")
    assert not isinstance(found, Unavailable)
    assert found.gpu.pci_address == second_bus and found.how == "torch's PCI bus ID"


def _mixed_workstation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HardwareFacts:
    """A 4090 and an RTX 6000 Ada side by side, built from two recorded dumps."""
    ada = parse_dump("RTX6000Ada_x8")
    geforce = parse_dump("RTX4090")
    from smi_dumps import SmiDump

    mixed = SmiDump("mixed", geforce.driver, geforce.cuda, (geforce.gpus[0], ada.gpus[1]))
    machine = _machine(mixed, _collect(monkeypatch, DumpNvml(mixed)))
    return _no_torch(_probe(tmp_path, machine))


def test_without_torch_cuda_visible_devices_uuids_pick_the_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = _mixed_workstation(tmp_path, monkeypatch)
    ada = facts.gpus[1]
    uuid = ada.nvidia.uuid  # type: ignore[union-attr]
    env = {"CUDA_VISIBLE_DEVICES": str(uuid)[:12]}  # a UUID prefix, as CUDA accepts
    found = find_run_device(facts, "cuda:0", env)
    assert not isinstance(found, Unavailable) and found.gpu is ada


def test_without_torch_indices_need_pci_bus_id_order_on_mixed_gpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = _mixed_workstation(tmp_path, monkeypatch)
    fastest_first = find_run_device(facts, "cuda:0", {"CUDA_VISIBLE_DEVICES": "1"})
    assert isinstance(fastest_first, Unavailable)
    assert "fastest first" in fastest_first.reason
    by_bus = find_run_device(
        facts, "cuda:0", {"CUDA_VISIBLE_DEVICES": "1", "CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    )
    assert not isinstance(by_bus, Unavailable) and by_bus.gpu is facts.gpus[1]
    assert isinstance(find_run_device(facts, "cuda:1", {"CUDA_VISIBLE_DEVICES": "1"}), Unavailable)


def test_a_mig_slice_gets_its_share_of_the_peak_and_its_own_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 5: a 1g.10gb slice of an A100 is 14 of 108 SMs and about 9.75 GiB."""
    dump = parse_dump("A100SXMx4")
    bus = dump.gpus[0].bus_id.lower()[-12:]
    slice_device = {
        "device": "cuda:0",
        "name": "NVIDIA A100-SXM4-80GB MIG 1g.10gb",
        "pci_bus_id": bus,
        "compute_capability": "8.0",
        "multiprocessor_count": 14,
        "total_memory_bytes": 9_972_547_584,
    }
    facts = _machine_facts(tmp_path, monkeypatch, "A100SXMx4", torch_devices=[slice_device], mig=1)
    peak = device_peak(facts, "cuda", 0, "bf16")
    assert isinstance(peak, PeakFlops)
    assert peak.flops == pytest.approx(312e12 * 14 / 108)
    assert "MIG slice: 14 of 108 SMs" in peak.note
    assert run_memory_bytes(facts, "cuda:0") == 9_972_547_584


def test_mig_without_the_slice_seen_is_unknown_not_the_whole_gpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = _no_torch(_machine_facts(tmp_path, monkeypatch, "A100SXMx4", mig=1))
    peak = device_peak(facts, "cuda", 0, "bf16")
    assert isinstance(peak, Unavailable) and "MIG" in peak.reason


@pytest.mark.parametrize(
    ("capability", "hip_arch", "native"),
    [
        ((7, 5), None, False),  # T4: torch.cuda.is_bf16_supported() says True (emulation)
        ((7, 0), None, False),  # V100
        ((8, 0), None, True),  # A100
        ((8, 9), None, True),
        (None, "gfx908:sramecc+:xnack-", False),  # MI100 (CDNA 1)
        (None, "gfx90a:sramecc+:xnack-", True),  # MI250X (CDNA 2)
        (None, "gfx942:sramecc+:xnack-", True),  # MI300X
        (None, "gfx1100", True),  # RX 7900 XTX
    ],
)
def test_bf16_is_the_default_only_where_native(
    monkeypatch: pytest.MonkeyPatch,
    capability: tuple[int, int] | None,
    hip_arch: str | None,
    native: bool,
) -> None:
    """Finding 6: T4/V100 run float16 with a GradScaler, as nanoGPT does."""
    import torch

    monkeypatch.setattr(torch.version, "hip", "6.2" if hip_arch else None, raising=False)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda index=0: capability)
    monkeypatch.setattr(
        torch.cuda,
        "get_device_properties",
        lambda index=0: types.SimpleNamespace(gcnArchName=hip_arch or ""),
    )
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert native_bf16("cuda", 0) is native
    assert native_bf16("cpu", 0) is True


@pytest.mark.parametrize(
    ("visible", "local_rank", "expected"),
    [(1, 3, "cuda:0"), (4, 3, "cuda:3"), (8, 0, "cuda:0")],
)
def test_a_rank_with_one_visible_gpu_uses_cuda_0(
    visible: int, local_rank: int, expected: str
) -> None:
    """Finding 11: a rank given its own CUDA_VISIBLE_DEVICES has only cuda:0."""
    assert worker.rank_device("cuda", local_rank, visible, "cuda") == expected
    assert worker.rank_device("cpu", local_rank, 0, "cpu") == "cpu"


def test_a_failed_rank_still_destroys_its_process_group(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Finding 11: destroy_process_group runs in ``finally``, not only on success."""
    destroyed: list[bool] = []
    fake = types.ModuleType("torch.distributed")
    fake.is_available = lambda: True  # type: ignore[attr-defined]
    fake.is_initialized = lambda: True  # type: ignore[attr-defined]
    fake.destroy_process_group = lambda: destroyed.append(True)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch.distributed", fake)

    def failing_run(*args: Any) -> None:
        raise RuntimeError("NCCL error: unhandled system error")

    monkeypatch.setattr(worker, "_run", failing_run)
    monkeypatch.setattr(worker, "read_json", lambda path: {"job": True})
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert worker.main([str(tmp_path)]) == 1
    assert destroyed == [True]
