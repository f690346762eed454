"""Machines rebuilt from public dumps are probed right: identity, cores, every peak.

Each peak must be within 5% of the figure the vendor publishes (typed in
public_machines.py with its source), or unknown with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fixture_parts import Machine
from public_machines import MACHINES, Expected
from snapshot_fixtures import write_machine

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe import probe_machine
from mfu_advisor.probe.facts import PeakFlops
from mfu_advisor.probe.sources import MachineRoot


@pytest.mark.parametrize("make", MACHINES, ids=lambda make: make.__name__)
def test_public_machine_is_probed_right(
    tmp_path: Path, make: Callable[[], tuple[Machine, Expected]]
) -> None:
    machine, expected = make()
    folder = write_machine(machine, tmp_path)
    with MachineRoot.open_snapshot(folder) as root:
        facts = probe_machine(root)
    cpu = facts.cpu
    assert cpu.model == expected.model
    assert (cpu.logical_cpus, cpu.physical_cores, cpu.sockets) == (
        expected.logical,
        expected.physical,
        expected.sockets,
    )
    if expected.usable_cpus is not None:
        assert cpu.usable_cpus == expected.usable_cpus
    fp32 = cpu.peak_flops["fp32"]
    assert isinstance(fp32, PeakFlops), fp32
    assert fp32.flops == pytest.approx(expected.cpu_fp32_tflops * 1e12, rel=0.05)
    assert [g.name for g in facts.gpus] == [name for name, _, _ in expected.gpus]
    for gpu, (name, dtype, tflops) in zip(facts.gpus, expected.gpus, strict=True):
        peak = gpu.peak_flops[dtype]
        if tflops is None:
            assert isinstance(peak, Unavailable) and peak.reason, name
            continue
        assert isinstance(peak, PeakFlops), f"{name}: {peak}"
        assert peak.flops == pytest.approx(tflops * 1e12, rel=0.05), name
    assert not [w for w in facts.warnings if "truncated" in w or "plausible" in w]


def test_there_are_at_least_twelve_public_machines() -> None:
    assert len(MACHINES) >= 12


def test_epyc_7742_peak_uses_the_boost_clock_not_the_acpi_base(tmp_path: Path) -> None:
    """Finding 10: acpi-cpufreq's cpuinfo_max_freq (2250 MHz) is the base, not max turbo."""
    machine, _ = MACHINES[0]()
    folder = write_machine(machine, tmp_path)
    with MachineRoot.open_snapshot(folder) as root:
        cpu = probe_machine(root, include_torch=False).cpu
    assert cpu.peak_clock_mhz == 3400
    assert cpu.clock_source == "model_table_boost"
    assert "2250 MHz" in cpu.clock_note and "base P-state" in cpu.clock_note
    assert "max turbo" not in cpu.clock_note


def test_an_unknown_amd_model_under_acpi_boost_says_boost_unknown(tmp_path: Path) -> None:
    machine, _ = MACHINES[0]()
    cpuinfo = machine.files["proc/cpuinfo"].replace("EPYC 7742", "EPYC 7H12")
    machine.files["proc/cpuinfo"] = cpuinfo
    folder = write_machine(machine, tmp_path)
    with MachineRoot.open_snapshot(folder) as root:
        cpu = probe_machine(root, include_torch=False).cpu
    assert cpu.peak_clock_mhz == 2250 and cpu.peak_clock_is_max is False
    assert "boost clock is unknown" in cpu.clock_note


def test_a_truncated_cpuinfo_is_reported_and_sysfs_wins(tmp_path: Path) -> None:
    """Finding 11: a cpuinfo cut to 4 of 16 CPUs; sysfs topology says 8 cores x 2 threads."""
    machine, _ = MACHINES[6]()  # Ryzen 7 4800U: 8 cores, 16 threads
    blocks = machine.files["proc/cpuinfo"].split("\n\n")
    machine.files["proc/cpuinfo"] = "\n\n".join(blocks[:4]) + "\n\n"
    for cpu in range(16):
        base = f"sys/devices/system/cpu/cpu{cpu}/topology"
        machine.add(f"{base}/thread_siblings_list", f"{cpu % 8},{cpu % 8 + 8}")
        machine.add(f"{base}/physical_package_id", "0")
    folder = write_machine(machine, tmp_path)
    with MachineRoot.open_snapshot(folder) as root:
        facts = probe_machine(root, include_torch=False)
    assert (facts.cpu.logical_cpus, facts.cpu.physical_cores) == (16, 8)
    assert facts.cpu.threads_per_core == 2
    assert any("lists 4 CPUs but sysfs has 16 online" in w for w in facts.warnings)


def test_cpuinfo_whose_core_ids_contradict_its_sibling_counts_defers_to_sysfs(
    tmp_path: Path,
) -> None:
    machine, _ = MACHINES[6]()
    # Every thread given its own core id, as a cut-and-pasted cpuinfo can show.
    text = machine.files["proc/cpuinfo"]
    counter = iter(range(100))
    text = "\n".join(
        f"core id\t\t: {next(counter)}" if line.startswith("core id") else line
        for line in text.splitlines()
    )
    machine.files["proc/cpuinfo"] = text + "\n"
    for cpu in range(16):
        base = f"sys/devices/system/cpu/cpu{cpu}/topology"
        machine.add(f"{base}/thread_siblings_list", f"{cpu % 8},{cpu % 8 + 8}")
        machine.add(f"{base}/physical_package_id", "0")
    folder = write_machine(machine, tmp_path)
    with MachineRoot.open_snapshot(folder) as root:
        facts = probe_machine(root, include_torch=False)
    assert facts.cpu.physical_cores == 8
    assert any("thread(s) per core" in w and "sysfs" in w for w in facts.warnings)
