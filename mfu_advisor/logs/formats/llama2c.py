"""llama2.c's ``train.py`` (https://github.com/karpathy/llama2.c at 350e04fe; docs/log-formats.md):
nanoGPT's start-up and evaluation lines plus ``2000 | loss X | lr Y | 123.45ms | mfu 12.34%``,
the MFU nanoGPT's running average against an A100's 312 TFLOP/s, per process.
"""

from __future__ import annotations

import re

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.formats.base import (
    ConfigEntryOrMissing,
    FlopsPerToken,
    RunView,
    ValueLine,
    read_value_line,
)
from mfu_advisor.logs.formats.nanogpt import NanoGpt
from mfu_advisor.logs.formats.nanogpt_parser import NanoGptParser
from mfu_advisor.logs.numbers import DECIMAL, INT, SIGNED_DECIMAL

# The first versions printed no MFU.
STEP = re.compile(rf"^{INT} \| loss (\S+) \| lr \S+ \| {DECIMAL}ms(?: \| mfu {SIGNED_DECIMAL}%)?")
BREAKDOWN = re.compile(
    rf"^breaks down as: {INT} grad accum steps \* {INT} processes \* {INT} batch size \* "
    rf"{INT} max seq len"
)

BREAKDOWN_LINE: tuple[ValueLine, ...] = (
    (
        BREAKDOWN,
        ("gradient_accumulation_steps", "devices", "batch_size", "max_seq_len"),
        int,
        "'breaks down as' line",
    ),
)


class Llama2cParser(NanoGptParser):
    """nanoGPT's parser with llama2.c's step and breakdown lines."""

    def parse_line(self, line: str, line_no: int) -> bool:
        if line[:1].isdigit():
            match = STEP.match(line)
            if match:
                self._iter_line(match, line_no)  # groups: step, loss, time, mfu, as nanoGPT's
                return True
        if read_value_line(self.sink, BREAKDOWN_LINE, line, line_no):
            return True
        return super().parse_line(line, line_no)


class Llama2c(NanoGpt):
    """llama2.c train.py."""

    name = "llama2c"
    title = "llama2.c"
    parser_class = Llama2cParser

    step_lines = (STEP,)
    # Its evaluation and start-up lines are nanoGPT's: only its own line is a marker.
    marker_lines = (BREAKDOWN,)

    def gpt_config(self, run: RunView) -> dict[str, ConfigEntryOrMissing]:
        return {}  # a Llama, not nanoGPT's GPT: diagnose --from-log cannot reproduce it

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        return Unavailable(
            "llama2.c does not print its model size; give --set n_params=N (6N FLOPs per token) "
            "or --set flops_per_token=X"
        )


FORMAT = Llama2c()
