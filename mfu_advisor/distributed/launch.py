"""Running the job under torchrun and watching its ranks' status files (status.py) until
they finish, fail or hang (torchrun cannot notice a hung rank). Whatever ends the job, every
process it started is killed (each rank has a session of its own, out of a group kill's
reach); a failure is one line."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mfu_advisor.distributed.status import (
    ALIVE_INTERVAL_S,
    FINAL_STATES,
    PROGRESS_FILE,
    SOLO_RANK,
    RankStatus,
    ranks_with,
    read_json,
    read_status,
    status_path,
)

#: Seconds between two looks at the job.
POLL_S = 0.2
#: Seconds torchrun gets to stop its ranks after SIGTERM before everything is killed.
TERMINATE_GRACE_S = 5.0
#: An alive file older than this means the rank's process is not running at all (its
#: thread touches the file every second, even while the main thread waits).
FROZEN_AFTER_S = 3.5 * ALIVE_INTERVAL_S
#: Log file of torchrun's own output, in the run folder.
TORCHRUN_LOG = "torchrun.log"

#: Error texts of a rank that lost a peer, rather than failing by itself.
_PEER_LOST = re.compile(
    r"connection (closed|reset)|broken pipe|DistBackendError|DistNetworkError|"
    r"Gloo|NCCL|timed out|Timeout|peer",
    re.IGNORECASE,
)


class RankFailure(Exception):
    """The job ended without results; the message names the rank and what happened."""


@dataclass(frozen=True)
class Allowance:
    """How long a rank may go without progress, by its state."""

    rank_timeout_s: float
    start_s: float
    warmup_extra_s: float

    def seconds(self, state: str) -> float:
        if state in ("missing", "starting"):
            return self.start_s + self.rank_timeout_s
        if state == "warmup":
            return self.rank_timeout_s + self.warmup_extra_s
        return self.rank_timeout_s


class ProcessSweep:
    """Every process the job started, remembered as it is seen, killed at the end."""

    def __init__(self, root_pid: int) -> None:
        self.root_pid = root_pid
        self.seen: dict[int, Any] = {}  # psutil.Process by pid

    def look(self, extra_pids: list[int]) -> None:
        """Remember torchrun's descendants and the ranks' own pids as they are now."""
        import psutil

        for pid in [self.root_pid, *extra_pids]:
            try:
                process = psutil.Process(pid)
                family = process.children(recursive=True) if pid == self.root_pid else []
            except psutil.Error:
                continue
            for member in [process, *family]:
                self.seen.setdefault(member.pid, member)

    def kill_all(self) -> None:
        """SIGKILL every remembered process still running (psutil checks it is the same one)."""
        import psutil

        for process in self.seen.values():
            try:
                for child in process.children(recursive=True):
                    child.kill()
                process.kill()
            except psutil.Error:
                continue
        gone_by = time.monotonic() + TERMINATE_GRACE_S
        for process in self.seen.values():
            try:
                process.wait(timeout=max(0.0, gone_by - time.monotonic()))
            except psutil.Error:
                continue


def run_job(
    argv: list[str],
    run_dir: Path,
    local_ranks: int,
    allowance: Allowance,
    env: dict[str, str],
    on_progress: Callable[[str], None],
) -> None:
    """Run torchrun until every local rank is done; RankFailure when one fails or hangs
    (KeyboardInterrupt stops the job and is raised again)."""
    started = time.time()
    shown = 0
    previous = _raise_on_sigterm()
    try:
        with _running(argv, run_dir / TORCHRUN_LOG, env) as (process, sweep):
            while True:
                time.sleep(POLL_S)
                statuses = _statuses(run_dir, local_ranks)
                sweep.look([s.pid for s in statuses if s.pid])
                shown = _forward_progress(run_dir, shown, on_progress)
                code = process.poll()
                if code is not None:
                    if code != 0 or any(s.state != "done" for s in statuses):
                        raise RankFailure(explain_exit(code, statuses, run_dir))
                    return
                hung = find_hang(statuses, allowance, time.time(), started)
                if hung:
                    raise RankFailure(hung)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _running(
    argv: list[str], log_path: Path, env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], ProcessSweep]]:
    """``argv`` started with its output in ``log_path``; it and every process it started are
    stopped before the block is left. It stays in the launcher's process group (Ctrl-C and
    diagnose's timeout reach it); the ranks exit when their parent is gone (StatusWriter)."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        sweep = ProcessSweep(process.pid)
        try:
            yield process, sweep
        finally:
            sweep.look([])  # before stopping it: its children are still its children now
            if process.poll() is None:  # ask torchrun to stop its ranks, then kill it
                try:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=TERMINATE_GRACE_S)
                except (subprocess.TimeoutExpired, OSError):
                    process.kill()
            sweep.kill_all()
            process.wait()


def _raise_on_sigterm() -> Any:
    """Turn SIGTERM into an exception while the job runs, so the clean-up stops the ranks;
    returns the previous handler (None outside the main thread)."""

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:
        return None


def _statuses(run_dir: Path, local_ranks: int) -> list[RankStatus]:
    """The status of every rank that wrote one here, plus "missing" for the rest."""
    found = [read_status(run_dir, rank) for rank in ranks_with(run_dir, "status")]
    missing = max(0, local_ranks - len(found))
    return found + [RankStatus(-1, "missing", 0, None, None, None, None)] * missing


def _forward_progress(run_dir: Path, shown: int, on_progress: Callable[[str], None]) -> int:
    try:
        lines = (run_dir / PROGRESS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return shown
    for line in lines[shown:]:
        on_progress(line)
    return len(lines)


def find_hang(
    statuses: list[RankStatus], allowance: Allowance, now: float, started: float
) -> str | None:
    """One line naming the rank that finished no step within its allowance, or None. Of
    several (a rank waiting on a hung peer stops too), the one whose process stopped (its
    alive file went stale) is named, else the one with the fewest steps."""
    late = [
        s
        for s in statuses
        if s.state not in FINAL_STATES
        and now - (s.progress_at or started) > allowance.seconds(s.state)
    ]
    if not late:
        return None
    frozen = [s for s in late if s.alive_at is not None and now - s.alive_at > FROZEN_AFTER_S]
    if frozen:
        culprits = frozen
        how = "its process stopped running" if len(frozen) == 1 else "their processes stopped"
    else:
        # Give a stopped process the time to show as one before blaming a running rank.
        late = [
            s
            for s in late
            if now - (s.progress_at or started) > allowance.seconds(s.state) + FROZEN_AFTER_S
        ]
        if not late:
            return None
        fewest = min(s.steps for s in late)
        culprits = [s for s in late if s.steps == fewest]
        how = "it is running but makes" if len(culprits) == 1 else "they are running but make"
        how += " no progress"
    first = culprits[0]
    waited = now - (first.progress_at or started)
    who = _ranks_text(culprits)
    if first.state in ("missing", "starting"):
        return (
            f"{who} did not start within {waited:.0f} s (no rendezvous or torch import "
            f"finished); the job was stopped"
        )
    return (
        f"{who} hung: no step finished for {waited:.0f} s ({first.state}, after "
        f"{first.steps} steps; {how}); the job was stopped. Raise --rank-timeout if "
        "steps are really this slow"
    )


def explain_exit(code: int, statuses: list[RankStatus], run_dir: Path) -> str:
    """One line on why torchrun ended without every rank done, naming the rank at fault."""
    own = [s for s in statuses if s.state == "error" and s.error and not _PEER_LOST.search(s.error)]
    if own:
        return f"{_ranks_text(own)} failed: {own[0].error}"
    vanished = [s for s in statuses if s.rank >= 0 and s.state not in FINAL_STATES]
    if vanished:
        signal_text = _exit_signal(run_dir, vanished[0].rank)
        return (
            f"{_ranks_text(vanished)} died during {vanished[0].state} after "
            f"{vanished[0].steps} steps, without a Python error ({signal_text}); the other "
            "ranks were stopped"
        )
    peers = [s for s in statuses if s.state == "error" and s.error]
    if peers:
        return f"{_ranks_text(peers)} lost a peer: {peers[0].error}"
    early = " before every rank started" if any(s.state == "missing" for s in statuses) else ""
    return f"torchrun exited with code {code}{early}: {_log_tail(run_dir)}"


def _ranks_text(statuses: list[RankStatus]) -> str:
    ranks = sorted({s.rank for s in statuses if s.rank >= 0})
    if len(ranks) < 2:
        return f"rank {ranks[0]}" if ranks else "a rank"
    return "ranks " + ", ".join(str(r) for r in ranks)


def _exit_signal(run_dir: Path, rank: int) -> str:
    """What torchrun's failure summary says of ``rank``'s exit, e.g. "killed by SIGKILL"."""
    text = _read_log(run_dir)
    # One entry of torchrun's summary: "  rank      : 1 (local_rank: 1)" then, before the
    # next "[N]:" entry, "  exitcode  : -9 (pid: 4242)".
    match = re.search(
        rf"^\s*rank\s*:\s*{rank}\b[^\[]*?^\s*exitcode\s*:\s*(-?\d+)",
        text,
        flags=re.DOTALL | re.MULTILINE | re.IGNORECASE,
    )
    if not match:
        return "killed by a signal, e.g. by the out-of-memory killer, or exited early"
    exit_code = int(match.group(1))
    if exit_code < 0:
        try:
            return f"killed by {signal.Signals(-exit_code).name}"
        except ValueError:
            return f"killed by signal {-exit_code}"
    return f"exit code {exit_code}"


def _read_log(run_dir: Path) -> str:
    try:
        return (run_dir / TORCHRUN_LOG).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _log_tail(run_dir: Path) -> str:
    """The last meaningful line torchrun printed."""
    for line in reversed(_read_log(run_dir).splitlines()):
        stripped = line.strip()
        if stripped and not set(stripped) <= set("=-*"):
            return stripped[:300]
    return "it printed nothing"


def run_solo(argv: list[str], run_dir: Path, env: dict[str, str], timeout_s: float) -> str | None:
    """Run the single-process reference to the end; None when it finished, else why not."""
    env = {k: v for k, v in env.items() if k not in ("RANK", "LOCAL_RANK", "WORLD_SIZE")}
    with _running(argv, run_dir / "solo.log", env) as (process, _sweep):
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return f"the single-process reference did not finish within {timeout_s:.0f} s"
    if process.returncode != 0:
        status = read_json(status_path(run_dir, SOLO_RANK))
        error = status.get("error") if isinstance(status, dict) else None
        return f"the single-process reference failed ({error or f'exit code {process.returncode}'})"
    return None
