"""``Rule``: a diagnosis rule as data (``mfu_advisor/data/rules.toml``: id, symbol, title,
kind, severity, description, fix, examples, its findings' words) plus a pure predicate from its
family module (:func:`family`) that returns a :class:`Draft`, which :meth:`Rule.check` makes a
Finding."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from mfu_advisor.files import data_file
from mfu_advisor.rules.example_facts import build
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Finding, Kind, Severity
from mfu_advisor.units import percent

Predicate = Callable[[DiagnosisFacts], "Draft | None"]

_ID = re.compile(r"MA\d{3}")
_SYMBOL = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@dataclass(frozen=True)
class Draft:
    """What a predicate found: the fact-dependent parts of a finding."""

    explanation: str
    fix: str = ""
    title: str | None = None
    """Overrides the rule's title (e.g. to state the measured outcome)."""
    kind: Kind | None = None
    """Overrides the rule's default kind (a measured slowdown turns a "do" into a "dont")."""
    severity: Severity | None = None
    expected_gain: str | None = None
    expected_speedup: float | None = None
    verified_speedup: float | None = None
    noise: float | None = None
    experiment: str | None = None
    fix_options: Mapping[str, Any] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    """A named fact set for a rule's documentation and tests."""

    name: str
    """What the fact set shows, in a few words ("8-core Alder Lake, threads on E-cores")."""
    facts: Callable[[], DiagnosisFacts]


@dataclass(frozen=True)
class Rule:
    """One diagnosis rule."""

    id: str
    """Stable id, "MA" and three digits; never reused for another meaning."""
    symbol: str
    title: str
    kind: Kind
    """Default kind; a measurement may change it (see rules/finding.py)."""
    severity: Severity
    description: str
    fix_template: str
    predicate: Predicate
    fires_on: tuple[Example, ...]
    quiet_on: tuple[Example, ...]
    verified_by: tuple[str, ...] = ()
    """Names of the experiments that measure this rule's fix."""

    def __post_init__(self) -> None:
        if not _ID.fullmatch(self.id):
            raise ValueError(f"rule id {self.id!r} is not MA followed by three digits")
        if not _SYMBOL.fullmatch(self.symbol):
            raise ValueError(f"rule symbol {self.symbol!r} is not kebab-case")
        if not self.fires_on or not self.quiet_on:
            raise ValueError(f"rule {self.id} needs an example that fires and one that does not")

    def check(self, facts: DiagnosisFacts) -> Finding | None:
        """The rule's finding on ``facts``, or None when it does not apply."""
        draft = self.predicate(facts)
        if draft is None:
            return None
        return Finding(
            id=self.id,
            symbol=self.symbol,
            severity=draft.severity or self.severity,
            kind=draft.kind or self.kind,
            title=draft.title or self.title,
            explanation=draft.explanation,
            fix=draft.fix,
            expected_gain=draft.expected_gain,
            expected_speedup=draft.expected_speedup,
            verified_speedup=draft.verified_speedup,
            noise=draft.noise,
            experiment=draft.experiment,
            fix_options=dict(draft.fix_options),
            evidence=dict(draft.evidence),
        )


def rule_data() -> dict[str, Any]:
    """``mfu_advisor/data/rules.toml``, read once: rule id -> its table."""
    return data_file("rules.toml")


def wording(rule_id: str, case: str = "", /, **values: Any) -> dict[str, Any]:
    """A finding's words from the rule's ``says`` table in rules.toml (with ``says.<case>``'s
    over them for one of several cases) as :class:`Draft` arguments, their ``{fields}`` filled
    from ``values``."""
    table = rule_data()[rule_id]["says"]
    words = {part: text for part, text in table.items() if isinstance(text, str)}
    words |= table[case] if case else {}
    return {part: text.format(**values) for part, text in words.items()}


class _Threshold(float):
    """A constant a description names: ``{NAME:percent}`` writes it with units.percent."""

    def __format__(self, spec: str) -> str:
        return percent(self) if spec == "percent" else format(float(self), spec)


def family(predicates: Mapping[str, Predicate], constants: Mapping[str, Any]) -> tuple[Rule, ...]:
    """A family module's rules: ``predicates`` by rule id, the rest from rules.toml, whose
    descriptions name the module's upper-case ``constants`` ("{GEMM_GAIN_THRESHOLD:.2f}x")."""
    named = {
        name: _Threshold(value) if isinstance(value, float) else value
        for name, value in constants.items()
        if name.isupper()
    }
    rules = []
    for rule_id, predicate in predicates.items():
        data = rule_data()[rule_id]
        rules.append(
            Rule(
                id=rule_id,
                symbol=data["symbol"],
                title=data["title"],
                kind=Kind(data["kind"]),
                severity=Severity(data["severity"]),
                description=data["description"].format_map(named),
                fix_template=data["fix_template"],
                predicate=predicate,
                fires_on=tuple(Example(n, partial(build, e)) for n, e in data["fires_on"].items()),
                quiet_on=tuple(Example(n, partial(build, e)) for n, e in data["quiet_on"].items()),
                verified_by=tuple(data.get("verified_by", ())),
            )
        )
    return tuple(rules)
