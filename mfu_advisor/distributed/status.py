"""The files of the job's run folder, through which ranks and the launcher talk: ``job.json``,
``rank-R.status.json`` (state and steps), ``rank-R.alive`` (touched every second while the
process runs), ``rank-R.result.json``, ``progress.log``; each replaced whole (a rename)."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: States a rank ends in: finished, failed with a Python error, or stopped by a signal.
FINAL_STATES: tuple[str, ...] = ("done", "error", "terminated")

#: Seconds between the alive thread's touches.
ALIVE_INTERVAL_S = 1.0

#: Exit code of a rank that ended because its parent (torchrun) disappeared.
ORPHANED_EXIT_CODE = 70

JOB_FILE = "job.json"
PROGRESS_FILE = "progress.log"
SOLO_RANK = "solo"
"""The file name part of the single-process reference run (``rank-solo.*``)."""


def status_path(run_dir: str | Path, rank: int | str) -> Path:
    return Path(run_dir) / f"rank-{rank}.status.json"


def result_path(run_dir: str | Path, rank: int | str) -> Path:
    return Path(run_dir) / f"rank-{rank}.result.json"


def ranks_with(run_dir: str | Path, kind: str) -> list[int]:
    """The numbered ranks that wrote a ``rank-R.<kind>.json`` file here, in rank order."""
    ranks = []
    for path in Path(run_dir).glob(f"rank-*.{kind}.json"):
        name = path.name.split(".")[0].removeprefix("rank-")
        if name.isdigit():
            ranks.append(int(name))
    return sorted(ranks)


def replace_json(path: Path, document: Any) -> None:
    """Write ``document`` to ``path`` whole: a temporary file, then a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(document), encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """The JSON in ``path``; None when it does not exist (yet) or cannot be read."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class RankStatus:
    """What the launcher knows of one rank."""

    rank: int
    state: str
    """starting, warmup, measuring, or one of FINAL_STATES; "missing" before it wrote any."""
    steps: int
    """Steps finished so far (warm-up included)."""
    pid: int | None
    progress_at: float | None
    """time.time() of the last state change or finished step."""
    alive_at: float | None
    """time.time() of the alive thread's last touch."""
    error: str | None


def read_status(run_dir: str | Path, rank: int) -> RankStatus:
    """Rank ``rank``'s status as its files say; state "missing" before it started."""
    doc = read_json(status_path(run_dir, rank))
    try:
        alive_at: float | None = (Path(run_dir) / f"rank-{rank}.alive").stat().st_mtime
    except OSError:
        alive_at = None
    if not isinstance(doc, dict):
        return RankStatus(rank, "missing", 0, None, None, alive_at, None)
    return RankStatus(
        rank=rank,
        state=str(doc.get("state", "missing")),
        steps=int(doc.get("steps", 0)),
        pid=doc.get("pid") if isinstance(doc.get("pid"), int) else None,
        progress_at=doc.get("time") if isinstance(doc.get("time"), (int, float)) else None,
        alive_at=alive_at,
        error=doc.get("error") if isinstance(doc.get("error"), str) else None,
    )


class StatusWriter:
    """A rank's side: its status file, its alive thread, its progress lines."""

    def __init__(self, run_dir: str | Path, rank: int | str, local_rank: int) -> None:
        self.run_dir = Path(run_dir)
        self.rank = rank
        self.local_rank = local_rank
        self.state = "starting"
        self.steps = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Write the first status and start touching the alive file."""
        self.write("starting")
        self._thread = threading.Thread(target=self._touch, name="mfu-advisor-alive", daemon=True)
        self._thread.start()

    def _touch(self) -> None:
        path = self.run_dir / f"rank-{self.rank}.alive"
        parent = os.getppid()
        while not self._stop.is_set():
            if os.getppid() != parent:  # torchrun is gone: nobody would collect or stop it
                os._exit(ORPHANED_EXIT_CODE)
            path.touch()
            self._stop.wait(ALIVE_INTERVAL_S)

    def write(self, state: str | None = None, *, error: str | None = None) -> None:
        """Record a state change (or, with no state, one more finished step)."""
        if state is None:
            self.steps += 1
        else:
            self.state = state
        document = {
            "rank": self.rank,
            "local_rank": self.local_rank,
            "pid": os.getpid(),
            "state": self.state,
            "steps": self.steps,
            "time": time.time(),
            "error": error,
        }
        replace_json(status_path(self.run_dir, self.rank), document)

    def progress(self, text: str) -> None:
        """A progress line for the launcher to show (rank 0 only; others stay quiet)."""
        if self.rank != 0:
            return
        with open(self.run_dir / PROGRESS_FILE, "a", encoding="utf-8") as handle:
            handle.write(text.replace("\n", " ") + "\n")

    def stop(self) -> None:
        """Stop the alive thread (the process is about to end)."""
        self._stop.set()
