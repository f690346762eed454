"""Hostile snapshot archives and folders: nothing is written or read outside the snapshot.

Every archive here is built by the test (none is shipped); the decompression
bomb claims 1 GiB but costs kilobytes, and the byte and member caps are
checked with lowered limits.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest
from probe_helpers import SNAPSHOTS

from mfu_advisor.errors import UserError
from mfu_advisor.probe import archive, probe_machine
from mfu_advisor.probe.sources import MachineRoot

MANIFEST = json.dumps({"format": "mfu-advisor-snapshot", "version": 1}).encode()


@pytest.fixture
def outer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding the extraction folder (the temp dir) and a file the attacks aim at."""
    folder = tmp_path / "outer"
    folder.mkdir()
    (folder / "flag").write_text("original")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _untouched(outer: Path) -> None:
    """Only the flag is left in ``outer``, unchanged: nothing written, no temp folder left."""
    assert sorted(p.name for p in outer.iterdir()) == ["flag"]
    assert (outer / "flag").read_text() == "original"


def _add(tar: tarfile.TarFile, name: str, *, data: bytes | None = None, **fields: object) -> None:
    info = tarfile.TarInfo(name)
    for key, value in fields.items():
        setattr(info, key, value)
    if data is not None:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        tar.addfile(info)


def _archive(path: Path, build: object, mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:  # type: ignore[call-overload]
        _add(tar, "snapshot.json", data=MANIFEST)
        build(tar)  # type: ignore[operator]
    return path


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(UserError) as info:
        MachineRoot.open_snapshot(path)
    message = info.value.format_message()
    assert "\n" not in message and len(message) < 400
    for word in words:
        assert word in message
    return message


def _chained_symlink_attack(tar: tarfile.TarFile, dest_len: int) -> None:
    """The CVE-2025-4517 construction (CPython's test_realpath_limit_attack, gh-135034).

    Symlinks whose expansion exceeds PATH_MAX are not resolved by
    os.path.realpath, so the "data" filter of Python < 3.11.13 passes a link
    chain that ends in the parent of the extraction folder, then writes through it.
    """
    steps = "abcdefghijklmnop"
    path_max = os.pathconf("/", "PC_PATH_MAX")
    component = "d" * ((path_max - dest_len - 1) // (len(steps) + 1))
    path = ""
    for step in steps:
        _add(tar, os.path.join(path, component), type=tarfile.DIRTYPE, mode=0o777)
        _add(tar, os.path.join(path, step), type=tarfile.SYMTYPE, linkname=component)
        path = os.path.join(path, component)
    link = os.path.join(*steps, "l" * 254)
    _add(tar, link, type=tarfile.SYMTYPE, linkname=os.path.join(*[".."] * len(steps)))
    _add(tar, "escape", type=tarfile.SYMTYPE, linkname=os.path.join(link, ".."))
    _add(tar, "flaglink", type=tarfile.LNKTYPE, linkname=os.path.join("escape", "flag"))
    _add(tar, "flaglink", data=b"overwrite")
    _add(tar, "escape/newfile", data=b"new")


@pytest.mark.skipif(sys.platform != "linux", reason="PATH_MAX construction for Linux")
def test_the_cve_2025_4517_chained_symlink_archive_writes_nothing_outside(
    outer: Path, tmp_path: Path
) -> None:
    # The extraction folder is <outer>/mfu-advisor-snapshot-XXXXXXXX.
    dest_len = len(str(outer)) + 1 + len("mfu-advisor-snapshot-") + 8
    attack = tmp_path / "cve.tar"
    with tarfile.open(attack, "w", format=tarfile.PAX_FORMAT) as tar:
        _chained_symlink_attack(tar, dest_len)
    _refused(attack, "refused", "symbolic link")
    _untouched(outer)


def test_the_python_filter_alone_is_not_what_protects(
    outer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even where tarfile's "data" filter would accept a member (a link inside the tree),
    # the snapshot reader refuses it: its checks are its own.
    monkeypatch.delattr(tarfile, "data_filter", raising=False)
    inside = _archive(
        tmp_path / "inside-link.tar.gz",
        lambda t: _add(t, "proc/cpuinfo", type=tarfile.SYMTYPE, linkname="../snapshot.json"),
    )
    _refused(inside, "proc/cpuinfo", "symbolic link")
    _untouched(outer)


@pytest.mark.parametrize(
    ("name", "fields", "words"),
    [
        ("/tmp/abs-evil", {}, ("absolute path",)),
        ("../evil", {}, ("'..'",)),
        ("proc/../../evil", {}, ("'..'",)),
        ("sys/up", {"type": tarfile.SYMTYPE, "linkname": "../../.."}, ("symbolic link",)),
        ("sys/hard", {"type": tarfile.LNKTYPE, "linkname": "/etc/passwd"}, ("hard link",)),
        ("dev/sda", {"type": tarfile.BLKTYPE, "devmajor": 8}, ("device file",)),
        ("dev/tty", {"type": tarfile.CHRTYPE, "devmajor": 5}, ("device file",)),
        ("proc/fifo", {"type": tarfile.FIFOTYPE}, ("FIFO",)),
    ],
)
def test_links_devices_fifos_absolute_and_dot_dot_members_are_refused_in_one_line(
    outer: Path, tmp_path: Path, name: str, fields: dict[str, object], words: tuple[str, ...]
) -> None:
    path = _archive(tmp_path / "bad.tar.gz", lambda t: _add(t, name, **fields))
    _refused(path, "refused", *words)
    _untouched(outer)
    assert not (tmp_path / "evil").exists()


def test_a_decompression_bomb_is_refused_before_it_is_unpacked(outer: Path, tmp_path: Path) -> None:
    # A member that claims 1 GiB of zeros: refused at its header, nothing written.
    info = tarfile.TarInfo("snapshot/proc/cpuinfo")
    info.size = 1024**3
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    bomb = tmp_path / "bomb.tar.gz"
    with gzip.open(bomb, "wb") as out:
        out.write(header)
        for _ in range(16):
            out.write(bytes(1024 * 1024))  # the start of the zeros; the rest never matters
    assert bomb.stat().st_size < 100_000
    _refused(bomb, "refused", "256 MiB")
    _untouched(outer)


def test_total_bytes_members_and_stream_length_are_capped(
    outer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def many_files(tar: tarfile.TarFile) -> None:
        for i in range(20):
            _add(tar, f"proc/f{i}", data=bytes(1000))

    path = _archive(tmp_path / "many.tar.gz", many_files)
    monkeypatch.setattr(archive, "MAX_EXTRACTED_BYTES", 10_000)
    _refused(path, "add up to more than")
    monkeypatch.setattr(archive, "MAX_EXTRACTED_BYTES", 10**9)
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    _refused(path, "more than 10 members")
    monkeypatch.setattr(archive, "MAX_MEMBERS", 1000)
    monkeypatch.setattr(archive, "MAX_STREAM_BYTES", 8 * 1024)
    _refused(path, "decompression bomb")
    _untouched(outer)


def _good_tar_bytes() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(SNAPSHOTS / "alder_lake_p_iris_xe", arcname="m")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("plain.tar.gz", lambda b: b),  # the suffix says gzip, the bytes say plain tar
        ("xz-inside.tgz", lzma.compress),
        ("bzip2.tar", bz2.compress),
        ("gzip.snapshot", gzip.compress),
    ],
)
def test_compression_is_recognised_by_its_first_bytes_not_the_name(
    tmp_path: Path, name: str, compress: object
) -> None:
    path = tmp_path / name
    path.write_bytes(compress(_good_tar_bytes()))  # type: ignore[operator]
    with MachineRoot.open_snapshot(path) as root:
        facts = probe_machine(root, include_torch=False)
    assert facts.cpu.vendor == "Intel"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x28\xb5\x2f\xfd" + bytes(100), ("zstd",)),
        (b"PK\x03\x04 a zip file" + bytes(600), ("not a tar archive",)),
        (b"", ("not a tar archive",)),
    ],
)
def test_unknown_or_unsupported_formats_are_one_line(
    outer: Path, tmp_path: Path, data: bytes, words: tuple[str, ...]
) -> None:
    path = tmp_path / "odd.tar.gz"
    path.write_bytes(data)
    _refused(path, *words)
    _untouched(outer)


def test_a_folder_snapshot_never_reads_through_a_link_out_of_its_root(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(SNAPSHOTS / "alder_lake_p_iris_xe", folder)
    secret = tmp_path / "private.txt"
    secret.write_text("canary-9f2c\n")
    hostname = folder / "proc/sys/kernel/hostname"
    hostname.unlink()
    hostname.symlink_to(secret)
    (folder / "proc/sys/kernel/osrelease").unlink(missing_ok=True)
    (folder / "proc/sys/kernel/osrelease").symlink_to("/etc/hostname")
    (folder / "sys/class").rename(folder / "sys/class.real")
    (folder / "sys/class").symlink_to(tmp_path)  # a folder link out of the root
    (folder / "nvml.json").symlink_to(secret)
    (folder / "commands").mkdir(exist_ok=True)
    (folder / "commands/lspci.txt").unlink(missing_ok=True)
    (folder / "commands/lspci.txt").symlink_to(secret)
    inside = folder / "proc/cpuinfo-link"
    inside.symlink_to("cpuinfo")  # a link that stays inside is fine
    with MachineRoot.open_snapshot(folder) as root:
        facts = probe_machine(root, include_torch=False)
        assert "canary" not in json.dumps(root.recorded_json("nvml"), default=str)
        assert "canary" not in str(root.run("lspci", ["lspci"]))
        assert "outside the snapshot" in str(root.listdir("/sys/class"))
        assert "processor" in str(root.read_text("/proc/cpuinfo-link"))
        assert "outside the snapshot" in str(root.read_text("/sys/class/private.txt"))
    assert "leads outside the snapshot folder" in str(facts.host.hostname)
    assert "canary" not in json.dumps(_facts_json(facts))


def _facts_json(facts: object) -> object:
    from mfu_advisor.facts import to_jsonable

    return to_jsonable(facts)


def test_an_interrupt_during_extraction_leaves_no_temp_folder(
    outer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ok.tar.gz"
    path.write_bytes(gzip.compress(_good_tar_bytes()))

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(archive, "_write_member", interrupted)
    with pytest.raises(KeyboardInterrupt):
        MachineRoot.open_snapshot(path)
    _untouched(outer)
