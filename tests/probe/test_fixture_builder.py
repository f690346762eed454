"""The committed recorded machines are exactly what their builder script writes."""

from __future__ import annotations

from pathlib import Path

from snapshot_fixtures import MACHINES, SNAPSHOTS, build_all


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_committed_fixtures_equal_the_builder_output(tmp_path: Path) -> None:
    build_all(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in SNAPSHOTS.iterdir())
    for folder in sorted(tmp_path.iterdir()):
        assert _tree(folder) == _tree(SNAPSHOTS / folder.name), folder.name


def test_there_are_recorded_machines_for_every_case_the_issue_names() -> None:
    names = {make().name for make in MACHINES}
    assert len(names) >= 10 + 5 + 4
    for required in (
        "alder_lake_p_iris_xe",
        "rtx_4070_ti_desktop",
        "laptop_iris_xe_rtx3060_3d",
        "h100_sxm_x8_aspeed",
        "ryzen_680m_laptop",
        "kvm_epyc_virtio",
        "qemu_stdvga_xeon",
        "container_2cpu_on_64core",
        "apple_m2",
        "neoverse_v2_grace",
        "nvml_library_not_found",
        "nvml_driver_not_loaded",
        "nvml_no_permission",
        "nvml_not_supported_fields",
        "nvml_gpu_lost",
        "gpu_sw_power_cap",
        "gpu_pcie_x4_on_x16",
        "gpu_mig_enabled",
        "gpu_busy_other_process",
    ):
        assert required in names
