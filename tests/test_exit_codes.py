"""The exit-code contract on hostile input and hostile surroundings: exit 2, one short line.

Each case runs the real command line in a subprocess, as a user would, and
checks: the exit code, no traceback, one line on stderr, at most about 200
characters of the input echoed, and no hang (a timeout fails the test).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SAVED = Path(__file__).resolve().parent / "data" / "reports" / "diagnose_from_log_zen3.json"
SNAPSHOT = Path(__file__).resolve().parent / "data" / "snapshots" / "alder_lake_p_iris_xe"


def _run(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
    **kwargs: object,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mfu_advisor", *args],
        capture_output="stdout" not in kwargs,
        text=True,
        env={**os.environ, **(env or {})},
        stdin=stdin,
        timeout=60,
        **kwargs,  # type: ignore[call-overload]
    )


def _one_line(done: subprocess.CompletedProcess[str], *words: str, code: int = 2) -> str:
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    assert len(lines[0]) <= 500
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"schema_version": 1, "command": "probe", "x": NaN}', ("NaN",)),
        ('{"schema_version": 1, "command": "probe", "x": -Infinity}', ("-Infinity",)),
        ('{"schema_version": 1, "command": "probe", "x": ' + "9" * 5000 + "}", ("4300 digits",)),
        (
            '{"schema_version": 1, "command": "probe", "x": ' + "[" * 900 + "]" * 900 + "}",
            ("nested",),
        ),
        ("[" * 100_000 + "]" * 100_000, ("nested",)),
        ('{"schema_version": 1, "command": "' + "A" * 2_000_000 + '"}', ("'command'",)),
        ('{"schema_version": ' + "7" * 3000 + ', "command": "probe"}', ("digits",)),
    ],
)
def test_bad_json_values_are_exit_2_with_one_short_line(
    tmp_path: Path, content: str, words: tuple[str, ...]
) -> None:
    path = tmp_path / "result.json"
    path.write_text(content)
    line = _one_line(_run("report", str(path)), *words)
    assert "AAAAAAAAAA" * 30 not in line  # at most ~200 characters of the input echoed


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_special_files_are_refused_not_read_forever() -> None:
    _one_line(_run("report", "/dev/zero"), "special file")
    _one_line(_run("report", "/dev/null"), "special file")
    _one_line(_run("probe", "--root", "/dev/zero", "--no-torch"), "/dev/zero")


def test_standard_input_from_dev_zero_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    import mfu_advisor.report.command as command

    monkeypatch.setattr(command, "MAX_RESULT_BYTES", 1024 * 1024)
    with open("/dev/zero", "rb") as zero:
        monkeypatch.setattr(sys, "stdin", type("S", (), {"buffer": zero})())
        from mfu_advisor.errors import UserError

        with pytest.raises(UserError, match="too large"):
            command.load_result("-")


def test_a_closed_standard_output_is_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mfu_advisor", "report", str(SAVED)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    _one_line(done, "standard output is closed")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_output_device_is_exit_2() -> None:
    with open("/dev/full", "w") as full:
        done = _run("report", str(SAVED), stdout=full, stderr=subprocess.PIPE)
    _one_line(done, "No space left on device")


@pytest.mark.parametrize("encoding", ["latin-1", "ascii"])
def test_an_output_encoding_without_the_characters_still_prints(encoding: str) -> None:
    for args in (["report", str(SAVED)], ["probe", "--root", str(SNAPSHOT), "--no-torch"]):
        done = subprocess.run(
            [sys.executable, "-m", "mfu_advisor", *args],
            capture_output=True,
            env={**os.environ, "PYTHONIOENCODING": encoding},
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        if encoding == "latin-1":  # (click itself writes UTF-8 where the encoding is ASCII)
            assert b"?" in done.stdout  # what latin-1 lacks (box lines) shows as "?"


def test_an_unexpandable_cache_folder_is_exit_2() -> None:
    done = _run("probe", env={"MFU_ADVISOR_CACHE_DIR": "~no-such-user-x9/cache"})
    _one_line(done, "MFU_ADVISOR_CACHE_DIR", "cannot be expanded")


def test_a_control_sequence_in_an_error_message_is_removed(tmp_path: Path) -> None:
    name = tmp_path / "evil\x1b]52;c;ZXZpbA==\x07name.json"
    line = _one_line(_run("report", str(name)), "does not exist")
    assert "\x1b" not in line and "\x07" not in line


def test_a_saved_result_cannot_reach_the_terminal_with_escape_sequences(tmp_path: Path) -> None:
    doc = json.loads(SAVED.read_text())
    osc52 = "\x1b]52;c;cm0gLXJmIH4K\x07"
    hostile = f"step 1{osc52} done\x1b[2J\x9b31m\x1bPq#0\x1b\\ end\r"
    doc["analysis"]["notes"] = [hostile]
    doc["experiments"][0]["note"] = hostile  # shown by the terminal report too
    path = tmp_path / "osc.json"
    path.write_text(json.dumps(doc))
    for args in ([], ["--markdown"], ["--json"]):
        done = _run("report", str(path), *args)
        assert done.returncode == 0, done.stderr
        for control in ("\x1b", "\x07", "\x9b", "\r"):
            assert control not in done.stdout
        assert "cm0gLXJmIH4K" not in done.stdout  # the OSC 52 payload went with it
        assert "step 1 done" in " ".join(done.stdout.split())
