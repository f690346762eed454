"""The fallback for trainers no other module knows: lines with a step number and a time or a rate.

A line counts as a step when it has a step number (``step 12``, ``iter: 12``,
``global_step=12``, ``[12/500]``...) and either a duration (``time 812 ms``,
``dt: 0.81s``, ``took 812ms``) or a token rate (``tok/s: 12,345``, ``12.3k
tokens/s``, ``tps=...``). Loss and an MFU (``mfu 41.2%``) are read when
present. Nothing else is assumed: no model size, no reference device.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mfu_advisor.logs.formats.base import Evidence, LogFormat, Parser, count_evidence
from mfu_advisor.logs.numbers import DECIMAL, INT, parse_finite, parse_number

STEP = re.compile(
    r"(?i)(?:\b(?:global_step|step|iter(?:ation)?|it|batch)\b\s*[:=#]?\s*\[?\s*"
    rf"{INT}|\[\s*{INT}\s*/\s*\d+\s*\])"
)
TIME = re.compile(
    r"(?i)\b(?:step_time|iter_time|time|dt|took|elapsed|duration)\b[^\d\n]{0,24}?"
    rf"{DECIMAL}\s*(ms|s|sec|secs|seconds)\b"
)
BARE_MS = re.compile(rf"{DECIMAL}\s*ms\b")
RATE_AFTER = re.compile(
    r"(?i)\b(?:tok(?:en)?s?/s(?:ec)?|tok(?:en)?s_per_s(?:ec(?:ond)?)?|tps|wps)\b\s*[:=]?\s*(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\b"
)
RATE_BEFORE = re.compile(
    r"(?i)(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\s*(?:tok(?:en)?s?/s(?:ec)?|tokens per second)"
)
LOSS = re.compile(r"(?i)\bloss\b\s*[:=]?\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|inf)")
MFU = re.compile(r"(?i)\bmfu\b\s*[:=]?\s*(-?\d+(?:\.\d+)?)\s*(%)?")
_SCALE = {"k": 1e3, "m": 1e6}


def read_step(line: str) -> dict[str, float | None] | None:
    """The step fields of a line, or None when it is not a step line."""
    step = STEP.search(line)
    if step is None:
        return None
    time_ms = None
    match = TIME.search(line)
    if match:
        value = float(match.group(1))
        time_ms = value if match.group(2).lower() == "ms" else value * 1000.0
    else:
        match = BARE_MS.search(line)
        if match:
            time_ms = float(match.group(1))
    rate = None
    match = RATE_AFTER.search(line) or RATE_BEFORE.search(line)
    if match:
        base = parse_finite(match.group(1))
        scale = _SCALE.get((match.group(2) or "").lower(), 1.0)
        rate = None if base is None else base * scale
    if time_ms is None and rate is None:
        return None
    loss_match = LOSS.search(line)
    loss = parse_number(loss_match.group(1)) if loss_match else None
    mfu = None
    match = MFU.search(line)
    if match:
        value = float(match.group(1))
        # With a % sign, or above 1, it is a percentage; otherwise a fraction.
        mfu = value / 100.0 if match.group(2) or value > 1.0 else value
        if mfu < 0:
            mfu = None
    return {
        "step": float(step.group(1) or step.group(2)),
        "loss": loss,
        "step_time_ms": time_ms,
        "tokens_per_s": rate,
        "reported_mfu": mfu,
    }


class GenericParser(Parser):
    """Reads any line with a step number and a time or token rate."""

    def parse_line(self, line: str, line_no: int) -> bool:
        fields = read_step(line)
        if fields is None:
            return False
        self.sink.add_step(
            line_no,
            step=fields["step"],
            loss=fields["loss"],
            step_time_ms=fields["step_time_ms"],
            tokens_per_s=fields["tokens_per_s"],
            reported_mfu=fields["reported_mfu"],
        )
        return True


class Generic(LogFormat):
    """Any log whose lines show a step and a time or a token rate."""

    tokens_scope = "unknown"
    scope_note = (
        "a log read by the generic reader does not say whether its tokens/s or MFU count one "
        "rank or the whole job"
    )

    name = "generic"
    title = "generic step log"
    upstream = "(none: a fallback)"
    example = "step 120 | loss 3.21 | time 812.5 ms | 12,345 tok/s"
    specific = False
    eval_untimed_reason = "the generic reader does not recognise evaluation lines"

    parser_class = GenericParser

    def sniff(self, lines: Sequence[str]) -> Evidence:
        return count_evidence(lines, read_step, lambda _line: False)


FORMAT = Generic()
