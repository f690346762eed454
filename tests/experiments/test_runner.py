"""A bench subprocess that crashes, runs out of memory, hangs or prints garbage is a failed run.

The fake bench (tests/data/diagnose/fake_bench.py) plays each part; no
process may outlive the run, grandchildren included.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from mfu_advisor.experiments.runner import run_bench_process

FAKE = Path(__file__).resolve().parents[1] / "data" / "diagnose" / "fake_bench.py"

pytestmark = pytest.mark.slow


def _run(mode: str, timeout_s: float = 20.0, **kwargs: object):
    return run_bench_process(
        ["--json"], timeout_s=timeout_s, command=(sys.executable, str(FAKE), mode), **kwargs
    )


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _grandchild(lines: tuple[str, ...]) -> int:
    for line in lines:
        if line.startswith("grandchild-pid "):
            return int(line.split()[1])
    raise AssertionError(f"no grandchild pid in {lines}")


def test_a_good_run_gives_its_payload_without_the_envelope() -> None:
    result = run_bench_process(
        ["--json"],
        timeout_s=20,
        command=(sys.executable, str(FAKE), "ok"),
        env={"FAKE_TOKENS_PER_S": "12345"},
    )
    assert result.failure is None
    assert result.payload is not None
    assert result.payload["tokens_per_s"] == 12345.0
    assert "schema_version" not in result.payload
    assert result.exit_code == 0


def test_progress_lines_reach_the_callback() -> None:
    seen: list[str] = []
    _run("ok", on_line=seen.append)
    assert "bench: measuring: up to 3 s" in seen


def test_a_crash_is_failed_with_the_last_error_line() -> None:
    result = _run("crash")
    assert result.payload is None
    assert result.failure == "exited with code 1: RuntimeError: a kernel fell over"


def test_out_of_memory_is_failed_as_out_of_memory() -> None:
    result = _run("oom")
    assert result.failure is not None
    assert result.failure.startswith("out of memory: out of memory on cuda:0")


def test_garbage_on_stdout_is_failed_as_not_a_bench_result() -> None:
    result = _run("garbage")
    assert result.failure is not None
    assert "not a bench result" in result.failure
    assert "hello, this is not JSON" in result.failure


def test_a_process_killed_by_sigkill_is_failed_and_says_so() -> None:
    result = _run("killed")
    assert result.failure is not None
    assert result.failure.startswith("killed by SIGKILL")


def test_a_hang_past_the_timeout_is_failed_and_leaves_no_process_behind() -> None:
    started = time.monotonic()
    result = _run("hang", timeout_s=1.5)
    assert result.timed_out
    assert result.failure == "did not finish its warm-up (compiling) within 2 s"
    grandchild = _grandchild(result.stderr_tail)
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)
    assert time.monotonic() - started < 15


def test_a_process_that_ignores_sigint_is_killed_after_the_grace_period() -> None:
    result = _run("stubborn", timeout_s=1.0, grace_s=0.5)
    assert result.timed_out
    assert result.failure is not None and "warm-up" in result.failure
    grandchild = _grandchild(result.stderr_tail)
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_a_timeout_while_measuring_keeps_what_the_bench_reported_on_sigint() -> None:
    result = _run("interrupt-reports", timeout_s=1.5)
    assert result.timed_out
    assert result.failure is None
    assert result.payload is not None and result.payload["tokens_per_s"] == 9000.0
