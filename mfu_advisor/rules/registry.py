"""The one list of diagnosis rules, and ``evaluate``: facts in, ranked findings out. Families
are listed explicitly (docs/architecture.md, "A rule"), never discovered by scanning a folder."""

from __future__ import annotations

from mfu_advisor.rules import (
    batch_rules,
    compile_rules,
    conditions_rules,
    cpu_rules,
    device_rules,
    distributed_rules,
    gpu_rules,
    job_rules,
    log_rules,
    precision_rules,
)
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Finding
from mfu_advisor.rules.rule import Rule

#: The rule families, each listing its rules in its own ``RULES``.
FAMILIES = (
    batch_rules,
    compile_rules,
    conditions_rules,
    cpu_rules,
    device_rules,
    distributed_rules,
    gpu_rules,
    job_rules,
    log_rules,
    precision_rules,
)

#: Every rule, in id order.
RULES: tuple[Rule, ...] = tuple(
    sorted((rule for family in FAMILIES for rule in family.RULES), key=lambda rule: rule.id)
)


def rule_by_id(rule_id: str) -> Rule:
    """The rule with this id or symbol; KeyError when there is none."""
    for rule in RULES:
        if rule_id in (rule.id, rule.symbol):
            return rule
    raise KeyError(rule_id)


def evaluate(facts: DiagnosisFacts, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Every finding on ``facts``, best first (Finding.rank_key). Pure: no I/O, no clock."""
    findings = [f for rule in rules if (f := rule.check(facts)) is not None]
    return sorted(findings, key=lambda f: (*f.rank_key(), f.id))
