"""DeepSpeed's engine lines (https://github.com/deepspeedai/DeepSpeed; docs/log-formats.md).

``[timer.py:...:stop]`` lines give samples per second of ``train_batch_size`` (the whole job):
the step time is ``train_batch_size / CurrSamplesPerSec``, or the running average's difference
between lines (logs/counters.py), else the wall time between the logger's own stamps.
"""

from __future__ import annotations

import re

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.counters import CumulativeClock, RunningAverage
from mfu_advisor.logs.formats.base import (
    Figure,
    LogFormat,
    Parser,
    RunView,
    config_product,
)
from mfu_advisor.logs.numbers import (
    parse_finite,
    parse_value,
    timestamp_s,
)

#: The logger's own prefix, kept by line normalisation for this reader: its time stamps time the
#: steps when the batch size is not in the log.
STAMP = (
    r"(?:\[(?P<stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:[,.](?P<ms>\d{3}))?\] \[\w+\] "
    # the first versions' logger: "[INFO 2020-06-08 05:26:19] "
    r"|\[\w+ (?P<old_stamp>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] )?"
)
SOURCE = r"\[[\w.]+\.py:\d+:\w+\] "
TIMER_NEW = re.compile(
    rf"^{STAMP}{SOURCE}epoch=\d+/micro_step=\d+/global_step=(?P<step>\d+), "
    r"RunningAvgSamplesPerSec=(?P<running>\d+(?:\.\d+)?)\d*, "
    r"CurrSamplesPerSec=(?P<current>\d+(?:\.\d+)?)"
)
TIMER_OLD = re.compile(
    rf"^{STAMP}(?:{SOURCE})?\d+/(?P<step>\d+), "
    r"(?:RunningAvg)?SamplesPerSec=(?P<running>\d+(?:\.\d+)?)"
    r"(?:, CurrSamplesPerSec=(?P<current>\d+(?:\.\d+)?))?"
)
STEP_LINE = re.compile(
    rf"^{STAMP}{SOURCE}(?:\[Rank \d+\] )?step=\d+, skipped=(?P<skipped>\d+), lr="
)
CONFIG = re.compile(
    rf"^{STAMP}\[config(?:_utils)?\.py:\d+:print\]\s+(?P<key>\w+) \.{{2,}} (?P<value>.*?)\s*$"
)
OTHER = re.compile(rf"^{STAMP}{SOURCE}")
#: ThroughputTimer(start_step=2): the running average leaves out the first two steps.
TIMER_START_STEP = 2


class DeepSpeedParser(Parser):
    """Reads the engine's timer and step lines and its configuration dump."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.average = RunningAverage(offset=TIMER_START_STEP)
        self.stamps = CumulativeClock()

    def parse_line(self, line: str, line_no: int) -> bool:
        if not line.startswith("["):
            return False
        sink = self.sink
        match = TIMER_NEW.match(line) or TIMER_OLD.match(line)
        if match:
            step = int(match.group("step"))
            batch = self._batch()
            running = parse_finite(match.group("running"))
            current = parse_finite(match.group("current") or "")
            from_stamp = self._from_stamp(match, step)
            from_running = (
                self.average.step_time_ms(step, 1000.0 * batch / running)
                if batch and running
                else None
            )
            time_ms: float | None
            if current and batch:
                time_ms = 1000.0 * batch / current  # this step's own rate
            elif match.re is TIMER_OLD and from_running is not None:
                time_ms = from_running  # the old running average, by differences
            else:
                time_ms = from_stamp
            sink.add_step(line_no, step=step, step_time_ms=time_ms)
            return True
        if STEP_LINE.match(line):
            return True
        match = CONFIG.match(line)
        if match:
            value = parse_value(match.group("value"))
            sink.set_config(match.group("key"), value, "DeepSpeed config", line_no)
            return True
        return bool(OTHER.match(line))  # other engine chatter

    def _batch(self) -> float | None:
        batch = self.sink.config_value("train_batch_size")
        return float(batch) if isinstance(batch, (int, float)) and batch > 0 else None

    def _from_stamp(self, match: re.Match[str], step: int) -> float | None:
        """The wall time per step since the previous timer line, from the logger's stamps."""
        text = match.group("stamp") or match.group("old_stamp")
        if text is None:
            return None
        stamp = timestamp_s(text, match.group("ms") or "0")
        if stamp is None:
            return None
        if self._batch() is None:
            self.sink.meta["step_time_from"] = "the timer lines' time stamps (wall clock)"
        spent = self.stamps.step_time_ms(step, stamp * 1000.0)
        return spent if spent else None  # the same millisecond twice is not a step's time


class DeepSpeed(LogFormat):
    """DeepSpeed engine logs."""

    name = "deepspeed"
    title = "DeepSpeed engine"
    tokens_scope = "job"
    scope_note = (
        "DeepSpeed's samples/s count the engine's train_batch_size, every data-parallel rank's "
        "samples (deepspeed/utils/timer.py ThroughputTimer), so they are the job's"
    )
    default_device = "cuda"
    parser_class = DeepSpeedParser
    reads_own_stamps = True
    shared_lines = True
    step_lines = (TIMER_NEW, TIMER_OLD)
    marker_lines = (STEP_LINE, CONFIG)

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        return config_product(
            run, ("train_batch_size", "seq_len"), "train_batch_size x --set seq_len"
        ) or Unavailable(
            "DeepSpeed counts samples, not tokens; give --set seq_len=N (tokens per sample) or "
            "--set tokens_per_step=N"
        )


FORMAT = DeepSpeed()
