"""``--redact`` on a report's payload (mfu_advisor.redaction), so every format is redacted alike."""

from __future__ import annotations

import dataclasses

from mfu_advisor.redaction import find_secrets, redact_value
from mfu_advisor.report.model import Report


def redact_report(report: Report) -> Report:
    """A copy of ``report`` with host names, user names, paths, keys and serials removed."""
    secrets = find_secrets(report.payload, local=True)
    payload = redact_value(report.payload, secrets)
    return dataclasses.replace(report, payload=payload, redacted=True)
