"""The child runner: byte-exact pass-through, whole lines kept in order, signals escalated."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mfu_advisor.watch import child as child_module
from mfu_advisor.watch.child import ChildRun, LineKeeper


def test_line_keeper_hands_on_whole_lines_in_arrival_order() -> None:
    kept: list[bytes] = []
    keeper = LineKeeper(kept.append)
    keeper.feed(1, b"iter 0: lo")
    keeper.feed(2, b"warning: x\n")
    keeper.feed(1, b"ss 4.2\niter 1")
    keeper.close()
    assert b"".join(kept).splitlines() == [b"warning: x", b"iter 0: loss 4.2", b"iter 1"]
    assert keeper.lines == 3


def _pump(argv: list[str], **kwargs: object) -> tuple[bytes, bytes, list[bytes], object]:
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    kept: list[bytes] = []
    run = ChildRun(argv, keep=kept.append, tick_s=0.05, stdout_fd=out_write, stderr_fd=err_write)
    run.start()
    for name, value in kwargs.items():
        setattr(run, name, value)
    outcome = run.wait()
    os.close(out_write)
    os.close(err_write)
    with os.fdopen(out_read, "rb") as out, os.fdopen(err_read, "rb") as err:
        return out.read(), err.read(), kept, outcome


def test_bytes_pass_through_exactly_binary_and_partial_lines_included() -> None:
    code = (
        "import os, sys\n"
        "os.write(1, bytes(range(256)))\n"
        "os.write(2, b'no newline at the end')\n"
        "os.write(1, b'\\r100%|####|\\n' * 3000)\n"
        "sys.exit(7)\n"
    )
    out, err, kept, outcome = _pump([sys.executable, "-c", code])
    assert out == bytes(range(256)) + b"\r100%|####|\n" * 3000
    assert err == b"no newline at the end"
    assert outcome.exit_code == 7  # type: ignore[attr-defined]
    assert outcome.stdout_bytes == len(out)  # type: ignore[attr-defined]
    assert b"".join(kept).endswith(b"no newline at the end\n")


def test_a_child_killed_by_a_signal_exits_128_plus_its_number() -> None:
    _, _, _, outcome = _pump([sys.executable, "-c", "import os; os.kill(os.getpid(), 9)"])
    assert outcome.exit_code == 137  # type: ignore[attr-defined]
    assert outcome.signal_name == "SIGKILL"  # type: ignore[attr-defined]


def test_a_child_that_ignores_ctrl_c_gets_sigterm_after_the_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(child_module, "GRACE_S", 0.5)
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    kept: list[bytes] = []
    out_read, out_write = os.pipe()
    run = ChildRun([sys.executable, "-c", code], keep=kept.append, tick_s=0.05, stdout_fd=out_write)
    run.start()
    threading.Timer(1.0, run.forward, args=(signal.SIGINT,)).start()
    started = time.monotonic()
    outcome = run.wait()
    os.close(out_write)
    os.close(out_read)
    assert outcome.interrupted_by == "SIGINT"
    assert outcome.signal_name == "SIGTERM"
    assert time.monotonic() - started < 10


def test_status_line_shows_on_a_terminal_without_breaking_lines(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text(
        "import time\n"
        "for i in range(12):\n"
        "    time.sleep(0.25)\n"
        "    print(f'iter {i}: loss 4.2000, time 250.00ms, mfu 0.01%', flush=True)\n"
    )
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm", COLUMNS="120")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mfu_advisor",
            "run",
            "--interval",
            "0.2",
            "--",
            sys.executable,
            str(script),
        ],
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def read_terminal() -> None:  # concurrently: a full pty would block the writer
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once every writer has closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    stdout, _ = process.communicate(timeout=60)
    reader.join(timeout=10)
    os.close(master)
    terminal = b"".join(chunks)
    assert process.returncode == 0
    assert b"mfu-advisor \xc2\xb7 " in terminal  # the status line was drawn ...
    assert b"\r\x1b[K" in terminal  # ... and erased before the report
    lines = stdout.decode().splitlines()
    assert lines == [f"iter {i}: loss 4.2000, time 250.00ms, mfu 0.01%" for i in range(12)]
    assert b"\x1b" not in stdout  # nothing of the status line reached the piped stdout
