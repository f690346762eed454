"""``JobResult``: what ``mfu-advisor run`` writes (JSON command ``run``; docs/run.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mfu_advisor.facts import Maybe, dataclass_from_jsonable
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.rules.finding import Finding
from mfu_advisor.run_facts import JobFacts


@dataclass(frozen=True)
class JobResult:
    """The user's job as ``run`` watched it: how it ended, its log, the hardware, the findings."""

    command_line: tuple[str, ...]
    """The command that was run, as given after ``--``."""
    exit_code: int
    """The command's exit code (128 + N when signal N ended it); ``run`` exits with it."""
    wall_s: float
    """Seconds from the command's start to its exit."""
    interrupted_by: str | None
    """The signal mfu-advisor received and passed on to the job ("SIGINT"), else None."""
    ended_by_signal: str | None
    """The signal that ended the command, when one did."""
    output_lines: int
    """Lines the command printed (stdout and stderr)."""
    stdout_bytes: int
    stderr_bytes: int
    log_file: str | None
    """Where the output was saved (``--log``), else None."""
    interval_s: float
    """Seconds between hardware samples."""
    analysis: Maybe[LogAnalysis]
    """The log analysis of the command's output, the same object ``analyze`` writes; null with
    the reason when no training step was recognised."""
    summary: JobFacts
    """What the hardware did during the job's steady window (medians, shares, maxima)."""
    samples: Mapping[str, Any]
    """The hardware samples as columns, downsampled for long runs (docs/run.md lists them)."""
    findings: tuple[Finding, ...]
    """What the rules found, best first (the job rules MA140-MA146 and the log rules)."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> JobResult:
        """A saved ``run`` result read back (its analysis upgraded like a saved analysis)."""
        return dataclass_from_jsonable(cls, payload, "run")  # the analysis via its from_json
