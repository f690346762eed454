"""Every rule fires on each of its "fires on" fact sets and stays quiet on each "quiet on" one."""

from __future__ import annotations

import dataclasses
import string

import pytest

from mfu_advisor.experiments.variants import VARIANTS
from mfu_advisor.rules.example_facts import build
from mfu_advisor.rules.finding import Finding, Kind
from mfu_advisor.rules.registry import RULES, rule_by_id
from mfu_advisor.rules.rule import Draft, Example, Rule, rule_data
from mfu_advisor.units import factor, flops, percent, plus_minus, size_bytes

#: Evidence figures a finding keeps for the report's tables without naming them in words:
#: a measured variant's own tokens/s (the words name its speedup over the baseline).
UNNAMED_EVIDENCE = {"variant_tokens_per_s"}


def _spellings(key: str, value: float) -> set[str]:
    """How a finding may write ``value``: the rules' wording helpers and plain numbers (a
    time in milliseconds also in seconds)."""
    written = {f"{value:{spec}}" for spec in (".0f", ".1f", ".2f", ".3g", ",.0f")}
    if key.endswith("_ms"):
        written |= {f"{value / 1e3:.0f} s", f"{value / 1e3:.1f} s"}
    written |= {flops(value), percent(value), factor(value), size_bytes(value), plus_minus(value)}
    written |= {plus_minus(value).removeprefix("±"), f"{value:.2g}"}
    return written | ({f"{int(value):,}"} if float(value).is_integer() else set())


def _figures(finding: Finding) -> dict[str, float]:
    return {
        key: value
        for key, value in finding.evidence.items()
        if isinstance(value, (int, float))
        and not isinstance(value, bool)
        and key not in UNNAMED_EVIDENCE
    }


FIRING = [(rule, example) for rule in RULES for example in rule.fires_on]
QUIET = [(rule, example) for rule in RULES for example in rule.quiet_on]


def _id(value: object) -> str:
    if isinstance(value, Rule):
        return value.id
    if isinstance(value, Example):
        return value.name
    return str(value)


@pytest.mark.parametrize(("rule", "example"), FIRING, ids=_id)
def test_rule_fires_on_its_firing_example(rule: Rule, example: Example) -> None:
    finding = rule.check(example.facts())
    assert isinstance(finding, Finding)
    assert (finding.id, finding.symbol) == (rule.id, rule.symbol)
    assert finding.title.strip()
    # The words name every figure the rule was given (as evidence), however it writes them.
    words = " ".join([finding.explanation, finding.expected_gain or "", finding.fix])
    unnamed = {
        key: value
        for key, value in _figures(finding).items()
        if not any(spelling in words for spelling in _spellings(key, value))
    }
    assert not unnamed, f"{rule.id}: {words!r} does not name {unnamed}"


@pytest.mark.parametrize(("rule", "example"), QUIET, ids=_id)
def test_rule_stays_quiet_on_its_quiet_example(rule: Rule, example: Example) -> None:
    assert rule.check(example.facts()) is None


def test_every_rule_of_the_issue_is_registered() -> None:
    wanted = {
        "cpu-forced-with-accelerator", "cpu-only-machine", "mfu-relative-to-other-device",
        "micro-batch-too-small", "model-too-small-for-device", "compile-not-used",
        "compile-slower-here", "autocast-not-used", "bf16-without-native-support",
        "tf32-disabled", "threads-on-efficiency-cores", "threads-oversubscribed",
        "smt-siblings-as-compute-threads", "igpu-not-usable", "gpu-clocks-held-down",
        "pcie-link-below-max", "gpu-busy-other-process", "mig-slice", "eval-share-large",
        "log-interval-sync", "data-loading-jitter", "compile-dominates-first-steps",
        "memory-nearly-full", "fused-adamw-not-used",
    }  # fmt: skip
    assert wanted <= {rule.symbol for rule in RULES}


def test_rule_ids_and_symbols_are_unique_and_in_order() -> None:
    ids = [rule.id for rule in RULES]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert len({rule.symbol for rule in RULES}) == len(RULES)


def test_every_rule_in_the_data_file_has_a_predicate() -> None:
    assert sorted(rule_data()) == [rule.id for rule in RULES]


def test_every_findings_words_are_draft_parts_with_well_formed_fields() -> None:
    parts = {f.name for f in dataclasses.fields(Draft)}
    parts |= {"subject", "hypothesis", "undo_fix", "gain_until_measured"}  # measured_or_expected
    for rule_id, data in rule_data().items():
        says = data.get("says", {})
        shared = {part: text for part, text in says.items() if isinstance(text, str)}
        for case in [shared, *(v for v in says.values() if isinstance(v, dict))]:
            assert set(case) <= parts, rule_id
            for text in case.values():
                fields = [name for _, name, _, _ in string.Formatter().parse(text) if name]
                assert all(name.isidentifier() for name in fields), (rule_id, text)


def test_an_example_may_only_call_the_builders() -> None:
    with pytest.raises(ValueError, match="not allowed in an example"):
        build("here().__class__")
    with pytest.raises(ValueError, match="not allowed in an example"):
        build("open('/etc/passwd')")


def test_rules_are_found_by_id_and_by_symbol() -> None:
    assert rule_by_id("MA104") is rule_by_id("micro-batch-too-small")
    with pytest.raises(KeyError):
        rule_by_id("MA999")


def test_every_experiment_a_rule_names_exists_and_names_the_rule_back() -> None:
    variants = {variant.name: variant for variant in VARIANTS}
    for rule in RULES:
        for name in rule.verified_by:
            assert name in variants, f"{rule.id} names unknown experiment {name}"
    verifies = {variant.verifies for variant in VARIANTS}
    assert verifies <= {rule.symbol for rule in RULES}


def test_a_rule_without_a_quiet_example_is_refused() -> None:
    rule = RULES[0]
    with pytest.raises(ValueError, match="needs an example"):
        Rule(
            id="MA900", symbol="no-quiet", title="t", kind=Kind.INFO, severity=rule.severity,
            description="d", fix_template="", predicate=rule.predicate,
            fires_on=rule.fires_on, quiet_on=(),
        )  # fmt: skip


def test_a_severity_in_the_id_is_refused() -> None:
    rule = RULES[0]
    with pytest.raises(ValueError, match="MA followed by three digits"):
        Rule(
            id="MA-W101", symbol="x", title="t", kind=Kind.INFO, severity=rule.severity,
            description="d", fix_template="", predicate=rule.predicate,
            fires_on=rule.fires_on, quiet_on=rule.quiet_on,
        )  # fmt: skip
