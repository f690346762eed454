"""``--redact``: remove what identifies a person or a machine from a report, in every format.

What goes is listed in docs/reports.md and implemented by
:mod:`mfu_advisor.redaction` (shared with ``snapshot --redact``). Redaction works
on the JSON payload, so every renderer (text, JSON, Markdown, HTML) shows the
same redacted report; the report is marked ``redacted: true``. Nothing else is
changed: numbers, model names and configuration keys stay, so a redacted
report still diagnoses.
"""

from __future__ import annotations

import dataclasses

from mfu_advisor.redaction import find_secrets, redact_value
from mfu_advisor.report.model import Report


def redact_report(report: Report) -> Report:
    """A copy of ``report`` with host names, user names, paths, keys and serials removed."""
    secrets = find_secrets(report.payload, local=True)
    payload = redact_value(report.payload, secrets, memo={})
    return dataclasses.replace(report, payload=payload, redacted=True)
