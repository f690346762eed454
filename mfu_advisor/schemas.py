"""``python -m mfu_advisor.schemas`` writes docs/schemas/ for the bench, analyze, diagnose and
run results from their dataclasses (tests/test_schemas.py keeps them in step).
probe.schema.json and report.schema.json are kept by hand."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mfu_advisor.bench.result import BenchResult
from mfu_advisor.diagnose.result import DiagnoseResult
from mfu_advisor.json_schema import SchemaBuilder
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.watch.result import JobResult

#: Where the schemas live, from the repository root.
SCHEMA_DIR = Path("docs") / "schemas"

#: command -> its result class (docs/<command>.md documents every field).
RESULTS: dict[str, type] = {
    "bench": BenchResult,
    "analyze": LogAnalysis,
    "diagnose": DiagnoseResult,
    "run": JobResult,
}

_ENVELOPE: dict[str, Any] = {
    "schema_version": {"type": "integer", "minimum": 1},
    "tool": {
        "type": "object",
        "required": ["name", "version"],
        "properties": {"name": {"const": "mfu-advisor"}, "version": {"type": "string"}},
    },
    "created_at": {"description": "ISO 8601 time (UTC) the result was made.", "type": "string"},
    "redacted": {"description": "Present, and true, only with --redact.", "const": True},
}


def schema_of(command: str) -> dict[str, Any]:
    """The JSON Schema of ``mfu-advisor COMMAND --json``."""
    kind = RESULTS[command]
    builder = SchemaBuilder()
    builder.reference(kind)
    top = builder.defs.pop(kind.__name__)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://github.com/mfu-advisor/mfu-advisor/docs/schemas/{command}.schema.json",
        "title": f"mfu-advisor {command} result",
        "description": (
            f"The JSON document `mfu-advisor {command}` writes (--json or --output); every field "
            f"is described in docs/{command}.md. Generated from {kind.__module__}."
            f"{kind.__name__} by `python -m mfu_advisor.schemas`: do not edit. Fields may be "
            "added without a schema_version bump; none is renamed or removed without one."
        ),
        "type": "object",
        "required": ["schema_version", "command", "tool", "created_at", *top["required"]],
        "properties": {**_ENVELOPE, "command": {"const": command}, **top["properties"]},
        **{
            k: v
            for k, v in top.items()
            if k not in ("description", "type", "required", "properties")
        },
        "$defs": dict(sorted(builder.defs.items())),
    }


def text_of(command: str) -> str:
    """The schema file's text: one line per value where it fits in :data:`WIDTH` columns."""
    return _compact(schema_of(command), 0) + "\n"


#: Line width of the schema files.
WIDTH = 100


def _compact(value: Any, indent: int, lead: int = 0) -> str:
    """``value`` as JSON at ``indent``, after ``lead`` characters on its first line."""
    inline = json.dumps(value, ensure_ascii=False)
    if len(inline) + indent + lead <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return inline
    pad = " " * (indent + 2)
    close = " " * indent
    if isinstance(value, list):
        if all(not isinstance(item, (dict, list)) for item in value):
            return "[\n" + _filled([json.dumps(v) for v in value], pad) + "\n" + close + "]"
        items = [pad + _compact(item, indent + 2) for item in value]
        return "[\n" + ",\n".join(items) + "\n" + close + "]"
    entries = [
        f"{pad}{json.dumps(k)}: {_compact(v, indent + 2, len(json.dumps(k)) + 2)}"
        for k, v in value.items()
    ]
    return "{\n" + ",\n".join(entries) + "\n" + close + "}"


def _filled(words: list[str], pad: str) -> str:
    """Comma-separated ``words`` in lines no wider than :data:`WIDTH`."""
    lines: list[str] = []
    line = ""
    for word in words:
        if line and len(pad) + len(line) + len(word) + 2 > WIDTH:
            lines.append(pad + line + ",")
            line = ""
        line = f"{line}, {word}" if line else word
    return "\n".join([*lines, pad + line])


def main(root: Path = Path()) -> int:
    for command in RESULTS:
        path = root / SCHEMA_DIR / f"{command}.schema.json"
        path.write_text(text_of(command), encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
