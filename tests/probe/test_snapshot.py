"""Snapshots: recording this machine, reading it back as if live, and refusing bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from probe_helpers import SNAPSHOTS

from mfu_advisor.errors import UserError
from mfu_advisor.facts import to_jsonable
from mfu_advisor.probe import probe_machine
from mfu_advisor.probe.snapshot import write_snapshot
from mfu_advisor.probe.sources import MachineRoot

#: Facts that legitimately differ between two reads a moment apart.
VOLATILE = ("source",)


def _comparable(facts: object) -> dict[str, object]:
    data = to_jsonable(facts)
    assert isinstance(data, dict)
    for key in VOLATILE:
        data.pop(key)
    data["memory"].pop("available_bytes")
    return data


@pytest.mark.skipif(sys.platform != "linux", reason="records /proc and /sys")
def test_a_fresh_snapshot_of_this_machine_probes_the_same_as_live(tmp_path: Path) -> None:
    out = tmp_path / "here"
    recorded = write_snapshot(out, include_torch=False)
    live = probe_machine(include_torch=False)
    with MachineRoot.open_snapshot(out) as root:
        replayed = probe_machine(root, include_torch=False)
    assert _comparable(replayed) == _comparable(live) == _comparable(recorded)
    manifest = json.loads((out / "snapshot.json").read_text())
    assert manifest["format"] == "mfu-advisor-snapshot" and manifest["version"] == 1
    assert manifest["os"] == "Linux" and manifest["includes_torch"] is False
    assert (out / "proc" / "cpuinfo").is_file()
    assert not (out / "torch.json").exists()


@pytest.mark.skipif(sys.platform != "linux", reason="records /proc and /sys")
def test_snapshot_archive_round_trips(tmp_path: Path) -> None:
    out = tmp_path / "machine.tar.gz"
    write_snapshot(out, include_torch=False)
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert "machine/snapshot.json" in names and "machine/proc/cpuinfo" in names
    with MachineRoot.open_snapshot(out) as root:
        replayed = probe_machine(root, include_torch=False)
    assert _comparable(replayed) == _comparable(probe_machine(include_torch=False))
    assert [p.name for p in tmp_path.iterdir()] == ["machine.tar.gz"]  # no leftovers


def test_an_existing_output_is_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "taken"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="already exists"):
        write_snapshot(existing, include_torch=False)
    archive = tmp_path / "taken.tar.gz"
    archive.write_bytes(b"not mine to replace")
    with pytest.raises(UserError, match="already exists"):
        write_snapshot(archive, include_torch=False)
    assert (existing / "keep.txt").read_text() == "mine"
    assert archive.read_bytes() == b"not mine to replace"


def test_a_missing_output_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        write_snapshot(tmp_path / "no" / "such" / "out", include_torch=False)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "mfu_advisor", *args], capture_output=True, text=True, env=env
    )


def _one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), done.stderr
    for word in words:
        assert word in lines[0]


def test_missing_root_is_one_line_and_exit_2(tmp_path: Path) -> None:
    _one_line_error(_cli("probe", "--root", str(tmp_path / "nowhere")), "does not exist")


def test_a_folder_that_is_not_a_snapshot_is_one_line_and_exit_2(tmp_path: Path) -> None:
    _one_line_error(_cli("probe", "--root", str(tmp_path)), "not an mfu-advisor snapshot")


def test_truncated_archive_is_one_line_and_exit_2(tmp_path: Path) -> None:
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tar:
        tar.add(SNAPSHOTS / "h100_sxm_x8_aspeed", arcname="h100")
    data = good.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    _one_line_error(_cli("probe", "--root", str(truncated), "--no-torch"), "truncated")


def test_snapshot_command_refuses_an_existing_output(tmp_path: Path) -> None:
    _one_line_error(_cli("snapshot", str(tmp_path)), "already exists")


def test_an_unreadable_file_becomes_a_reason_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    import shutil

    shutil.copytree(SNAPSHOTS / "alder_lake_p_iris_xe", folder)
    # A folder where a file should be cannot be read, even by root.
    (folder / "proc/meminfo").unlink()
    (folder / "proc/meminfo").mkdir()
    # The snapshot also records files that were unreadable on the recorded machine.
    manifest = json.loads((folder / "snapshot.json").read_text())
    manifest["unreadable"] = {"/proc/sys/kernel/hostname": "not readable (permission denied)"}
    (folder / "snapshot.json").write_text(json.dumps(manifest))
    with MachineRoot.open_snapshot(folder) as root:
        facts = probe_machine(root, include_torch=False)
    assert str(facts.memory.total_bytes).startswith("unavailable: /proc/meminfo not readable")
    assert str(facts.host.hostname) == "unavailable: not readable (permission denied)"
    assert facts.cpu.vendor == "Intel"  # the rest is still read


def test_garbled_sysfs_values_give_a_partial_result_with_reasons(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(SNAPSHOTS / "alder_lake_p_iris_xe", folder)
    (folder / "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq").write_text("fast\n")
    (folder / "sys/devices/system/cpu/online").write_text("zero to fifteen\n")
    (folder / "proc/meminfo").write_text("MemTotal: lots kB\n")
    done = _cli("probe", "--root", str(folder), "--json", "--no-torch")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["cpu"]["logical_cpus"] == 16  # from /proc/cpuinfo instead
    # cpufreq's value is garbled (and warned about): the i7-1260P's max turbo comes
    # from the model table instead.
    assert result["cpu"]["core_types"][0]["max_clock_mhz"] == 4700
    assert result["cpu"]["clock_source"] == "model_table_boost"
    assert any("not an integer" in w for w in result["warnings"])
    assert len(result["warnings"]) == 3


def test_garbled_nvml_and_torch_json_in_a_snapshot_are_reasons(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(SNAPSHOTS / "rtx_4070_ti_desktop", folder)
    (folder / "nvml.json").write_text("{ this is not json")
    (folder / "torch.json").write_text('["not", "an", "object"]')
    done = _cli("probe", "--root", str(folder), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert "not valid JSON" in result["unavailable"]["nvml"]
    assert "malformed" in result["unavailable"]["torch"]
    (gpu,) = result["gpus"]
    assert gpu["vendor"] == "NVIDIA" and gpu["name"] == "NVIDIA GeForce RTX 4070 Ti"
