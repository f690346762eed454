"""Imports follow the layer order of docs/architecture.md: no cycle, nothing upward.

Every ``import`` in ``mfu_advisor/`` counts, the lazy ones inside functions
and those under ``TYPE_CHECKING`` included: a cycle that only closes at run
time is still a cycle to the reader. The allowlist below names the imports
that still break the order; it may only shrink (a listed import that no longer
breaks it fails the test, so that its entry is removed with the fix).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mfu_advisor"

#: Lowest first. A module may import from its own layer and the layers below it.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "shared",
        frozenset(
            {
                "mfu_advisor",
                "units",
                "files",
                "cache",
                "errors",
                "facts",
                "compat",
                "json_schema",
                "mfu",
                "torch_import",
                "sanitize",
                "redaction",
            }
        ),
    ),
    ("probe", frozenset({"probe"})),
    ("run facts", frozenset({"run_facts"})),
    ("bench", frozenset({"bench"})),
    ("distributed", frozenset({"distributed"})),
    ("logs", frozenset({"logs"})),
    ("experiments", frozenset({"experiments"})),
    ("rules", frozenset({"rules"})),
    ("diagnose", frozenset({"diagnose"})),
    ("watch", frozenset({"watch"})),
    ("report", frozenset({"report"})),
    ("commands", frozenset({"cli", "__main__", "schemas"})),
)

#: Module names that are command entry points wherever they live: they sit on top.
COMMAND_MODULES = frozenset({"command", "__main__"})

#: Imports allowed to break the order: none. An entry would need a reason beside it, and the
#: test fails when a listed import no longer breaks the order.
ALLOWLIST: frozenset[tuple[str, str]] = frozenset()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(tree: ast.AST, module: str, is_package: bool, known: Iterable[str]) -> set[str]:
    """The mfu_advisor modules a file imports (a ``from pkg import mod`` counts as ``pkg.mod``)."""
    names = set(known)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "mfu_advisor")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            if source.split(".")[0] != "mfu_advisor":
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                found.add(full if full in names else source)
    return {name for name in found if name in names and name != module}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: imported(ast.parse(path.read_text()), name, path.name == "__init__.py", files)
        for name, path in files.items()
    }


def layer_of(module: str) -> int:
    parts = module.split(".")
    if parts[-1] in COMMAND_MODULES or module == "mfu_advisor.cli":
        return len(LAYERS) - 1
    top = parts[1] if len(parts) > 1 else "mfu_advisor"
    for index, (_, members) in enumerate(LAYERS):
        if top in members:
            return index
    raise AssertionError(f"{module} is in no layer: add its package to LAYERS")


def unit_of(module: str) -> str:
    """The package a module belongs to (command modules form their own unit)."""
    if layer_of(module) == len(LAYERS) - 1:
        return "commands"
    if module == "mfu_advisor" or (PACKAGE.parent / module.replace(".", "/")).is_dir():
        return module
    return module.rsplit(".", 1)[0]


def reaches(graph: Mapping[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = {start}, [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def package_graph(graph: Mapping[str, set[str]]) -> dict[str, set[str]]:
    units: dict[str, set[str]] = {}
    for source, targets in graph.items():
        here = unit_of(source)
        units.setdefault(here, set())
        for target in targets:
            there = unit_of(target)
            # A package's own __init__ and its parent package are not a dependency cycle.
            if there != here and not here.startswith(there + ".") and there != "mfu_advisor":
                units[here].add(there)
    return units


def violations(
    graph: Mapping[str, set[str]], allowed: frozenset[tuple[str, str]] = frozenset()
) -> dict[tuple[str, str], str]:
    """Every import that goes upward, closes a file cycle or closes a package cycle.

    An ``allowed`` import is judged on the whole graph; the others on the graph
    without the allowed ones, so that a known cycle is reported once.
    """
    rest = {s: {t for t in ts if (s, t) not in allowed} for s, ts in graph.items()}
    packages = {id(graph): package_graph(graph), id(rest): package_graph(rest)}
    found: dict[tuple[str, str], str] = {}
    for source, targets in graph.items():
        for target in targets:
            edge = (source, target)
            within = graph if edge in allowed else rest
            why = _breaks_order(edge, within, packages[id(within)])
            if why:
                found[edge] = why
    return found


def _breaks_order(
    edge: tuple[str, str], graph: Mapping[str, set[str]], packages: Mapping[str, set[str]]
) -> str:
    """Why the import ``edge`` breaks the order in ``graph``; "" when it does not."""
    source, target = edge
    if layer_of(target) > layer_of(source):
        return f"upward: {LAYERS[layer_of(source)][0]} imports {LAYERS[layer_of(target)][0]}"
    if reaches(graph, target, source):
        return "file cycle"
    here, there = unit_of(source), unit_of(target)
    if there in packages.get(here, ()) and reaches(packages, there, here):
        return f"package cycle: {here} <-> {there}"
    return ""


@functools.cache
def found_in_package() -> dict[tuple[str, str], str]:
    """The package's violations, walked once for the tests below."""
    return violations(import_graph(), ALLOWLIST)


def test_every_import_follows_the_layer_order() -> None:
    found = found_in_package()
    new = {edge: why for edge, why in found.items() if edge not in ALLOWLIST}
    assert not new, "\n".join(f"{a} -> {b}: {why}" for (a, b), why in sorted(new.items()))


def test_the_allowlist_only_names_imports_that_still_break_the_order() -> None:
    found = found_in_package()
    fixed = sorted(edge for edge in ALLOWLIST if edge not in found)
    assert not fixed, f"remove these from ALLOWLIST, they are fixed: {fixed}"


def test_the_walker_sees_lazy_imports_and_cycles() -> None:
    source = "def later():\n    from mfu_advisor.rules import registry\n"
    tree = ast.parse(source)
    known = {"mfu_advisor.bench.run", "mfu_advisor.rules.registry", "mfu_advisor.rules"}
    assert imported(tree, "mfu_advisor.bench.run", False, known) == {"mfu_advisor.rules.registry"}
    graph = {
        "mfu_advisor.bench.run": {"mfu_advisor.rules.registry"},
        "mfu_advisor.rules.registry": {"mfu_advisor.bench.run"},
    }
    assert violations(graph) == {
        ("mfu_advisor.bench.run", "mfu_advisor.rules.registry"): "upward: bench imports rules",
        ("mfu_advisor.rules.registry", "mfu_advisor.bench.run"): "file cycle",
    }
