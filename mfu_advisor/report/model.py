"""The one report model: a command's JSON document (envelope plus JSON-ready payload) in memory."""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mfu_advisor import ENVELOPE_KEYS, SCHEMA_VERSION, __version__
from mfu_advisor.errors import UserError
from mfu_advisor.facts import to_jsonable
from mfu_advisor.sanitize import shown


class Command(enum.StrEnum):
    """The commands that produce a report."""

    PROBE = "probe"
    BENCH = "bench"
    ANALYZE = "analyze"
    DIAGNOSE = "diagnose"
    RUN = "run"


@dataclass(frozen=True)
class Report:
    """A command's result: envelope plus JSON-ready payload."""

    command: Command
    payload: Mapping[str, Any]
    tool_version: str = __version__
    created_at: str = ""
    """ISO 8601 time in UTC at which the result was made."""
    schema_version: int = SCHEMA_VERSION
    redacted: bool = False
    """True when identifying values were removed (``--redact``, report/output.py)."""

    def to_json(self) -> dict[str, Any]:
        """The JSON document: envelope fields first, then the payload's."""
        doc: dict[str, Any] = {
            "schema_version": self.schema_version,
            "command": self.command.value,
            "tool": {"name": "mfu-advisor", "version": self.tool_version},
            "created_at": self.created_at,
        }
        if self.redacted:
            doc["redacted"] = True
        doc.update(self.payload)
        return doc

    @classmethod
    def from_json(cls, doc: Any) -> Report:
        """Rebuild a report from a saved JSON document; bad documents raise UserError."""
        if not isinstance(doc, Mapping):
            raise UserError("not an mfu-advisor result: the JSON document is not an object")
        try:
            command = Command(str(doc.get("command")))
        except ValueError:
            known = ", ".join(c.value for c in Command)
            raise UserError(
                f"not an mfu-advisor result: 'command' is {shown(doc.get('command'))}, "
                f"expected one of {known}"
            ) from None
        version = doc.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise UserError(
                f"not an mfu-advisor result: schema_version is {shown(version)}, "
                "not a positive integer"
            )
        if version > SCHEMA_VERSION:
            raise UserError(
                f"result has schema_version {shown(version)}; this mfu-advisor reads up to "
                f"{SCHEMA_VERSION}"
            )
        tool_field = doc.get("tool")
        tool: Mapping[str, Any] = tool_field if isinstance(tool_field, Mapping) else {}
        if tool.get("name", "mfu-advisor") != "mfu-advisor":
            writer = shown(tool.get("name"))
            raise UserError(f"not an mfu-advisor result: it was written by {writer}")
        payload = {k: v for k, v in doc.items() if k not in ENVELOPE_KEYS}
        return cls(
            command=command,
            payload=payload,
            tool_version=str(tool.get("version", "unknown")),
            created_at=str(doc.get("created_at", "")),
            schema_version=version,
            # A saved "redacted": true is never trusted (a hand edit would put the badge
            # over unredacted data); emit() marks a report redacted when this run redacts.
            redacted=False,
        )


def make_report(command: Command, payload: Any) -> Report:
    """Wrap a command's facts (dataclasses or plain data) into a timestamped report."""
    data = to_jsonable(payload)
    if not isinstance(data, dict):
        raise TypeError("a report payload must convert to a JSON object")
    clash = [k for k in ENVELOPE_KEYS if k in data]
    if clash:
        raise ValueError(f"payload uses envelope keys {clash}")
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    return Report(command=command, payload=data, created_at=now)
