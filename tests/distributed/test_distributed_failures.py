"""Naming the rank at fault: hangs from the status files, exits from torchrun's summary."""

from __future__ import annotations

from pathlib import Path

from mfu_advisor.distributed.launch import TORCHRUN_LOG, Allowance, explain_exit, find_hang
from mfu_advisor.distributed.status import RankStatus, StatusWriter, read_status

NOW = 1_000.0
ALLOWANCE = Allowance(rank_timeout_s=10.0, start_s=30.0, warmup_extra_s=0.0)


def _status(rank: int, state: str, steps: int, progress_ago: float, alive_ago: float) -> RankStatus:
    return RankStatus(rank, state, steps, 100 + rank, NOW - progress_ago, NOW - alive_ago, None)


def test_ranks_making_progress_do_not_hang() -> None:
    statuses = [_status(0, "measuring", 40, 0.5, 0.5), _status(1, "measuring", 40, 0.4, 0.2)]
    assert find_hang(statuses, ALLOWANCE, NOW, started=NOW - 60) is None


def test_a_stopped_rank_is_named_not_the_rank_waiting_for_it() -> None:
    # rank 1 was stopped (no alive touch for 30 s); rank 0 waits in the all-reduce for it
    statuses = [_status(0, "measuring", 41, 12.0, 0.5), _status(1, "measuring", 40, 30.0, 30.0)]
    message = find_hang(statuses, ALLOWANCE, NOW, started=NOW - 90)
    assert message is not None and message.startswith("rank 1 hung: no step finished for 30 s")
    assert "its process stopped running" in message and "rank 0" not in message


def test_without_a_frozen_process_the_rank_with_fewest_steps_is_named() -> None:
    statuses = [_status(0, "measuring", 41, 12.0, 0.5), _status(1, "measuring", 38, 12.0, 0.5)]
    assert find_hang(statuses, ALLOWANCE, NOW, started=NOW - 90) is None  # time to freeze
    statuses = [_status(0, "measuring", 41, 16.0, 0.5), _status(1, "measuring", 38, 15.0, 0.5)]
    message = find_hang(statuses, ALLOWANCE, NOW, started=NOW - 90)
    assert message is not None and message.startswith("rank 1 hung")
    assert "running but makes no progress" in message


def test_a_rank_that_never_starts_gets_the_start_allowance_then_is_named() -> None:
    statuses = [_status(0, "measuring", 5, 1.0, 0.5), _status(1, "starting", 0, 35.0, 35.0)]
    assert find_hang(statuses, ALLOWANCE, NOW, started=NOW - 35) is None  # 35 < 30 + 10
    statuses = [_status(0, "measuring", 5, 1.0, 0.5), _status(1, "starting", 0, 45.0, 45.0)]
    message = find_hang(statuses, ALLOWANCE, NOW, started=NOW - 45)
    assert message is not None and message.startswith("rank 1 did not start within 45 s")


def test_a_rank_with_its_own_error_is_named_before_ranks_that_lost_it() -> None:
    statuses = [
        RankStatus(0, "error", 12, 1, NOW, NOW, "DistBackendError: Connection closed by peer"),
        RankStatus(1, "error", 11, 2, NOW, NOW, "UserError: out of memory on cpu"),
    ]
    assert explain_exit(1, statuses, Path("/nonexistent")) == (
        "rank 1 failed: UserError: out of memory on cpu"
    )


def test_a_rank_killed_by_a_signal_is_named_with_the_signal(tmp_path: Path) -> None:
    # torchrun 2.13's summary as recorded on this VM (pids and times shortened): the
    # other rank's entry and an agent line mentioning local_rank 1 come first.
    (tmp_path / TORCHRUN_LOG).write_text(
        "E1130 api.py:1002] failed (exitcode: -9) local_rank: 1 (pid: 42) of binary: python\n"
        "Failures:\n[1]:\n  host      : localhost\n  rank      : 0 (local_rank: 0)\n"
        "  exitcode  : -15 (pid: 41)  (SIGTERM)\n"
        "-------------------------------------------------------\n"
        "Root Cause (first observed failure):\n[0]:\n  host      : localhost\n"
        "  rank      : 1 (local_rank: 1)\n  exitcode  : -9 (pid: 42)  (SIGKILL)\n"
    )
    statuses = [
        RankStatus(0, "terminated", 30, 1, NOW, NOW, "stopped by signal 15"),
        RankStatus(1, "measuring", 29, 2, NOW, NOW, None),
    ]
    message = explain_exit(1, statuses, tmp_path)
    assert message.startswith("rank 1 died during measuring after 29 steps")
    assert "killed by SIGKILL" in message


def test_status_files_round_trip(tmp_path: Path) -> None:
    writer = StatusWriter(tmp_path, 3, 1)
    writer.write("warmup")
    writer.write()
    writer.write()
    status = read_status(tmp_path, 3)
    assert (status.state, status.steps, status.error) == ("warmup", 2, None)
    assert read_status(tmp_path, 4).state == "missing"
