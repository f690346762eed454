"""``mfu-advisor run -- CMD`` end to end, with real child processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from job_scripts import FOREVER, NANOGPT_LIKE, SILENT, write

from mfu_advisor.logs.peak import HardwareRequest
from mfu_advisor.logs.pipeline import analyze_inputs

pytestmark = pytest.mark.slow

TOOL = [sys.executable, "-m", "mfu_advisor"]


def _run(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*TOOL, "run", *args],
        cwd=cwd,
        capture_output=True,
        timeout=120,
        **kwargs,  # type: ignore[call-overload]
    )


def _printed_step_ms(stdout: bytes) -> list[float]:
    times = []
    for line in stdout.decode().splitlines():
        if line.startswith("iter "):
            times.append(float(line.split("time ")[1].split("ms")[0]))
    return times


def test_output_passes_through_unchanged_and_the_exit_code_is_the_scripts(
    tmp_path: Path,
) -> None:
    script = write(tmp_path, "train.py", NANOGPT_LIKE)
    alone = subprocess.run(
        [sys.executable, str(script), "30", "20", "3"], capture_output=True, timeout=60
    )
    watched = _run(
        [
            "--interval",
            "0.1",
            "--output",
            "r.json",
            "--",
            sys.executable,
            str(script),
            "30",
            "20",
            "3",
        ],
        tmp_path,
    )
    assert alone.returncode == 3
    assert watched.returncode == 3
    # Same lines, same order, byte for byte; only the step times differ between two runs.
    strip = [line.split(b", time")[0] for line in alone.stdout.splitlines()]
    assert [line.split(b", time")[0] for line in watched.stdout.splitlines()] == strip
    assert watched.stderr.startswith(b"training done\n")

    result = json.loads((tmp_path / "r.json").read_text())
    assert result["command"] == "run"
    assert result["exit_code"] == 3
    assert result["command_line"][-3:] == ["30", "20", "3"]
    assert result["analysis"]["format"] == "nanogpt"
    assert result["analysis"]["steps"] == 30
    # The live reading gives what analyze gives on the same output saved to a file (the step
    # times themselves vary with the machine's load, so the reference is the same text).
    saved = tmp_path / "saved.log"
    saved.write_bytes(watched.stdout)
    offline = analyze_inputs([str(saved)], request=HardwareRequest(peak_tflops=1.0))
    steady = result["analysis"]["steady_step_time_ms"]
    assert steady == pytest.approx(offline.steady_step_time_ms, rel=1e-9)
    printed = _printed_step_ms(watched.stdout)
    assert min(printed) <= steady <= max(printed)
    assert result["analysis"]["files"][0]["name"] == "the command's output"
    assert result["samples"]["count"] >= 5
    assert len(result["samples"]["t_s"]) == result["samples"]["count"]
    assert result["summary"]["usable_cpus"] >= 1
    assert result["output_lines"] == 9 + 30 + 1


def test_the_saved_result_renders_in_every_format(tmp_path: Path) -> None:
    script = write(tmp_path, "train.py", NANOGPT_LIKE)
    done = _run(
        [
            "--interval",
            "0.1",
            "--output",
            "r.json",
            "--html",
            "r.html",
            "--markdown",
            "r.md",
            "--",
            sys.executable,
            str(script),
            "20",
            "20",
            "0",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert b"Your training job" in done.stderr  # the terminal report goes to stderr
    html = (tmp_path / "r.html").read_text()
    assert "<svg" in html and "Utilisation while the job ran" in html
    markdown = (tmp_path / "r.md").read_text()
    assert "The hardware while it ran" in markdown
    again = subprocess.run(
        [*TOOL, "report", "r.json", "--markdown"], cwd=tmp_path, capture_output=True, timeout=60
    )
    assert again.returncode == 0
    assert again.stdout.decode() == markdown


def test_a_command_that_prints_nothing_gives_the_hardware_side_only(tmp_path: Path) -> None:
    script = write(tmp_path, "quiet.py", SILENT)
    done = _run(
        ["--interval", "0.1", "--output", "r.json", "--", sys.executable, str(script), "0.8"],
        tmp_path,
    )
    assert done.returncode == 0
    assert done.stdout == b""
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["analysis"] is None
    assert result["unavailable"]["analysis"].startswith("the command printed nothing")
    assert result["samples"]["count"] >= 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "run needs a command after --"),
        (["--", "no-such-command-mfu"], "cannot run 'no-such-command-mfu': no such command"),
        (["--interval", "0", "--", "true"], "--interval must be between"),
        (["--peak-tflops", "inf", "--", "true"], "--peak-tflops must be a finite number above 0"),
    ],
)
def test_bad_requests_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = _run(args, tmp_path)
    assert done.returncode == 2
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


def test_an_existing_log_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "train.log").write_text("precious\n")
    done = _run(["--log", "train.log", "--", sys.executable, "-c", "print(1)"], tmp_path)
    assert done.returncode == 2
    assert (tmp_path / "train.log").read_text() == "precious\n"


def test_log_keeps_both_streams_whole_lines(tmp_path: Path) -> None:
    script = write(tmp_path, "train.py", NANOGPT_LIKE)
    done = _run(["--log", "out.log", "--", sys.executable, str(script), "5", "5", "0"], tmp_path)
    assert done.returncode == 0
    kept = (tmp_path / "out.log").read_bytes().splitlines()
    assert kept[-1] == b"training done"
    assert sum(1 for line in kept if line.startswith(b"iter ")) == 5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for every purpose but the table
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_interrupt_stops_the_job_writes_the_result_and_leaves_no_process(
    tmp_path: Path, signum: int, code: int
) -> None:
    script = write(tmp_path, "forever.py", FOREVER)
    tool = subprocess.Popen(
        [
            *TOOL,
            "run",
            "--interval",
            "0.2",
            "--output",
            "r.json",
            "--",
            sys.executable,
            str(script),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert tool.stdout is not None
    first = tool.stdout.readline().split()
    pids = [int(first[1]), int(first[2])]
    time.sleep(2.5)
    sent = time.monotonic()
    tool.send_signal(signum)
    _, err = tool.communicate(timeout=30)
    took = time.monotonic() - sent
    assert tool.returncode == code, err
    assert took < 10
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["interrupted_by"] == signal.Signals(signum).name
    assert result["analysis"]["steps"] > 10
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)
