"""``snapshot --redact`` and snapshot write failures."""

from __future__ import annotations

import errno
import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from probe_helpers import SNAPSHOTS

from mfu_advisor import redaction
from mfu_advisor.cli import cli
from mfu_advisor.errors import UserError
from mfu_advisor.facts import to_jsonable
from mfu_advisor.probe import probe_machine
from mfu_advisor.probe.snapshot import RecordingRoot, redact_tree, write_snapshot
from mfu_advisor.probe.sources import MachineRoot

PLANTED = {
    "proc/sys/kernel/hostname": "lab-node-42\n",
    "proc/mounts": "/dev/nvme0n1p3 /home/mvoss ext4 rw 0 0\n"
    "nfs01.storage.example-lab.org:/export/scratch/mvoss /scratch/mvoss nfs4 rw 0 0\n",
    "sys/class/net/eth0/address": "3c:ec:ef:12:34:56\n",
    "sys/class/dmi/id/product_serial": "CZJ8420ABC\n",
    "sys/class/dmi/id/product_uuid": "4c4c4544-0042-3510-8052-b4c04f4e3732\n",
    "commands/nvidia-smi.txt": "    Serial Number                         : 1320221034567\n"
    "    GPU UUID                              : GPU-7f3e2a1b-9c8d-4e5f-a6b7-c8d9e0f1a2b3\n"
    "    Hostname: LAB-NODE-42\n",
}
SECRETS = (
    "lab-node-42", "mvoss", "example-lab", "3c:ec:ef:12:34:56", "CZJ8420ABC", "4c4c4544",
    "1320221034567", "7f3e2a1b", "00000000-1111-2222-3333-000000002782",
)  # fmt: skip


def _planted_snapshot(tmp_path: Path) -> Path:
    folder = tmp_path / "m"
    shutil.copytree(SNAPSHOTS / "rtx_4070_ti_desktop", folder)
    for name, text in PLANTED.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()).lower()


def test_redact_tree_removes_names_serials_uuids_macs_and_user_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redaction, "local_host", lambda: "lab-node-42")
    monkeypatch.setattr(redaction, "local_user", lambda: "someone-else")
    folder = _planted_snapshot(tmp_path)
    before = _all_text(folder)
    assert all(secret.lower() in before for secret in SECRETS)
    with MachineRoot.open_snapshot(folder) as root:
        plain = to_jsonable(probe_machine(root))
    redact_tree(folder)
    after = _all_text(folder)
    assert [s for s in SECRETS if s.lower() in after] == []
    assert (folder / "proc/sys/kernel/hostname").read_text() == "<host>\n"
    assert "/home/<user>" not in after and "~ ext4" in after  # the mount point kept its type
    # Everything that diagnoses is still there: the probe reads the same hardware.
    with MachineRoot.open_snapshot(folder) as root:
        redacted = to_jsonable(probe_machine(root))
    assert isinstance(plain, dict) and isinstance(redacted, dict)
    assert redacted["cpu"] == plain["cpu"]
    assert [g["name"] for g in redacted["gpus"]] == [g["name"] for g in plain["gpus"]]
    assert redacted["host"]["hostname"] == "<host>"


@pytest.mark.skipif(sys.platform != "linux", reason="records /proc and /sys")
def test_snapshot_redact_of_this_machine_holds_no_host_name(tmp_path: Path) -> None:
    out = tmp_path / "here"
    done = CliRunner().invoke(cli, ["snapshot", str(out), "--no-torch", "--redact"])
    assert done.exit_code == 0, done.output
    assert (out / "proc/sys/kernel/hostname").read_text() == "<host>\n"
    assert json.loads((out / "snapshot.json").read_text())["redacted"] is True
    host = redaction.local_host()
    if redaction._worth_hunting(host):
        word = redaction._word(host)  # as a whole word: "vm" may be in "vmx"
        assert not [p for p in out.rglob("*") if p.is_file() and word.search(p.read_text())]


@pytest.mark.parametrize("name", ["full", "full.tar.gz"])
def test_a_full_disk_while_recording_is_one_line_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    calls = {"n": 0}
    original = RecordingRoot._copy_path

    def copy_path(self: RecordingRoot, machine_path: str) -> Path:
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, machine_path)

    monkeypatch.setattr(RecordingRoot, "_copy_path", copy_path)
    with pytest.raises(UserError, match="No space left on device"):
        write_snapshot(tmp_path / name, include_torch=False)
    assert list(tmp_path.iterdir()) == []
