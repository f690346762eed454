"""``mfu-advisor rules``: list the diagnosis rules, or show one."""

from __future__ import annotations

import json
from typing import Any

import click

from mfu_advisor import SCHEMA_VERSION
from mfu_advisor.errors import UserError
from mfu_advisor.rules.registry import RULES, rule_by_id
from mfu_advisor.rules.rule import Rule


def rule_json(rule: Rule) -> dict[str, Any]:
    """A rule's metadata as JSON, its examples by name."""
    return {
        "id": rule.id,
        "symbol": rule.symbol,
        "title": rule.title,
        "kind": rule.kind.value,
        "severity": rule.severity.value,
        "description": rule.description,
        "fix": rule.fix_template,
        "verified_by": list(rule.verified_by),
        "fires_on": [e.name for e in rule.fires_on],
        "quiet_on": [e.name for e in rule.quiet_on],
    }


@click.command("rules", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("rule", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the rules as JSON.")
def rules(rule: str | None, as_json: bool) -> None:
    """List the diagnosis rules, or describe RULE (an id such as MA104, or its symbol).

    docs/rules.md has the same list with an example finding for each rule.
    """
    chosen = list(RULES)
    if rule is not None:
        try:
            chosen = [rule_by_id(rule)]
        except KeyError:
            raise UserError(
                f"no rule {rule!r}; `mfu-advisor rules` lists the ids and symbols"
            ) from None
    if as_json:
        doc = {"schema_version": SCHEMA_VERSION, "rules": [rule_json(r) for r in chosen]}
        click.echo(json.dumps(doc, indent=2))
        return
    if rule is not None:
        _describe(chosen[0])
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("id", "symbol", "kind", "severity", "title"):
        table.add_column(column, no_wrap=column != "title")
    for item in chosen:
        table.add_row(item.id, item.symbol, item.kind.value, item.severity.value, item.title)
    console = Console(highlight=False, emoji=False)
    if not console.is_terminal:
        console.width = 160  # a pipe or a file: no wrapping of the titles
    console.print(table)


def _describe(rule: Rule) -> None:
    lines = [
        f"{rule.id} {rule.symbol}: {rule.title}",
        f"kind {rule.kind.value}, severity {rule.severity.value}",
        "",
        rule.description,
        "",
        f"Fix: {rule.fix_template or '(none)'}",
    ]
    if rule.verified_by:
        lines.append(f"Verified by the experiments: {', '.join(rule.verified_by)}")
    click.echo("\n".join(lines))
