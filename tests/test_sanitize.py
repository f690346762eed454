"""Text from outside reaches the terminal without control sequences; colour only when wanted."""

from __future__ import annotations

import pytest

from mfu_advisor.sanitize import colour_wanted, one_line, shown, terminal_safe, terminal_safe_data


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("clip\x1b]52;c;ZXZpbCBjb21tYW5k\x07board", "clipboard"),  # OSC 52, BEL-terminated
        ("title\x1b]0;pwned\x1b\\bar", "titlebar"),  # OSC, ST-terminated
        ("8-bit\x9d52;c;eA==\x9c osc", "8-bit osc"),  # C1 OSC ... ST
        ("red\x1b[31;1mtext\x1b[0m", "redtext"),  # CSI SGR
        ("clear\x1b[2J\x1b[Hscreen", "clearscreen"),
        ("csi8\x9b31mbit", "csi8bit"),
        ("dcs\x1bPq#0;2;0;0;0\x1b\\end", "dcsend"),  # DCS (sixel)
        ("apc\x1b_Gf=100;payload\x1b\\end", "apcend"),  # APC (kitty graphics)
        ("reset\x1bcdone", "resetdone"),  # RIS
        ("charset\x1b(Bok", "charsetok"),
        ("cr\roverwrite", "croverwrite"),
        ("bs\x08\x08\x7fdel", "bsdel"),
        ("nul\x00bell\x07", "nulbell"),
        ("unterminated\x1b]52;c;AAAA", "unterminated"),
        ("keep\ttabs\nand newlines", "keep\ttabs\nand newlines"),
        ("ünïcødé · ≈ 中文 — fine", "ünïcødé · ≈ 中文 — fine"),
    ],
)
def test_escape_sequences_and_controls_are_removed(text: str, safe: str) -> None:
    assert terminal_safe(text) == safe


def test_every_string_of_a_document_is_cleaned_keys_included() -> None:
    data = {"a\x1b[1m": ["x\x1b]52;c;QQ==\x07y", 1.5, {"k": "\x9b1mz"}], "n": None}
    assert terminal_safe_data(data) == {"a": ["xy", 1.5, {"k": "z"}], "n": None}


def test_a_clean_document_is_returned_as_is() -> None:
    data = {"series": list(range(1000)), "name": "run.log"}
    assert terminal_safe_data(data) is data
    windows = {"name": "C:\\build\\run.log"}  # looks like "\b" to the quick check
    assert terminal_safe_data(windows) == windows


def test_deep_documents_do_not_overflow_the_stack() -> None:
    data: object = "\x1b[1mleaf"
    for _ in range(5000):
        data = [data]
    cleaned = terminal_safe_data(data)
    for _ in range(5000):
        assert isinstance(cleaned, list)
        cleaned = cleaned[0]
    assert cleaned == "leaf"


def test_echoed_values_are_short_single_lines() -> None:
    assert len(shown("A" * 5_000_000)) <= 210
    assert shown(10**2000).startswith("an integer of about 2000 digits")
    assert shown({"a": 1}) == "a JSON object"
    assert one_line("two\nlines\x1b[2J") == "two lines"


@pytest.mark.parametrize(
    ("env", "tty", "colour"),
    [
        ({"TERM": "xterm-256color"}, True, True),
        ({"TERM": "xterm-256color"}, False, False),
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "xterm", "NO_COLOR": "1"}, True, False),
        ({"TERM": "xterm", "NO_COLOR": ""}, True, True),  # no-color.org: empty means unset
    ],
)
def test_colour_only_on_a_terminal_that_wants_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, colour: bool
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert colour_wanted(tty) is colour


def test_term_dumb_gets_no_colour_from_a_real_terminal(tmp_path: object) -> None:
    import os
    import pty
    import subprocess
    import sys
    from pathlib import Path

    saved = Path(__file__).resolve().parent / "data" / "reports" / "diagnose_from_log_zen3.json"
    outputs = {}
    for term in ("xterm", "dumb"):
        leader, follower = pty.openpty()
        env = {**os.environ, "TERM": term}
        env.pop("NO_COLOR", None)
        # Read the terminal while the report is written: a pty holds only a few KiB, so
        # waiting for the process first would block it on a full terminal.
        process = subprocess.Popen(
            [sys.executable, "-m", "mfu_advisor", "report", str(saved)],
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert process.wait(timeout=60) == 0
        outputs[term] = b"".join(chunks)
    assert b"\x1b[" in outputs["xterm"]
    assert b"\x1b" not in outputs["dumb"]


def test_progress_lines_are_terminal_safe_and_brackets_are_not_markup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mfu_advisor.bench.progress import StderrProgress
    from mfu_advisor.diagnose.progress import StderrDiagnoseProgress

    hostile = "NVIDIA \x1b]52;c;ZXZpbA==\x07GPU [/bold] [rank0]"
    StderrProgress().phase(f"measuring on {hostile}")
    progress = StderrDiagnoseProgress()
    progress.phase("baseline", hostile, 1.0, 90.0)
    progress.outcome(hostile)
    progress.close()
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert err.count("GPU [/bold] [rank0]") == 3  # brackets shown as written, nothing raised
