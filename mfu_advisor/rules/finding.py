"""``Finding``: one thing a rule found, with the numbers, the fix and its gain (one entry of
the diagnose payload's ``findings``, docs/diagnose.md)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Kind(enum.StrEnum):
    """What the reader should do with a finding."""

    DO = "do"
    """A change to make."""
    DONT = "dont"
    """A change not to make (or to undo): it measured slower, or cannot help here."""
    INFO = "info"
    """A fact worth knowing; no change implied."""


class Severity(enum.StrEnum):
    """How much a finding matters, most urgent first (report/content/findings.py ranks by it)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """A rule's finding about this run and machine."""

    id: str
    """The rule's stable id ("MA104")."""
    symbol: str
    """The rule's kebab-case name ("micro-batch-too-small")."""
    severity: Severity
    kind: Kind
    title: str
    """One line: what is wrong or worth knowing."""
    explanation: str
    """The bottleneck in plain words, with the numbers that triggered the rule."""
    fix: str
    """The concrete change: a nanoGPT flag, an env var, a command or a code line ("" for none)."""
    expected_gain: str | None = None
    """The gain expected before measuring, in words ("up to 2x tokens/s"); None if none."""
    expected_speedup: float | None = None
    """The expected gain as a tokens/s factor when one can be estimated."""
    verified_speedup: float | None = None
    """The tokens/s factor an experiment measured beyond the noise; None when not measured
    (or within the noise). Below 1 for a "dont"."""
    noise: float | None = None
    """Relative half-width of the measured speedup's interval."""
    experiment: str | None = None
    """Name of the experiment that measured the fix, when one did."""
    fix_options: Mapping[str, Any] = field(default_factory=dict)
    """The fix as bench options under nanoGPT's names, when it is one ({"batch_size": 48})."""
    evidence: Mapping[str, Any] = field(default_factory=dict)
    """The numbers that triggered the rule, by name with units."""

    def rank_key(self) -> tuple[float, float, int]:
        """Sort key, best first: verified speedup, then expected speedup, then severity; "dont"
        findings last, most harmful first."""
        severity = list(Severity).index(self.severity)
        if self.kind is Kind.DONT:
            harm = self.verified_speedup if self.verified_speedup is not None else 1.0
            return (2.0, harm, severity)
        if self.verified_speedup is not None:
            return (0.0, -self.verified_speedup, severity)
        if self.expected_speedup is not None:
            return (1.0, -self.expected_speedup, severity)
        return (1.0, 0.0, severity)
