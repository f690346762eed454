"""Findings and what-if experiments of a diagnosis, ranked as the rules engine ranks them
(``Finding.rank_key``), so every format shows one order whatever order the JSON lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mfu_advisor import units
from mfu_advisor.experiments.compare import verdict_of
from mfu_advisor.report import values as v
from mfu_advisor.report.content.blocks import (
    Chart,
    FindingItem,
    Findings,
    KeyValues,
    Paragraph,
    Table,
    Tone,
)
from mfu_advisor.report.values import Cell, Missing

#: Severity words the rules engine may use, most urgent first; unknown words rank in between.
SEVERITY_RANK: dict[str, int] = {
    "critical": 0,
    "high": 1,
    "error": 1,
    "warning": 2,
    "medium": 2,
    "low": 3,
    "info": 4,
}


def _severity(finding: Mapping[str, Any]) -> int:
    return SEVERITY_RANK.get(str(finding.get("severity", "")).lower(), 2)


def expected_factor(value: Any) -> float | None:
    """The expected gain as a factor: a number, or the mean of the numbers in "1.2-1.6x"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", value)]
        if numbers and "x" in value.lower():
            return sum(numbers) / len(numbers)
    return None


def _verified(finding: Mapping[str, Any]) -> float | None:
    value = v.number(finding, "verified_speedup")
    return None if isinstance(value, Missing) else value


def _expected(finding: Mapping[str, Any]) -> float | None:
    value = v.number(finding, "expected_speedup")
    if not isinstance(value, Missing):
        return value
    return expected_factor(finding.get("expected_gain"))


def rank_key(finding: Mapping[str, Any]) -> tuple[float, ...]:
    """Sort key, best first: measured gains, then expected gains, then severity."""
    kind = str(finding.get("kind", "info"))
    measured = _verified(finding)
    if kind == "dont":
        # The most harmful (smallest speedup) first; unmeasured don'ts after measured ones.
        return (0.0 if measured is not None else 1.0, measured or 0.0, _severity(finding))
    if measured is not None:
        return (0.0, -measured, _severity(finding))
    expected = _expected(finding)
    return (1.0, -(expected or 0.0), _severity(finding))


def gain_text(finding: Mapping[str, Any]) -> str:
    """ "measured 1.42x faster on this machine (expected 1.2-1.6x tokens/s)" and the like."""
    measured = _verified(finding)
    expected = v.lookup(finding, "expected_gain")
    expected_text = ""
    if not isinstance(expected, Missing) and expected != "":
        expected_text = (
            units.factor(expected) if isinstance(expected, (int, float)) else str(expected)
        )
    if measured is not None:
        shown = f"measured {v.speedup(measured)} on this machine"
        noise = v.number(finding, "noise")
        shown += v.clause(v.plus_minus(noise), " ({})")
        experiment = v.plain_text(finding, "experiment")
        if experiment:
            shown += f" by {experiment}"
        return f"{shown}; expected {expected_text}" if expected_text else shown
    if not expected_text and _expected(finding) is not None:
        expected_text = f"{units.factor(_expected(finding) or 0.0)} tokens/s"
    if expected_text:
        return f"expected {expected_text} (not measured)"
    return ""


def finding_item(finding: Mapping[str, Any]) -> FindingItem:
    """A JSON finding as a display item; every missing field becomes "" or "—"."""
    kind = str(finding.get("kind") or "info")
    measured = _verified(finding)
    tone = {"do": Tone.GOOD, "dont": Tone.BAD}.get(kind, Tone.PLAIN)
    if kind == "do" and measured is not None and measured < 1:
        tone = Tone.WARN
    symbol = v.plain_text(finding, "symbol")
    rule_id = v.plain_text(finding, "id")
    return FindingItem(
        id=f"{rule_id} {symbol}".strip() if symbol != rule_id else rule_id,
        kind=kind,
        severity=v.plain_text(finding, "severity"),
        title=v.plain_text(finding, "title") or v.plain_text(finding, "id") or "(untitled finding)",
        explanation=v.plain_text(finding, "explanation"),
        fix=v.plain_text(finding, "fix"),
        gain=gain_text(finding),
        verified=measured is not None,
        tone=tone,
    )


def findings_blocks(payload: Mapping[str, Any]) -> tuple[Findings, Findings, Findings]:
    """Three ranked lists: changes to make, changes not to make, facts worth knowing."""
    all_findings = [f for f in v.items(payload, "findings") if isinstance(f, Mapping)]
    by_kind: dict[str, list[Mapping[str, Any]]] = {"do": [], "dont": [], "info": []}
    for finding in all_findings:
        by_kind.get(str(finding.get("kind")), by_kind["info"]).append(finding)
    ranked = {k: sorted(found, key=rank_key) for k, found in by_kind.items()}
    return (
        Findings(
            "What to change, biggest gain first",
            tuple(finding_item(f) for f in ranked["do"]),
            "No change to recommend: nothing measured faster beyond the noise.",
        ),
        Findings(
            "What not to do here (measured slower)",
            tuple(finding_item(f) for f in ranked["dont"]),
            "Nothing measured slower.",
        ),
        Findings("Good to know", tuple(finding_item(f) for f in ranked["info"]), ""),
    )


#: The experiments engine's verdicts (mfu_advisor.experiments.result.Verdict) in words.
VERDICT_WORDS: dict[str, tuple[str, str]] = {
    "faster": ("faster beyond the noise", Tone.GOOD),
    "slower": ("slower beyond the noise", Tone.BAD),
    "within noise": ("no measurable effect", Tone.PLAIN),
}


def experiment_outcome(experiment: Mapping[str, Any]) -> tuple[str, str]:
    """(outcome words, tone): "faster beyond the noise", "failed: <reason>", ..."""
    status = status_of(experiment)
    reason = v.plain_text(experiment, "reason")
    if status != "ok":
        return (f"{status}: {reason}" if reason else status), Tone.MUTED
    value = v.number(experiment, "speedup")
    noise = v.number(experiment, "noise")
    if isinstance(value, Missing):
        return "no result", Tone.MUTED
    verdict = v.plain_text(experiment, "verdict")  # the engine's own judgment, when given
    if verdict not in VERDICT_WORDS:
        if isinstance(noise, Missing):
            return "noise not measured", Tone.PLAIN
        verdict = verdict_of(value, noise).value
    return VERDICT_WORDS[verdict]


def status_of(experiment: Mapping[str, Any]) -> str:
    """An experiment's status: "ok" unless it names another ("failed", "skipped")."""
    return str(experiment.get("status") or "ok")


def experiments_of(payload: Mapping[str, Any], *, skipped: bool | None = None) -> list[Any]:
    """The experiments of a payload: all of them, or those that did (not) run."""
    found = [e for e in v.items(payload, "experiments") if isinstance(e, Mapping)]
    return [e for e in found if skipped is None or (status_of(e) == "skipped") == skipped]


def experiments_table(payload: Mapping[str, Any], *, skipped: bool = True) -> Table | None:
    """Every what-if variant: change, speedup, noise, outcome; ``skipped=False``: those that ran."""
    experiments = experiments_of(payload, skipped=None if skipped else False)
    combined = v.mapping(payload, "combined")
    if combined:
        experiments.append(combined)  # the verified changes together, measured as one
    if not experiments:
        return None
    rows: list[tuple[Cell, ...]] = []
    for experiment in experiments:
        outcome, _tone = experiment_outcome(experiment)
        ok = status_of(experiment) == "ok"
        rows.append(
            (
                v.plain_text(experiment, "name") or "?",
                v.plain_text(experiment, "change"),
                v.speedup(v.number(experiment, "speedup")) if ok else "",
                v.plus_minus(v.number(experiment, "noise")) if ok else "",
                _separate(experiment) if ok else "",
                outcome,
            )
        )
    return Table(
        columns=("experiment", "change", "speedup", "noise", "in separate runs", "outcome"),
        rows=tuple(rows),
        numeric=(False, False, True, True, True, False),
        note="Speedup is tokens/s against the baseline. Noise is the relative half-width of "
        "the speedup's interval; only a speedup beyond it counts as an effect. Separate runs: "
        "the same change confirmed in fresh processes (A B B A), when the budget allowed; "
        "where the two disagree, that figure is the one the verdict uses.",
    )


def _separate(experiment: Mapping[str, Any]) -> Cell:
    """The separate-process confirmation, "1.16x ±4%", or "" when none was made."""
    value = v.number(experiment, "separate_speedup")
    if isinstance(value, Missing):
        return ""
    noise = v.number(experiment, "separate_noise")
    shown = str(v.speedup(value))
    return shown if isinstance(noise, Missing) else f"{shown} {v.plus_minus(noise)}"


def experiment_notes(payload: Mapping[str, Any]) -> KeyValues | None:
    """What each variant that ran means beyond speed (its ``note``), one row per variant."""
    ran = experiments_of(payload, skipped=False)
    notes = [(v.plain_text(e, "name") or "?", v.plain_text(e, "note")) for e in ran]
    rows: tuple[tuple[str, Cell], ...] = tuple((name, note) for name, note in notes if note)
    return KeyValues(rows, title="What each change means beyond speed") if rows else None


def skipped_sentence(payload: Mapping[str, Any]) -> Paragraph | None:
    """The variants that did not run, with why, in one paragraph (the terminal's short form)."""
    parts = []
    for experiment in experiments_of(payload, skipped=True):
        reason = v.plain_text(experiment, "reason")
        name = v.plain_text(experiment, "name") or "?"
        parts.append(f"{name}: {reason}" if reason else name)
    if not parts:
        return None
    return Paragraph("Not run here: " + "; ".join(parts) + ".", tone=Tone.MUTED)


def experiments_chart(payload: Mapping[str, Any]) -> Chart | None:
    """Speedup bars (log scale around 1x) with noise whiskers, for the experiments that ran."""
    bars: list[dict[str, Any]] = []
    for experiment in experiments_of(payload):
        value = v.number(experiment, "speedup")
        noise = v.number(experiment, "noise")
        if status_of(experiment) != "ok" or isinstance(value, Missing):
            continue
        outcome, tone = experiment_outcome(experiment)
        bars.append(
            {
                "label": v.plain_text(experiment, "name") or "?",
                "speedup": value,
                "noise": 0.0 if isinstance(noise, Missing) else noise,
                "outcome": outcome,
                "tone": tone,
            }
        )
    if not bars:
        return None
    bars.sort(key=lambda b: -b["speedup"])
    caption = "; ".join(f"{b['label']}: {v.speedup(b['speedup'])}" for b in bars)
    return Chart(
        "speedups",
        "What-if speedups (tokens/s against the baseline)",
        {"bars": bars},
        caption=caption,
    )
