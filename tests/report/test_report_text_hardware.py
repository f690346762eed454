"""A probe result in the terminal, rendered from the JSON payload alone."""

from __future__ import annotations

import json
from pathlib import Path

from mfu_advisor.facts import to_jsonable
from mfu_advisor.probe import probe_machine
from mfu_advisor.probe.sources import MachineRoot
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Command, Report

SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "snapshots"


def _text(machine: str, width: int = 120) -> str:
    with MachineRoot.open_snapshot(SNAPSHOTS / machine) as root:
        payload = json.loads(json.dumps(to_jsonable(probe_machine(root))))
    return _render(payload, width)


def _render(payload: dict, width: int = 120) -> str:
    return render(Report(Command.PROBE, payload), OutputFormat.TEXT, width=width, color=False)


def test_alder_lake_laptop_renders_p_and_e_cores_and_the_iris_xe() -> None:
    text = _text("alder_lake_p_iris_xe")
    assert "12 physical cores (4 P + 8 E)" in text
    assert "Golden Cove" in text and "Gracemont" in text
    assert "Intel Iris Xe Graphics" in text and "integrated" in text
    assert "emulated" in text  # bf16 on a CPU without native bf16
    assert "XPU" in text


def test_nvml_failures_print_their_reason() -> None:
    assert "GPU is lost" in _text("nvml_gpu_lost")
    assert "libnvidia-ml" in _text("nvml_library_not_found")


def test_gpu_states_for_the_rules_are_visible() -> None:
    assert "sw_power_cap" in _text("gpu_sw_power_cap")
    assert "PCIe (now / max)       Gen4 x4 / Gen4 x16" in _text("gpu_pcie_x4_on_x16")
    assert "MIG mode               yes" in _text("gpu_mig_enabled")


def test_payload_text_is_never_read_as_rich_markup() -> None:
    with MachineRoot.open_snapshot(SNAPSHOTS / "kvm_epyc_virtio") as root:
        payload = json.loads(json.dumps(to_jsonable(probe_machine(root))))
    payload["cpu"]["model"] = "[bold]AMD[/bold] EPYC [/]"
    assert "[bold]AMD[/bold] EPYC [/]" in _render(payload, 100)


def test_a_sparse_payload_still_renders() -> None:
    assert "Hardware" in _render({"cpu": {}, "gpus": [{}], "torch": None}, 80)
