"""Megatron-LM ``pretrain_gpt.py`` (https://github.com/NVIDIA/Megatron-LM; docs/log-formats.md).

training_log prints ``iteration N/M | key: value | ...`` every ``--log-interval``: the elapsed
time is the interval's average, throughput is per GPU; arguments are dumped at the start.
Megatron prints no MFU.
"""

from __future__ import annotations

import re

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.formats.base import (
    Figure,
    FlopsPerToken,
    LogFormat,
    Parser,
    RunView,
    config_product,
)
from mfu_advisor.logs.numbers import DECIMAL, INT, parse_finite, parse_number, parse_value

# GPT-NeoX (Megatron's descendant, on DeepSpeed) puts " samples/sec: 7.799 | " first.
ITERATION = re.compile(
    rf"^\s*(?:\[[^\]]*\]\s*)?(?:samples/sec:\s*[\d.]+\s*\|\s*)?iteration\s+{INT}\s*/\s*{INT}\s*\|"
)
#: GPT-NeoX's "approx flops per GPU: 112.9TFLOPS".
NEOX_FLOPS = re.compile(rf"^{DECIMAL}\s*TFLOPS$")
PAIR = re.compile(r"\|\s*([^|:]+?):\s*([^|]+?)\s*(?=\|)")
VALIDATION = re.compile(rf"^\s*validation loss at iteration {INT}[^|]*\|(.*)$")
ARGS_START = re.compile(r"^\s*-+ arguments -+\s*$")
ARGS_END = re.compile(r"^-+ end of arguments -+$")
#: Other lines the arguments dump may hold before it is taken as over without its end line.
ARGS_MISSES = 3
ARG = re.compile(r"^\s*(\w+) \.{2,} (.*?)\s*$")
TIMER = re.compile(r"^\s*\(min, max\) time across ranks \(ms\):|^\s*[\w-]+ \.{3,}: \(")
PARAMS = re.compile(
    rf"number of parameters on \(tensor, pipeline\) model parallel rank \({INT}, {INT}\): {INT}"
)
CHATTER = re.compile(
    r"^\s*(\[after |\[before |> |building |training \.\.\.|-{5,}|setting |using |initializing|"
    r"compiling|time to |done with|Number of parameters in)"
)
LOSS_KEYS = ("lm loss", "loss")


class MegatronParser(Parser):
    """Reads Megatron-LM training logs line by line."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.in_args = False
        self.args_misses = 0

    def parse_line(self, line: str, line_no: int) -> bool:
        sink = self.sink
        match = ITERATION.match(line)
        if match:
            fields = dict(PAIR.findall(line[match.end() - 1 :] + "|"))
            loss_text = next((fields[k] for k in LOSS_KEYS if k in fields), None)
            tflops = parse_finite(fields.get("throughput per GPU (TFLOP/s/GPU)", ""))
            neox = NEOX_FLOPS.match(fields.get("approx flops per GPU", ""))
            if tflops is None and neox:
                tflops = float(neox.group(1))
            batch = parse_finite(fields.get("global batch size", ""))
            if batch:
                sink.set_config("global_batch_size", int(batch), "iteration line", line_no)
            sink.add_step(
                line_no,
                step=int(match.group(1)),
                loss=parse_number(loss_text) if loss_text is not None else None,
                step_time_ms=parse_finite(fields.get("elapsed time per iteration (ms)", "")),
                flops_per_s=None if tflops is None else tflops * 1e12,
            )
            return True
        stripped = line.strip()
        if ARGS_START.match(stripped):
            self.in_args = True
            self.args_misses = 0
            return True
        if ARGS_END.match(stripped):
            self.in_args = False
            return True
        if self.in_args:
            match = ARG.match(line)
            if match:
                sink.set_config(match.group(1), parse_value(match.group(2)), "arguments", line_no)
                self.args_misses = 0
                return True
            # A warning or a progress bar inside the dump does not end it; a run of them does.
            self.args_misses += 1
            self.in_args = self.args_misses <= ARGS_MISSES
        match = VALIDATION.match(line)
        if match:
            fields = dict(PAIR.findall("|" + match.group(2) + "|"))
            values = {k.replace(" ", "_"): parse_number(raw) for k, raw in fields.items()}
            sink.add_eval(line_no, int(match.group(1)), values)
            return True
        match = PARAMS.search(line)
        if match:
            sink.set_config("n_params_rank0", int(match.group(3)), "log", line_no)
            return True
        return bool(TIMER.match(line) or CHATTER.match(line))


class Megatron(LogFormat):
    """Megatron-LM."""

    name = "megatron"
    title = "Megatron-LM"
    eval_timing = "untimed"
    eval_untimed_reason = "Megatron's elapsed time per iteration covers training iterations only"
    step_time_span = "interval"

    parser_class = MegatronParser
    step_lines = (ITERATION,)
    step_needs = ("elapsed time per iteration",)
    marker_lines = (VALIDATION, ARGS_START)
    default_variant = "pretrain_gpt"
    default_device = "cuda"

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        return config_product(
            run, ("global_batch_size", "seq_length"), "global batch size x seq_length"
        ) or Unavailable(
            "the sequence length is not in the log (no arguments dump); give --set seq_length=N "
            "or --set tokens_per_step=N"
        )

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        return Unavailable(
            "Megatron prints its achieved TFLOP/s per GPU but not the FLOPs per token; give "
            "--set flops_per_token=X to compute tokens-based figures"
        )

    def default_dtype(self, run: RunView) -> tuple[str | None, str]:
        if run.config("bf16") is True:
            return "bf16", "--bf16 in the arguments"
        if run.config("fp16") is True:
            return "fp16", "--fp16 in the arguments"
        if run.has("bf16") or run.has("fp16"):
            return "tf32", "neither --bf16 nor --fp16 in the arguments"
        return "bf16", "the usual Megatron precision (the arguments are not in the log)"

    def devices(self, run: RunView) -> Figure | None:
        world = run.number("world_size")
        if world:
            return Figure(world, "arguments: world_size")
        return super().devices(run)


FORMAT = Megatron()
