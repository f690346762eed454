"""The fallback for trainers no other module knows: a step number plus a duration or a token rate.

Durations are read by name (logs/counters.py): a step's own time as it is, a cumulative clock
or running mean by differences (a "clock" that goes back is a step time after all). A rate
named per device makes the throughput per device (docs/log-formats.md, "Generic").
"""

from __future__ import annotations

import re
from typing import Any

from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.counters import CumulativeClock, RunningAverage, field_kind
from mfu_advisor.logs.formats.base import LogFormat, Parser, RunView
from mfu_advisor.logs.numbers import DECIMAL, INT, parse_finite, parse_number

STEP = re.compile(
    r"(?i)(?:\b(?:global_step|step|iter(?:ation)?|it|batch)\b\s*[:=#]?\s*\[?\s*"
    rf"{INT}|\[\s*{INT}\s*/\s*\d+\s*\])"
)
TIME = re.compile(
    r"(?i)\b((?:(?:total|wall|elapsed|train(?:ing)?|step|iter(?:ation)?|avg|average|mean)[ _])?"
    r"(?:[a-z]+_)*(?:time|dt|took|elapsed|duration|avg|runtime)(?:_[a-z]+)*)\b[^\d\n]{0,24}?"
    rf"{DECIMAL}\s*(ms|s|sec|secs|seconds)\b"
)
#: A duration whose unit comes before the number: NeMo's "train_step_timing in s=0.53",
#: "step time (ms): 812.5".
TIME_UNIT_FIRST = re.compile(
    r"(?i)\b((?:[a-z]+[_ ])*(?:time|timing|dt|duration))\s*(?:in\s+|\(|\[)(ms|s|sec|seconds)[)\]]?"
    rf"\s*[:=]\s*{DECIMAL}"
)
BARE_MS = re.compile(rf"{DECIMAL}\s*ms\b")
#: A token rate per device: "tokens/gpu/sec: 3,120", "tok/s/gpu 3120", "tgs: 3120",
#: "tokens per gpu per second (tgs): 3120", "tokens_per_sec_per_gpu=3120".
RATE_PER_DEVICE = re.compile(
    r"(?i)\b(?:tok(?:en)?s?/(?:gpu|device)/s(?:ec)?|tok(?:en)?s?/s(?:ec)?/(?:gpu|device)"
    r"|tok(?:en)?s_per_s(?:ec(?:ond)?)?_per_(?:gpu|device)|tokens per gpu per second(?: \(tgs\))?"
    r"|tgs)\b\s*[:=]?\s*(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\b"
)
RATE_AFTER = re.compile(
    r"(?i)\b(?:tok(?:en)?s?/s(?:ec)?|tok(?:en)?s_per_s(?:ec(?:ond)?)?|tps|wps)\b\s*[:=]?\s*(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\b"
)
RATE_BEFORE = re.compile(
    r"(?i)(\d[\d,]*(?:\.\d+)?)\s*([kKmM])?\s*(?:tok(?:en)?s?/s(?:ec)?|tokens per second)"
)
LOSS = re.compile(
    r"(?i)\b(?:reduced_train_|train_|training_)?loss\b\s*[:=]?\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|inf)"
)
MFU = re.compile(r"(?i)\bmfu\b\s*[:=]?\s*(-?\d+(?:\.\d+)?)\s*(%)?")
_SCALE = {"k": 1e3, "m": 1e6}


def _times(line: str) -> dict[str, tuple[str, float]]:
    """The line's named durations by kind ("step", "average", "cumulative"): (name, ms)."""
    found: dict[str, tuple[str, float]] = {}
    unit_first = [(name, value, unit) for name, unit, value in TIME_UNIT_FIRST.findall(line)]
    for name, value, unit in TIME.findall(line) + unit_first:
        ms = float(value) if unit.lower() == "ms" else float(value) * 1000.0
        found.setdefault(field_kind(name), (name.lower(), ms))
    return found


def read_step(line: str) -> dict[str, Any] | None:
    """The step fields of a line, or None when it is not a step line."""
    step = STEP.search(line)
    if step is None:
        return None
    times = _times(line)
    time_ms = times["step"][1] if "step" in times else None
    if not times:
        match = BARE_MS.search(line)
        if match:
            time_ms = float(match.group(1))
    rate = None
    match = RATE_PER_DEVICE.search(line)
    per_device = match is not None
    match = match or RATE_AFTER.search(line) or RATE_BEFORE.search(line)
    if match:
        base = parse_finite(match.group(1))
        scale = _SCALE.get((match.group(2) or "").lower(), 1.0)
        rate = None if base is None else base * scale
    if not times and time_ms is None and rate is None:
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
        "times": times,
        "tokens_per_s": rate,
        "per_device": per_device,
        "reported_mfu": mfu,
    }


class GenericParser(Parser):
    """Reads any line with a step number and a time or token rate."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.clocks: dict[str, CumulativeClock] = {}
        self.averages: dict[str, RunningAverage] = {}
        self.not_clocks: set[str] = set()
        """Names of cumulative-looking fields that went back while the steps went on."""

    def parse_line(self, line: str, line_no: int) -> bool:
        fields = read_step(line)
        if fields is None:
            return False
        step = fields["step"]
        time_ms = fields["step_time_ms"]
        times = fields["times"]
        if time_ms is None and "cumulative" in times:
            time_ms = self._from_clock(step, *times["cumulative"])
        if time_ms is None and "average" in times:
            name, average = times["average"]
            self.sink.meta["step_time_from"] = f"the running mean '{name}', by differences"
            time_ms = self.averages.setdefault(name, RunningAverage()).step_time_ms(step, average)
        if fields["per_device"]:
            self.sink.meta["rate_per_device"] = True
        self.sink.add_step(
            line_no,
            step=step,
            loss=fields["loss"],
            step_time_ms=time_ms,
            tokens_per_s=fields["tokens_per_s"],
            reported_mfu=fields["reported_mfu"],
        )
        return True

    def _from_clock(self, step: float, name: str, clock_ms: float) -> float | None:
        """The step time from a cumulative clock, or the value itself once the clock went back
        while the steps went on (then it was a step time named like a clock)."""
        if name in self.not_clocks:
            return clock_ms
        clock = self.clocks.setdefault(name, CumulativeClock())
        last = clock.last
        if last is not None and step > last[0] and clock_ms < last[1]:
            self.not_clocks.add(name)
            self.sink.meta.pop("step_time_from", None)
            return clock_ms
        self.sink.meta["step_time_from"] = f"the cumulative clock '{name}', by differences"
        return clock.step_time_ms(step, clock_ms)


class Generic(LogFormat):
    """Any log whose lines show a step and a time or a token rate."""

    tokens_scope = "unknown"
    scope_note = (
        "a log read by the generic reader does not say whether its tokens/s or MFU count one "
        "rank or the whole job"
    )

    name = "generic"
    title = "generic step log"
    specific = False
    eval_untimed_reason = "the generic reader does not recognise evaluation lines"

    parser_class = GenericParser

    def is_step_line(self, line: str) -> bool:
        return read_step(line) is not None

    def for_run(self, run: RunView) -> LogFormat:
        return PER_DEVICE if run.meta("rate_per_device") else self


class GenericPerDevice(Generic):
    """The generic reader on a log whose token rate is per device (``tokens/gpu/sec``)."""

    tokens_per_s_scope = "device"
    tokens_scope = "per_rank"
    scope_note = (
        "the log's token rate is per device (tokens/gpu/sec and the like): the job's is that "
        "times the devices; whether its MFU counts one rank or the job is not known"
    )


FORMAT = Generic()
PER_DEVICE = GenericPerDevice()
