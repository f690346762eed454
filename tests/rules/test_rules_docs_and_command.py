"""docs/rules.md is generated from the registry; ``mfu-advisor rules`` lists the same rules."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mfu_advisor.cli import cli
from mfu_advisor.rules.docs import DOCS_PATH, REGENERATE, render
from mfu_advisor.rules.registry import RULES


def test_docs_rules_md_is_up_to_date_with_the_registry() -> None:
    assert DOCS_PATH.read_text() == render(), (
        f"docs/rules.md is stale: regenerate it with `{REGENERATE}`"
    )


def test_rules_lists_every_rule_id_and_symbol() -> None:
    result = CliRunner().invoke(cli, ["rules"])
    assert result.exit_code == 0
    for rule in RULES:
        assert rule.id in result.output and rule.symbol in result.output


def test_rules_json_has_every_rule_with_its_metadata() -> None:
    result = CliRunner().invoke(cli, ["rules", "--json"])
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["schema_version"] == 1
    assert [r["id"] for r in doc["rules"]] == [rule.id for rule in RULES]
    batch = next(r for r in doc["rules"] if r["symbol"] == "micro-batch-too-small")
    assert batch["verified_by"] == ["batch-x2", "batch-x4"]
    assert batch["kind"] == "do"


def test_rules_describes_one_rule_by_symbol() -> None:
    result = CliRunner().invoke(cli, ["rules", "bf16-without-native-support"])
    assert result.exit_code == 0
    assert result.output.startswith("MA109 bf16-without-native-support")


def test_an_unknown_rule_is_one_line_and_exit_code_2() -> None:
    result = CliRunner().invoke(cli, ["rules", "MA999"])
    assert result.exit_code == 2
    assert "no rule 'MA999'" in result.output
