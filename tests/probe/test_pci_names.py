"""PCI display devices: the vendor always comes from numbers, names only from text."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from probe_helpers import SNAPSHOTS, probe_fixture

from mfu_advisor.probe import gpu_peaks
from mfu_advisor.probe.facts import GpuKind
from mfu_advisor.probe.pci import normalize_pci_address, parse_lspci_names, parse_pci_ids
from mfu_advisor.probe.sources import MachineRoot


def naive_vendor(lspci_line: str) -> str:
    """What the home-made get_gpu_info.py did: substring tests on lspci text."""
    upper = lspci_line.upper()
    if "AMD" in upper or "ATI" in upper:
        return "AMD"
    if "NVIDIA" in upper:
        return "NVIDIA"
    return "Intel"


def test_intel_igpu_is_never_labelled_amd(monkeypatch: pytest.MonkeyPatch) -> None:
    lspci = (SNAPSHOTS / "alder_lake_p_iris_xe" / "commands" / "lspci.txt").read_text()
    vga_line = next(line for line in lspci.splitlines() if "VGA" in line)
    assert naive_vendor(vga_line) == "AMD", "the fixture must fool a substring test"
    # Without the integrated-GPU table the name must come from the lspci text,
    # and still the vendor is Intel, from the numeric vendor ID 0x8086.
    monkeypatch.setattr(gpu_peaks, "gpu_table", lambda: ())
    (gpu,) = probe_fixture("alder_lake_p_iris_xe").gpus
    assert gpu.name_source == "lspci"
    assert gpu.name == "Intel Alder Lake-P GT2 [Iris Xe Graphics]"
    assert (gpu.vendor, gpu.vendor_id, gpu.kind) == ("Intel", "0x8086", GpuKind.INTEGRATED)


def test_a_device_name_that_mentions_amd_does_not_change_the_vendor(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(SNAPSHOTS / "alder_lake_p_iris_xe", folder)
    (folder / "usr/share/misc").mkdir(parents=True)
    (folder / "usr/share/misc/pci.ids").write_text(
        "8086  Intel Corporation\n\t46a6  AMD/ATI Radeon lookalike (not really)\n"
    )
    with MachineRoot.open_snapshot(folder) as root:
        from mfu_advisor.probe import probe_machine

        facts = probe_machine(root, include_torch=False)
    assert facts.gpus[0].vendor == "Intel"


def test_lspci_machine_readable_output_yields_device_names_only() -> None:
    text = (
        '0000:00:02.0 "VGA compatible controller [0300]" "Intel Corporation [8086]" '
        '"Alder Lake-P GT2 [Iris Xe Graphics] [46a6]" -r0c -p00 "Lenovo [17aa]" "Device [22e4]"\n'
        "garbage line without quotes\n"
        '01:00.0 "3D controller [0302]" "NVIDIA Corporation [10de]" "GA106M [GeForce RTX 3060 '
        'Mobile / Max-Q] [2560]" -ra1 "Lenovo [17aa]" "Device [3a4b]"\n'
    )
    assert parse_lspci_names(text) == {
        "0000:00:02.0": (0x46A6, "Alder Lake-P GT2 [Iris Xe Graphics]"),
        "0000:01:00.0": (0x2560, "GA106M [GeForce RTX 3060 Mobile / Max-Q]"),
    }


def test_pci_ids_device_names_are_keyed_by_numbers() -> None:
    text = (
        "# comment\n1002  Advanced Micro Devices, Inc. [AMD/ATI]\n\t1681  Rembrandt [Radeon 680M]\n"
        "\t\t1043 13e3  subsystem line\n8086  Intel Corporation\n\t46a6  Alder Lake-P GT2\n"
        "C 03  Display controller\n\t00  VGA compatible controller\n"
    )
    assert parse_pci_ids(text) == {
        (0x1002, 0x1681): "Rembrandt [Radeon 680M]",
        (0x8086, 0x46A6): "Alder Lake-P GT2",
    }


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("00000000:3B:00.0", "0000:3b:00.0"),
        ("01:00.0", "0000:01:00.0"),
        ("0009:01:00.0", "0009:01:00.0"),
    ],
)
def test_bus_addresses_from_nvml_lspci_and_sysfs_compare_equal(raw: str, normal: str) -> None:
    assert normalize_pci_address(raw) == normal


def test_garbage_in_a_class_file_skips_the_device_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(SNAPSHOTS / "rtx_4070_ti_desktop", folder)
    (folder / "sys/bus/pci/devices/0000:01:00.0/class").write_text("\x00\x13garbage\n")
    from mfu_advisor.probe import probe_machine

    with MachineRoot.open_snapshot(folder) as root:
        facts = probe_machine(root, include_torch=False)
    assert any("0000:01:00.0" in w and "not an integer" in w for w in facts.warnings)
    # The GPU NVML still lists appears from NVML alone, under its bus address.
    assert [g.pci_address for g in facts.gpus] == ["0000:01:00.0"]
    assert facts.gpus[0].name == "NVIDIA GeForce RTX 4070 Ti"
