"""Interactive paste: ``mfu-advisor analyze`` at a terminal ends on the first Ctrl-D on an empty
line, as its prompt says (driven through a pseudo-terminal)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest
from log_helpers import LOGS

#: Seconds the analysis may take once the paste has ended (far above what it needs).
DEADLINE_S = 60.0


def _read_until_exit(master: int, process: subprocess.Popen[bytes]) -> bytes:
    out = b""
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            out += data
        elif process.poll() is not None:
            break
    return out


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_paste_ends_on_the_first_ctrl_d() -> None:
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mfu_advisor", "analyze", "--json"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    try:
        prompt = b""
        end = time.monotonic() + DEADLINE_S
        while b"Ctrl-D" not in prompt and time.monotonic() < end:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                prompt += os.read(master, 4096)
        assert b"Ctrl-D on an empty line" in prompt
        for line in (LOGS / "nanogpt_1.log").read_bytes().splitlines():
            os.write(master, line + b"\n")
        os.write(master, b"\x04")  # one Ctrl-D, on an empty line
        _read_until_exit(master, process)
        assert process.stdout is not None
        stdout = process.stdout.read()
        code = process.wait(timeout=DEADLINE_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    assert code == 0
    assert b'"steps": 25' in stdout
