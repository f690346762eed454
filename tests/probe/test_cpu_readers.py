"""CPU readers: kernel CPU lists, ISA names, brand clocks, and the cgroup CPU quota."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from probe_helpers import SNAPSHOTS

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.cgroup import read_affinity, read_cgroup_limits, usable_cpu_count
from mfu_advisor.probe.cpuinfo import (
    clock_from_model_name,
    isa_from_blocks,
    isa_names,
    parse_cpu_list,
    parse_cpuinfo,
)
from mfu_advisor.probe.sources import MachineRoot


@pytest.mark.parametrize(
    ("text", "cpus"),
    [
        ("0-3", (0, 1, 2, 3)),
        ("0-1,8,10-11\n", (0, 1, 8, 10, 11)),
        ("5", (5,)),
        ("", ()),
        ("3-1", None),
        ("a-b", None),
    ],
)
def test_kernel_cpu_lists_parse(text: str, cpus: tuple[int, ...] | None) -> None:
    assert parse_cpu_list(text) == cpus


def test_x86_flags_map_to_canonical_isa_names_in_a_fixed_order() -> None:
    flags = "fpu avx2 amx_tile fma avx512f avx512_bf16 amx_bf16 sse4_2 avx avx_vnni"
    assert isa_names("x86", flags) == (
        "avx",
        "fma",
        "avx2",
        "avx512f",
        "avx512_bf16",
        "avx_vnni",
        "amx_tile",
        "amx_bf16",
    )


def test_arm_features_map_to_canonical_isa_names() -> None:
    assert isa_names("arm", "fp asimd asimdhp sve sve2 svebf16 i8mm bf16") == (
        "asimd",
        "asimdhp",
        "sve",
        "sve2",
        "bf16",
        "i8mm",
    )


def test_isa_is_what_every_cpu_has() -> None:
    blocks = parse_cpuinfo("processor: 0\nflags: avx avx2 fma\n\nprocessor: 1\nflags: avx fma\n")
    assert isa_from_blocks(blocks) == ("avx", "fma")
    assert isinstance(isa_from_blocks(parse_cpuinfo("processor: 0\n")), Unavailable)


def test_brand_string_clock_is_read_in_mhz() -> None:
    assert clock_from_model_name("Intel(R) Xeon(R) W-2245 CPU @ 3.90GHz") == 3900.0
    assert clock_from_model_name("AMD EPYC 7763 64-Core Processor") is None


@pytest.mark.parametrize(
    ("affinity", "quota", "usable"),
    [(128, 2.0, 2), (128, 1.5, 2), (128, 0.5, 1), (4, 8.0, 4), (16, None, 16)],
)
def test_usable_cpus_round_the_quota_up_and_never_exceed_the_affinity(
    affinity: int, quota: float | None, usable: int
) -> None:
    assert usable_cpu_count(affinity, quota) == usable


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(SNAPSHOTS / name, target)
    return target


def test_the_tightest_quota_up_the_cgroup_path_wins(tmp_path: Path) -> None:
    folder = _copy("container_2cpu_on_64core", tmp_path)
    (folder / "proc/self/cgroup").write_text("0::/kubepods/pod1/ctr\n")
    for sub, value in (
        ("kubepods", "max 100000"),
        ("kubepods/pod1", "150000 100000"),
        ("kubepods/pod1/ctr", "400000 100000"),
    ):
        (folder / "sys/fs/cgroup" / sub).mkdir(parents=True, exist_ok=True)
        (folder / "sys/fs/cgroup" / sub / "cpu.max").write_text(value + "\n")
    warnings: list[str] = []
    with MachineRoot.open_snapshot(folder) as root:
        limits = read_cgroup_limits(root, warnings)
    assert limits.cpu_limit == 1.5
    assert warnings == []


def test_cgroup_v1_cfs_quota_is_read(tmp_path: Path) -> None:
    folder = _copy("kvm_epyc_virtio", tmp_path)
    (folder / "sys/fs/cgroup/cpu/cpu.cfs_quota_us").write_text("300000\n")
    with MachineRoot.open_snapshot(folder) as root:
        limits = read_cgroup_limits(root, [])
    assert limits.cpu_limit == 3.0
    assert limits.memory_limit_bytes is None  # 9223372036854771712 means "no limit"


def test_garbage_in_cpu_max_is_a_reason_and_a_warning(tmp_path: Path) -> None:
    folder = _copy("container_2cpu_on_64core", tmp_path)
    (folder / "sys/fs/cgroup/cpu.max").write_text("lots of cpus\n")
    warnings: list[str] = []
    with MachineRoot.open_snapshot(folder) as root:
        limits = read_cgroup_limits(root, warnings)
    assert isinstance(limits.cpu_limit, Unavailable)
    assert "cpu.max" in limits.cpu_limit.reason and warnings == [limits.cpu_limit.reason]
    assert usable_cpu_count(128, limits.cpu_limit) == 128


def test_affinity_comes_from_proc_self_status(tmp_path: Path) -> None:
    folder = _copy("container_2cpu_on_64core", tmp_path)
    status = folder / "proc/self/status"
    status.write_text(status.read_text().replace("0-127", "4-5"))
    with MachineRoot.open_snapshot(folder) as root:
        assert read_affinity(root, []) == (4, 5)
    status.write_text("Cpus_allowed_list:\tnonsense\n")
    warnings: list[str] = []
    with MachineRoot.open_snapshot(folder) as root:
        assert isinstance(read_affinity(root, warnings), Unavailable)
    assert warnings


def test_manifest_of_each_fixture_says_what_machine_it_is() -> None:
    for folder in sorted(SNAPSHOTS.iterdir()):
        manifest = json.loads((folder / "snapshot.json").read_text())
        assert manifest["format"] == "mfu-advisor-snapshot" and manifest["description"]


def test_a_cpu_list_naming_a_million_cpus_is_not_a_cpu_list() -> None:
    from mfu_advisor.probe.cpuinfo import parse_cpu_list

    assert parse_cpu_list("0-999999") is None
    assert parse_cpu_list("0-8191") is not None
    assert parse_cpu_list("8192") is None
    assert parse_cpu_list("-3") is None


def test_an_empty_snapshot_gives_unknowns_not_a_crash(tmp_path: Path) -> None:
    """Issue 12, finding 11: probe/cpu.py raised ValueError on a snapshot with no CPU files."""
    import json

    from mfu_advisor.probe import probe_machine
    from mfu_advisor.probe.sources import MachineRoot

    manifest = {"format": "mfu-advisor-snapshot", "version": 1, "os": "Linux"}
    (tmp_path / "snapshot.json").write_text(json.dumps(manifest))
    with MachineRoot.open_snapshot(tmp_path) as root:
        facts = probe_machine(root, include_torch=False)
    assert isinstance(facts.cpu.physical_cores, Unavailable)
    assert isinstance(facts.cpu.peak_flops["fp32"], Unavailable)
    assert facts.gpus == ()
