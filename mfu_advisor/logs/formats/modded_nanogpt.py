"""modded-nanogpt, the NanoGPT speedrun (https://github.com/KellerJordan/modded-nanogpt;
docs/log-formats.md). ``train_time`` is a cumulative clock and ``step_avg`` its running mean,
so step times come from differences between lines (logs/counters.py). No tokens per step or MFU.
"""

from __future__ import annotations

import re

from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.counters import CumulativeClock
from mfu_advisor.logs.formats.base import LogFormat, Parser, RunView
from mfu_advisor.logs.numbers import DECIMAL, INT, parse_finite, parse_number

STEP = re.compile(rf"^step:{INT}/{INT} ")
FIELD = re.compile(r"(\w+):(\S+)")
CLOCK = re.compile(rf"^{DECIMAL}(ms|s)$")
# nvidia-smi's table: "|   0  NVIDIA H100 80GB HBM3          On  |   00000000:19:00.0 Off |"
SMI_GPU = re.compile(r"^\|\s+(\d{1,3})\s+(NVIDIA .+?|Tesla .+?)\s{2,}(?:On|Off)\s+\|")
PEAK_MEMORY = re.compile(rf"^peak memory (?:allocated|consumption): {INT} MiB")


def _clock_ms(text: str) -> float | None:
    match = CLOCK.match(text)
    if match is None:
        return None
    value = float(match.group(1))
    return value if match.group(2) == "ms" else value * 1000.0


class ModdedNanoGptParser(Parser):
    """Reads ``step:N/M`` lines, deriving each step's time from the training clock."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.clock = CumulativeClock()
        self.train_lines = 0
        self.gpus: set[int] = set()

    def parse_line(self, line: str, line_no: int) -> bool:
        match = STEP.match(line)
        if match is None:
            return self._other(line, line_no)
        step = int(match.group(1))
        fields = dict(FIELD.findall(line[match.end() :]))
        clock = _clock_ms(fields.get("train_time", ""))
        if clock is None:
            return False
        if self.clock.last is not None and step < self.clock.last[0]:
            self.sink.mark_run_start()  # a new run (or seed) in the same log
            self.train_lines = 0
        step_time = self.clock.step_time_ms(step, clock)
        if "val_loss" in fields:
            self.sink.add_eval(line_no, step, {"loss": parse_number(fields["val_loss"])})
            if self.train_lines:
                return True
            # A log of validation lines only: the clock still times the steps between them.
        else:
            self.train_lines += 1
        self.sink.add_step(
            line_no,
            step=step,
            loss=parse_number(fields.get("train_loss", "")) if "train_loss" in fields else None,
            step_time_ms=step_time,
        )
        self.sink.set_config("max_steps", int(match.group(2)), "log", line_no)
        return True

    def _other(self, line: str, line_no: int) -> bool:
        match = SMI_GPU.match(line)
        if match:
            self.sink.hint("gpu_name", match.group(2).strip(), line_no, line)
            self.sink.hint("device", "cuda", line_no, line)
            self.gpus.add(int(match.group(1)))
            self.sink.set_config("devices", len(self.gpus), "nvidia-smi table", line_no)
            return True
        match = PEAK_MEMORY.match(line)
        if match:
            self.sink.set_summary("peak_memory_mib", parse_finite(match.group(1)), line_no)
            return True
        return False


class ModdedNanoGpt(LogFormat):
    """modded-nanogpt's train_gpt.py (the NanoGPT speedrun)."""

    name = "modded_nanogpt"
    title = "modded-nanogpt"
    eval_untimed_reason = (
        "modded-nanogpt pauses its training clock during validation, so its length is not in "
        "the log"
    )
    scope_note = (
        "modded-nanogpt's train_time is the job's wall clock (every rank runs the same steps); "
        "it prints no tokens/s or MFU"
    )
    default_device = "cuda"
    parser_class = ModdedNanoGptParser
    step_lines = (STEP,)
    step_needs = ("train_time:",)
    marker_lines = (SMI_GPU,)

    def variant(self, run: RunView) -> str:
        return "train_gpt.py"


FORMAT = ModdedNanoGpt()
