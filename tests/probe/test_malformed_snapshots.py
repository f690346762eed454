"""35 malformed snapshots: each ends with exit 0 (with warnings) or exit 2 and one line.

Never exit 1, a traceback or a hang. Each case is built by the test from a
recorded machine and probed through the command line in this process, under
a per-case alarm of :data:`LIMIT_S` seconds.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from probe_helpers import SNAPSHOTS
from time_limit import time_limit

from mfu_advisor.cli import cli

#: Longest a malformed snapshot may take to probe, in seconds (a real one takes ~0.1 s).
LIMIT_S = 20

Edit = Callable[[Path], None]


def _write(name: str, text: str | bytes) -> Edit:
    def edit(folder: Path) -> None:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text)

    return edit


def _manifest(**fields: object) -> Edit:
    def edit(folder: Path) -> None:
        doc = json.loads((folder / "snapshot.json").read_text())
        for key, value in fields.items():
            if value is _DELETE:
                doc.pop(key, None)
            else:
                doc[key] = value
        (folder / "snapshot.json").write_text(json.dumps(doc))

    return edit


def _nvml(change: Callable[[dict], None]) -> Edit:
    def edit(folder: Path) -> None:
        doc = json.loads((folder / "nvml.json").read_text())
        change(doc)
        (folder / "nvml.json").write_text(json.dumps(doc))

    return edit


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        if child.name != "snapshot.json":
            shutil.rmtree(child) if child.is_dir() else child.unlink()


def _truncate(name: str, keep: float) -> Edit:
    def edit(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: int(len(data) * keep)])

    return edit


def _sysctl(name: str, value: str) -> Edit:
    """The recorded ``sysctl`` output with ``name``'s value replaced."""

    def edit(folder: Path) -> None:
        path = folder / "commands" / "sysctl.txt"
        lines = path.read_text().splitlines()
        path.write_text(
            "\n".join(f"{name}: {value}" if line.startswith(f"{name}:") else line for line in lines)
            + "\n"
        )

    return edit


def _folder_for_file(name: str) -> Edit:
    def edit(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()

    return edit


def _set_device(key: str, value: object) -> Callable[[dict], None]:
    def change(doc: dict) -> None:
        doc["devices"][0][key] = value

    return change


_DELETE = object()
CPU0 = "sys/devices/system/cpu/cpu0"
AL = "alder_lake_p_iris_xe"

CASES: dict[str, tuple[str, Edit]] = {
    # the manifest
    "no manifest": ("alder_lake_p_iris_xe", lambda f: (f / "snapshot.json").unlink()),
    "empty manifest": ("alder_lake_p_iris_xe", _write("snapshot.json", "")),
    "manifest not JSON": ("alder_lake_p_iris_xe", _write("snapshot.json", "{format: snap")),
    "manifest a list": ("alder_lake_p_iris_xe", _write("snapshot.json", "[1, 2]")),
    "manifest of another tool": ("alder_lake_p_iris_xe", _manifest(format="other-tool")),
    "version missing": ("alder_lake_p_iris_xe", _manifest(version=_DELETE)),
    "version from the future": ("alder_lake_p_iris_xe", _manifest(version=2)),
    "version a string": ("alder_lake_p_iris_xe", _manifest(version="1")),
    "version true": ("alder_lake_p_iris_xe", _manifest(version=True)),
    "version a float": ("alder_lake_p_iris_xe", _manifest(version=1.0)),
    "version negative": ("alder_lake_p_iris_xe", _manifest(version=-1)),
    "version 5000 digits": (
        "alder_lake_p_iris_xe",
        _write(
            "snapshot.json", '{"format": "mfu-advisor-snapshot", "version": 1' + "0" * 5000 + "}"
        ),
    ),
    "manifest NaN": (
        "alder_lake_p_iris_xe",
        _write("snapshot.json", '{"format": "mfu-advisor-snapshot", "version": NaN}'),
    ),
    "manifest nested 100,000 deep": (
        "alder_lake_p_iris_xe",
        _write("snapshot.json", "[" * 100_000 + "]" * 100_000),
    ),
    "unreadable not an object": ("alder_lake_p_iris_xe", _manifest(unreadable=["/proc/cpuinfo"])),
    "os not a string": ("alder_lake_p_iris_xe", _manifest(os=["Linux"])),
    "manifest of 2 MB": ("alder_lake_p_iris_xe", _manifest(padding="x" * 2_000_000)),
    # files: empty, truncated, garbage, huge numbers
    "empty snapshot": ("alder_lake_p_iris_xe", _empty),
    "empty snapshot with nvml and torch": ("rtx_4070_ti_desktop", _empty),
    "cpuinfo truncated mid-block": ("alder_lake_p_iris_xe", _truncate("proc/cpuinfo", 0.37)),
    "cpuinfo empty": ("alder_lake_p_iris_xe", _write("proc/cpuinfo", "")),
    "cpuinfo binary garbage": (
        "alder_lake_p_iris_xe",
        _write("proc/cpuinfo", bytes(range(256)) * 64),
    ),
    "cpuinfo of 12 MB": (
        "alder_lake_p_iris_xe",
        _write("proc/cpuinfo", "processor\t: 0\n" * 900_000),
    ),
    "cpu MHz 1e308": (
        "alder_lake_p_iris_xe",
        _write("proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu MHz\t\t: 1e308\n"),
    ),
    "a million CPUs online": (
        "alder_lake_p_iris_xe",
        _write("sys/devices/system/cpu/online", "0-999999999999\n"),
    ),
    "max clock of 30 digits": (
        "alder_lake_p_iris_xe",
        _write(f"{CPU0}/cpufreq/cpuinfo_max_freq", "9" * 30 + "\n"),
    ),
    "meminfo huge and negative": (
        "alder_lake_p_iris_xe",
        _write("proc/meminfo", "MemTotal: 99999999999999999999999 kB\nMemAvailable: -5 kB\n"),
    ),
    "meminfo is a folder": ("alder_lake_p_iris_xe", _folder_for_file("proc/meminfo")),
    "hostname with escape sequences": (
        "alder_lake_p_iris_xe",
        _write("proc/sys/kernel/hostname", "box\x1b]52;c;ZXZpbA==\x07\x1b[2J\n"),
    ),
    "nvml.json garbage": ("rtx_4070_ti_desktop", _write("nvml.json", b"\xff\xfe{nvml")),
    "nvml devices not a list": ("rtx_4070_ti_desktop", _nvml(lambda d: d.update(devices="gpu"))),
    "nvml huge numbers": (
        "rtx_4070_ti_desktop",
        _nvml(_set_device("multiprocessor_count", 10**30)),
    ),
    "nvml clock 1e300 and negative memory": (
        "rtx_4070_ti_desktop",
        _nvml(lambda d: d["devices"][0].update(max_sm_clock_mhz=1e300, memory_total_bytes=-1)),
    ),
    "torch.json 5000-digit number": (
        "rtx_4070_ti_desktop",
        _write("torch.json", '{"version": "2.13", "num_threads": ' + "9" * 5000 + "}"),
    ),
    "torch.json NaN threads": (
        "rtx_4070_ti_desktop",
        _write("torch.json", '{"version": "2.13", "num_threads": NaN}'),
    ),
    # Found by tests/test_fuzz.py: an IndexError, then loops or tuples as long as the number.
    "mountinfo cut inside a cgroup line": (
        "kvm_epyc_virtio",
        _write(
            "proc/self/mountinfo",
            "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup c",
        ),
    ),
    "Mac with 2^32 performance levels": ("apple_m2", _sysctl("hw.nperflevels", str(2**32))),
    "Mac with 10^12 logical CPUs": ("apple_m2", _sysctl("hw.logicalcpu", str(10**12))),
}


#: The manifest cases: a snapshot whose manifest is wrong is refused outright.
MUST_REFUSE = frozenset(list(CASES)[:17])


def test_there_are_38_cases() -> None:
    assert len(CASES) == 38


@pytest.mark.skipif(sys.platform == "win32", reason="SIGALRM")
@pytest.mark.parametrize("case", list(CASES))
def test_a_malformed_snapshot_is_exit_0_with_warnings_or_exit_2(case: str, tmp_path: Path) -> None:
    base, edit = CASES[case]
    folder = tmp_path / "snap"
    shutil.copytree(SNAPSHOTS / base, folder)
    edit(folder)
    with time_limit(LIMIT_S):
        done = CliRunner().invoke(cli, ["probe", "--root", str(folder), "--json"])
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise AssertionError(f"{case}: {type(done.exception).__name__}") from done.exception
    assert done.exit_code in (0, 2), done.output
    if done.exit_code == 2:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
        assert len(lines[0]) < 500
    else:
        assert case not in MUST_REFUSE, f"{case} was accepted"
        result = json.loads(done.stdout)
        assert result["command"] == "probe"
        assert "\x1b" not in done.stdout


@pytest.mark.parametrize(
    ("name", "value", "warning"),
    [
        ("hw.nperflevels", str(2**32), "hw.nperflevels is 4294967296, outside the 0-8"),
        ("hw.logicalcpu", str(10**12), "hw.logicalcpu is 1000000000000, beyond any machine"),
    ],
)
def test_a_mac_count_beyond_any_machine_is_a_warning(
    name: str, value: str, warning: str, tmp_path: Path
) -> None:
    folder = tmp_path / "snap"
    shutil.copytree(SNAPSHOTS / "apple_m2", folder)
    _sysctl(name, value)(folder)
    with time_limit(LIMIT_S):
        done = CliRunner().invoke(cli, ["probe", "--root", str(folder), "--json"])
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    assert any(warning in text for text in result["warnings"]), result["warnings"]
