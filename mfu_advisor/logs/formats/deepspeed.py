"""DeepSpeed's engine lines (https://github.com/deepspeedai/DeepSpeed), from any training script.

With ``steps_per_print`` set, the engine logs, every that many optimizer steps
(``deepspeed/runtime/engine.py`` and ``deepspeed/utils/timer.py``, ThroughputTimer.stop)::

    [2023-11-07 01:55:23,711] [INFO] [logging.py:96:log_dist] [Rank 0] step=10, skipped=4,
        lr=[4.998e-05], mom=[(0.9, 0.95)]
    [2023-11-07 01:55:23,714] [INFO] [timer.py:260:stop] epoch=0/micro_step=40/global_step=10,
        RunningAvgSamplesPerSec=25.02, CurrSamplesPerSec=25.70, MemAllocated=4.32GB, ...

(one line each in the log)

Older versions print ``[timer.py:189:stop] 0/40, SamplesPerSec=83.48, ...``: a running
average since the timer's start step (2), with no current rate. Samples are the
engine's ``train_batch_size``: micro batch x gradient accumulation x data-parallel
ranks, the whole job's. The step time is ``train_batch_size / CurrSamplesPerSec``
(one step), or from the running average's difference between lines
(logs/counters.py); both need ``train_batch_size``, which the engine prints in its
configuration dump (``[config.py:...:print]   train_batch_size ..... 32``). The
timestamp prefix is removed by logs/normalise.py before this reader sees a line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.counters import RunningAverage
from mfu_advisor.logs.formats.base import (
    Evidence,
    Figure,
    LogFormat,
    Parser,
    RunView,
    config_product,
    count_evidence,
)
from mfu_advisor.logs.numbers import DECIMAL, INT, parse_finite, parse_value

UPSTREAM = "https://github.com/deepspeedai/DeepSpeed/blob/master/deepspeed/utils/timer.py"

SOURCE = r"\[[\w.]+\.py:\d+:\w+\] "
TIMER_NEW = re.compile(
    rf"^{SOURCE}epoch={INT}/micro_step={INT}/global_step={INT}, "
    rf"RunningAvgSamplesPerSec={DECIMAL}(?:\d*), CurrSamplesPerSec={DECIMAL}"
)
TIMER_OLD = re.compile(
    rf"^{SOURCE}{INT}/{INT}, (?:RunningAvg)?SamplesPerSec={DECIMAL}"
    rf"(?:, CurrSamplesPerSec={DECIMAL})?"
)
STEP_LINE = re.compile(rf"^{SOURCE}(?:\[Rank \d+\] )?step={INT}, skipped={INT}, lr=")
CONFIG = re.compile(r"^\[config(?:_utils)?\.py:\d+:print\]\s+(\w+) \.{2,} (.*?)\s*$")
#: ThroughputTimer(start_step=2): the running average leaves out the first two steps.
TIMER_START_STEP = 2


class DeepSpeedParser(Parser):
    """Reads the engine's timer and step lines and its configuration dump."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.average = RunningAverage(offset=TIMER_START_STEP)
        self.skipped = 0

    def parse_line(self, line: str, line_no: int) -> bool:
        if not line.startswith("["):
            return False
        sink = self.sink
        batch = sink.config_value("train_batch_size")
        batch = float(batch) if isinstance(batch, (int, float)) and batch > 0 else None
        match = TIMER_NEW.match(line)
        if match:
            step = int(match.group(3))
            current = parse_finite(match.group(5))
            running = parse_finite(match.group(4))
            self.average.step_time_ms(step, 1000.0 * batch / running if batch and running else 0)
            sink.add_step(
                line_no,
                step=step,
                step_time_ms=1000.0 * batch / current if batch and current else None,
            )
            return True
        match = TIMER_OLD.match(line)
        if match:
            step = int(match.group(2))
            current = parse_finite(match.group(4) or "")
            running = parse_finite(match.group(3))
            derived = (
                self.average.step_time_ms(step, 1000.0 * batch / running)
                if batch and running
                else None
            )
            if current and batch:
                derived = 1000.0 * batch / current
            sink.add_step(line_no, step=step, step_time_ms=derived)
            return True
        match = STEP_LINE.match(line)
        if match:
            self.skipped = int(match.group(2))
            sink.meta["skipped_steps"] = self.skipped
            return True
        match = CONFIG.match(line)
        if match:
            value = parse_value(match.group(2))
            sink.set_config(match.group(1), value, "DeepSpeed config", line_no)
            return True
        return (line.startswith("[") and "] [Rank " in line[:80]) or bool(re.match(SOURCE, line))


class DeepSpeed(LogFormat):
    """DeepSpeed engine logs."""

    name = "deepspeed"
    title = "DeepSpeed engine"
    upstream = UPSTREAM
    example = (
        "[timer.py:260:stop] epoch=0/micro_step=40/global_step=10, "
        "RunningAvgSamplesPerSec=25.02, CurrSamplesPerSec=25.70, MemAllocated=4.32GB"
    )
    tokens_scope = "job"
    scope_note = (
        "DeepSpeed's samples/s count the engine's train_batch_size, every data-parallel rank's "
        "samples (deepspeed/utils/timer.py ThroughputTimer), so they are the job's"
    )
    default_device = "cuda"
    parser_class = DeepSpeedParser

    def sniff(self, lines: Sequence[str]) -> Evidence:
        return count_evidence(
            lines,
            lambda line: (
                line.startswith("[timer.py") and (TIMER_NEW.match(line) or TIMER_OLD.match(line))
            ),
            lambda line: (
                line.startswith(("[logging.py", "[config.py", "[config_utils.py"))
                and (STEP_LINE.match(line) or CONFIG.match(line))
            ),
        )

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        return config_product(
            run, ("train_batch_size", "seq_len"), "train_batch_size x --set seq_len"
        ) or Unavailable(
            "DeepSpeed counts samples, not tokens; give --set seq_len=N (tokens per sample) or "
            "--set tokens_per_step=N"
        )


FORMAT = DeepSpeed()
