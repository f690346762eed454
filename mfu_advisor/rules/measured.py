"""An experiment's outcome as a finding (verified, a "dont", or no measurable effect), and
fixes written as nanoGPT flags."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mfu_advisor.experiments.result import ExperimentResult, Verdict
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Kind, Severity
from mfu_advisor.rules.rule import Draft
from mfu_advisor.units import cpu_list, factor, plus_minus, slower


def measured_draft(
    result: ExperimentResult,
    *,
    subject: str,
    hypothesis: str,
    fix: str,
    fix_options: Mapping[str, Any] | None = None,
    expected_gain: str | None = None,
    expected_speedup: float | None = None,
    evidence: Mapping[str, Any] | None = None,
    undo_fix: str = "",
    dont_title: str | None = None,
) -> Draft:
    """The finding for a fix an experiment measured. ``subject`` names the change ("a larger
    micro-batch"), ``hypothesis`` explains from facts; ``undo_fix`` and ``dont_title`` apply
    when it measured slower."""
    assert result.speedup is not None and result.noise is not None
    shown = {
        **(evidence or {}),
        "experiment": result.name,
        "speedup": round(result.speedup, 4),
        "noise": round(result.noise, 4),
    }
    if result.tokens_per_s is not None:
        shown["variant_tokens_per_s"] = round(result.tokens_per_s, 1)
    sentence = (
        f"Measured here: {result.change} gave {factor(result.speedup)} tokens/s "
        f"({plus_minus(result.noise)})."
    )
    common: dict[str, Any] = {
        "noise": result.noise,
        "experiment": result.name,
        "expected_gain": expected_gain,
        "expected_speedup": expected_speedup,
        "evidence": shown,
        "fix": fix,
        "fix_options": dict(fix_options or {}),
    }
    if result.verdict is Verdict.FASTER:
        note = f" {result.note}" if result.note else ""
        return Draft(
            title=f"{_capital(subject)}: measured {factor(result.speedup)} tokens/s here",
            explanation=f"{hypothesis} {sentence}{note}".strip(),
            kind=Kind.DO,
            verified_speedup=result.speedup,
            **common,
        )
    if result.verdict is Verdict.SLOWER:
        return Draft(
            title=dont_title or f"Don't use {subject} here: measured {slower(result.speedup)}",
            explanation=f"{hypothesis} {sentence}".strip(),
            kind=Kind.DONT,
            severity=Severity.MEDIUM if result.speedup > 0.5 else Severity.HIGH,
            verified_speedup=result.speedup,
            **common | {"fix": undo_fix or "keep the current setting", "fix_options": {}},
        )
    return Draft(
        title=f"{_capital(subject)}: no measurable effect here",
        explanation=(
            f"{hypothesis} {sentence} That is within the noise: no measurable effect."
        ).strip(),
        kind=Kind.INFO,
        severity=Severity.LOW,
        **common,
    )


def measured_or_expected(
    facts: DiagnosisFacts,
    experiments: tuple[str, ...],
    *,
    gain_until_measured: str | None = None,
    severity: Severity | None = None,
    **draft: Any,
) -> Draft:
    """The finding for a fix that one of ``experiments`` may have measured: :func:`measured_draft`
    (given ``draft``, its keyword arguments) when one ran, else the explanation from facts with
    the fix and its expected gain (``gain_until_measured`` only then). ``severity`` overrides
    the rule's unless measured no better."""
    measured = facts.measured(*experiments)
    if measured is not None:
        found = measured_draft(measured, **draft)
        return (
            dataclasses.replace(found, severity=severity)
            if severity and found.kind is Kind.DO
            else found
        )
    return Draft(
        explanation=draft["hypothesis"],
        fix=draft["fix"],
        fix_options=dict(draft.get("fix_options") or {}),
        severity=severity,
        expected_gain=gain_until_measured or draft.get("expected_gain"),
        expected_speedup=draft.get("expected_speedup"),
        evidence=dict(draft.get("evidence") or {}),
    )


def _capital(text: str) -> str:
    """First letter upper-case, except for names written in lower case ("torch.compile")."""
    if text.startswith("torch."):
        return text
    return text[:1].upper() + text[1:]


def nanogpt_flags(options: Mapping[str, Any]) -> str:
    """{"batch_size": 48, "compile": True} -> "--batch_size=48 --compile=True" (nanoGPT syntax)."""
    return " ".join(
        f"--cpus={cpu_list(value)}"
        if name == "cpus" and isinstance(value, (list, tuple))
        else f"--{name}={value}"
        for name, value in options.items()
    )
