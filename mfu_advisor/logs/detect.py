"""Which trainer wrote a log: every format counts its lines in the first part of the input.

Confidence, between 0 and 1, is the product of two shares:

- agreement: the winner's evidence over all formats' evidence (step lines count
  1, other lines only that trainer prints count 0.5), so a log where two
  formats both claim lines scores lower;
- amount: the winner's evidence lines over 5, capped at 1, so a 2-line paste
  scores lower than a full log.

The generic fallback is used only when no specific format claims a line; its
confidence is the amount share halved, because it recognises lines by shape
alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mfu_advisor.logs.formats import all_formats, get_format
from mfu_advisor.logs.formats.base import Evidence, LogFormat

#: Evidence lines needed for full confidence.
ENOUGH_EVIDENCE = 5


@dataclass(frozen=True)
class Detection:
    """The format chosen for an input and how sure the choice is."""

    format: LogFormat
    confidence: float
    """0..1, see the module docstring; 1.0 when the user chose the format."""
    scores: dict[str, float]
    """Every format's own confidence on the same lines, for the record."""
    forced: bool = False


def _score(evidence: Evidence) -> float:
    return evidence.step_lines + 0.5 * evidence.marker_lines


def detect(lines: Sequence[str]) -> Detection | None:
    """The most likely format of ``lines``, or None when no format recognises any of them."""
    formats = all_formats()
    specific = {fmt.name: fmt.sniff(lines) for fmt in formats if fmt.specific}
    scores = {name: _score(ev) for name, ev in specific.items()}
    total = sum(scores.values())
    if total <= 0:
        # The generic reader's patterns are slow and loose: only try it when nothing else fits.
        generic = get_format("generic").sniff(lines)
        if generic.step_lines == 0:
            return None
        confidence = 0.5 * min(1.0, generic.step_lines / ENOUGH_EVIDENCE)
        return Detection(
            get_format("generic"), round(confidence, 3), {"generic": round(confidence, 3)}
        )
    own = {
        name: round(score / total * min(1.0, specific[name].total / ENOUGH_EVIDENCE), 3)
        for name, score in scores.items()
        if score > 0
    }
    best = max(own, key=lambda name: (own[name], specific[name].step_lines))
    return Detection(get_format(best), own[best], own)


def forced(name: str) -> Detection:
    """The detection result when the user names the format with ``--format``."""
    return Detection(get_format(name), 1.0, {name: 1.0}, forced=True)
