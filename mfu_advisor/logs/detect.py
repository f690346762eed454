"""Which trainer wrote a log: every format counts its lines in the first part of the input.

Only formats with step lines are candidates, in order of evidence (``shared_lines`` formats
after the others, generic next, formats with only other lines last). Confidence is agreement
(the winner's evidence over everyone's; other lines count 0.5) x amount (evidence lines / 5,
capped at 1); the generic fallback gets the amount share halved.
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
    candidates: tuple[str, ...] = ()
    """Formats to try in order when the chosen one finds no step line (the chosen one first)."""


def _score(evidence: Evidence) -> float:
    return evidence.step_lines + 0.5 * evidence.marker_lines


def detect(lines: Sequence[str]) -> Detection | None:
    """The most likely format of ``lines``, or None when no format recognises any of them."""
    formats = all_formats()
    specific = {fmt.name: fmt.sniff(lines) for fmt in formats if fmt.specific}
    scores = {name: _score(ev) for name, ev in specific.items()}
    total = sum(scores.values())
    with_steps = sorted(
        (name for name, ev in specific.items() if ev.step_lines > 0),
        key=lambda name: (
            not get_format(name).shared_lines,
            scores[name],
            specific[name].step_lines,
        ),
        reverse=True,
    )
    markers_only = sorted(
        (name for name, ev in specific.items() if ev.step_lines == 0 and ev.marker_lines > 0),
        key=lambda name: scores[name],
        reverse=True,
    )
    generic_steps = 0
    if not with_steps:
        # The generic reader's patterns are slow and loose: only try it when no format has steps.
        generic_steps = get_format("generic").sniff(lines).step_lines
    order = (*with_steps, *(["generic"] if generic_steps else []), *markers_only)
    if not order:
        return None
    best = order[0]
    if best == "generic":
        confidence = round(0.5 * min(1.0, generic_steps / ENOUGH_EVIDENCE), 3)
        return Detection(get_format("generic"), confidence, {"generic": confidence}, order)
    own = {
        name: round(score / total * min(1.0, specific[name].total / ENOUGH_EVIDENCE), 3)
        for name, score in scores.items()
        if score > 0
    }
    return Detection(get_format(best), own[best], own, (*order, "generic"))


def forced(name: str) -> Detection:
    """The detection result when the user names the format with ``--format``."""
    return Detection(get_format(name), 1.0, {name: 1.0}, (name,))
