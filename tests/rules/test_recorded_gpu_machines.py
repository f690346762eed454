"""GPU rules on recorded machines (P1's probe snapshots): each fires where it should, alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfu_advisor.probe import probe_machine
from mfu_advisor.probe.sources import MachineRoot
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.registry import evaluate

SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "snapshots"

GPU_RULES = {"gpu-clocks-held-down", "pcie-link-below-max", "gpu-busy-other-process", "mig-slice"}


def _findings(case: str) -> dict[str, str]:
    with MachineRoot.open_snapshot(SNAPSHOTS / case) as root:
        hardware = probe_machine(root)
    return {f.symbol: f.explanation for f in evaluate(DiagnosisFacts(hardware=hardware))}


@pytest.mark.parametrize(
    ("case", "symbol", "words"),
    [
        ("gpu_sw_power_cap", "gpu-clocks-held-down", "software power cap"),
        ("gpu_pcie_x4_on_x16", "pcie-link-below-max", "x4 of x16 lanes"),
        ("gpu_mig_enabled", "mig-slice", "MIG mode"),
        ("gpu_busy_other_process", "gpu-busy-other-process", "1 other compute process"),
    ],
)
def test_a_recorded_gpu_problem_fires_its_rule_and_no_other_gpu_rule(
    case: str, symbol: str, words: str
) -> None:
    findings = _findings(case)
    assert words in findings[symbol]
    assert set(findings) & GPU_RULES == {symbol}


def test_a_healthy_eight_gpu_server_has_no_gpu_finding() -> None:
    assert not set(_findings("h100_sxm_x8_aspeed")) & GPU_RULES


def test_a_container_quota_below_torchs_threads_is_oversubscription() -> None:
    findings = _findings("container_2cpu_on_64core")
    assert "cgroup CPU quota allows 2 CPUs" in findings["threads-oversubscribed"]


def test_a_laptop_iris_xe_is_named_with_what_it_would_take() -> None:
    findings = _findings("alder_lake_p_iris_xe")
    assert "XPU" in findings["igpu-not-usable"]
