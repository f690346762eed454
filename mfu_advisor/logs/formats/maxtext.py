"""MaxText (https://github.com/AI-Hypercomputer/maxtext; docs/log-formats.md), JAX on TPUs and GPUs.

``MaxText/metric_logger.py`` prints ``completed step: N, seconds: S, TFLOP/s/device: T,
Tokens/s/device: K, total_weights: W, loss: L`` for every step: the step's own time and per-device
rates, with MaxText's own FLOP count (matmuls, attention included). The start of the log prints
``Config param KEY: VALUE`` for every setting and ``Num_devices: N``.
"""

from __future__ import annotations

import re

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.formats.base import (
    Figure,
    FlopsPerToken,
    LogFormat,
    Parser,
    RunView,
    config_product,
    format_table,
    printed_flops_per_token,
)
from mfu_advisor.logs.numbers import INT, parse_finite, parse_number
from mfu_advisor.mfu import PEAK_DTYPE_KEYS

STEP = re.compile(rf"^completed step: {INT}, (.*)$")
FIELD = re.compile(r"([\w/]+): (\S+?)(?:,|$)")
CONFIG = re.compile(r"^Config param (\w+): (.*?)\s*$")
DEVICES = re.compile(rf"^Num_devices: {INT}")
#: The configuration numbers the analysis reads (``Config param`` prints every setting).
NUMBERS = ("per_device_batch_size", "max_target_length", "gradient_accumulation_steps", "steps")


class MaxTextParser(Parser):
    """Reads MaxText's step lines, its ``Config param`` dump and its device count."""

    def parse_line(self, line: str, line_no: int) -> bool:
        sink = self.sink
        match = STEP.match(line)
        if match:
            fields = dict(FIELD.findall(match.group(2)))
            seconds = parse_finite(fields.get("seconds", ""))
            tflops = parse_finite(fields.get("TFLOP/s/device", ""))
            sink.add_step(
                line_no,
                step=int(match.group(1)),
                loss=parse_number(fields.get("loss", "")),
                step_time_ms=None if seconds is None else seconds * 1000.0,
                tokens_per_s=parse_finite(fields.get("Tokens/s/device", "")),
                flops_per_s=None if tflops is None else tflops * 1e12,
            )
            return True
        match = CONFIG.match(line)
        if match:
            key, text = match.groups()
            if key in NUMBERS:
                value = parse_finite(text)
                if value is not None:
                    number = int(value) if value.is_integer() else value
                    sink.set_config(key, number, "log", line_no)
            elif key == "dtype":
                sink.set_config("dtype", text, "log", line_no)
            return True
        match = DEVICES.match(line)
        if match:
            sink.set_config("devices", int(match.group(1)), "log", line_no)
            return True
        return line.lstrip().startswith(tuple(format_table("maxtext", "chatter")))


class MaxText(LogFormat):
    """MaxText's train.py logs."""

    name = "maxtext"
    title = "MaxText"
    tokens_per_s_scope = "device"
    scope_note = (
        "MaxText prints TFLOP/s and tokens/s per device (MaxText/metric_logger.py); the job's "
        "tokens/s is the per-device rate x Num_devices"
    )
    parser_class = MaxTextParser

    step_lines = (re.compile("completed step: "),)
    step_needs = ("Tokens/s/device",)
    marker_lines = (re.compile("Config param |Num_devices: |System Information: "),)

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        keys = ["per_device_batch_size", "max_target_length"]
        if run.number("gradient_accumulation_steps"):
            keys.append("gradient_accumulation_steps")
        return config_product(
            run, keys, " x ".join(keys).replace("_", " ") + " (per device)"
        ) or Unavailable(
            "the 'Config param per_device_batch_size' and 'max_target_length' lines are not in "
            "the log; give --set tokens_per_step=N"
        )

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        return printed_flops_per_token(
            run,
            "log: TFLOP/s/device ÷ Tokens/s/device (MaxText's own count of matmul FLOPs, "
            "attention included)",
            "this MaxText log prints no TFLOP/s/device, so the FLOPs per token are unknown; "
            "give --set flops_per_token=X",
        )

    def default_dtype(self, run: RunView) -> tuple[str | None, str]:
        dtype = run.config("dtype")
        if isinstance(dtype, str) and dtype:
            return PEAK_DTYPE_KEYS.get(dtype, dtype), "log: Config param dtype"
        return "bf16", "MaxText's default activation dtype (bfloat16, configs/base.yml)"


FORMAT = MaxText()
