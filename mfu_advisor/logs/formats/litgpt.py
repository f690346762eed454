"""LitGPT / lit-gpt pretraining and fine-tuning (https://github.com/Lightning-AI/litgpt;
docs/log-formats.md). The iter time covers one micro-batch; ``Measured TFLOPs`` is one
micro-batch's forward and backward on all devices.
"""

from __future__ import annotations

import re

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.collect import FLAG_OPTIMIZER_STEP
from mfu_advisor.logs.formats.base import (
    SUMMARY,
    Figure,
    FlopsPerToken,
    LogFormat,
    Parser,
    RunView,
    ValueLine,
    read_value_line,
)
from mfu_advisor.logs.numbers import DECIMAL, INT, parse_finite, parse_int, parse_number

OLD = re.compile(
    rf"^\[?iter {INT} step {INT}\]?: loss (\S+?),(?: lr \S+,)? iter time: {DECIMAL}\s*ms"
    r"( \(optimizer\.step\))?"
)
NEW = re.compile(
    rf"^Epoch {INT} \| iter {INT} step {INT} \| loss train: (\S+?), val: (\S+?) \| "
    rf"iter time: {DECIMAL} ms( \(step\))?"
)
VAL = re.compile(rf"^(?:step|iter) {INT}: val loss (\S+?),? val time: {DECIMAL}\s*ms")
MEASURED = re.compile(rf"^Measured TFLOPs: {DECIMAL}")
PARAMS = re.compile(
    r"^(Total parameters|Number of trainable parameters|Number of non-trainable parameters):?"
    r" ([\d,]+)"
)
DICT_KEY = re.compile(
    r"'(micro_batch_size|devices|block_size|max_seq_length|global_batch_size|n_layer|n_embd|"
    rf"n_head|vocab_size|padded_vocab_size)': {INT}"
)
TRAINING_TIME = re.compile(rf"^Training time: {DECIMAL}s")
VALUE_LINES: tuple[ValueLine, ...] = (
    (MEASURED, ("measured_tflops",), float, "log"),
    (TRAINING_TIME, ("training_time_s",), float, SUMMARY),
)


class LitgptParser(Parser):
    """Reads litgpt iteration lines, validation lines and start-up facts."""

    def parse_line(self, line: str, line_no: int) -> bool:
        sink = self.sink
        match = OLD.match(line)
        if match:
            self._iteration(
                line_no, match.group(1), match.group(3), match.group(4), bool(match.group(5))
            )
            return True
        match = NEW.match(line)
        if match:
            self._iteration(
                line_no, match.group(2), match.group(4), match.group(6), bool(match.group(7))
            )
            return True
        match = VAL.match(line)
        if match:
            sink.add_eval(
                line_no,
                int(match.group(1)),
                {"val_loss": parse_number(match.group(2))},
                time_ms=float(match.group(3)),
            )
            return True
        if read_value_line(sink, VALUE_LINES, line, line_no):
            return True
        match = PARAMS.match(line)
        if match:
            key = {
                "Total parameters": "n_params_total",
                "Number of trainable parameters": "n_trainable_params",
            }.get(match.group(1), "n_non_trainable_params")
            sink.set_config(key, parse_int(match.group(2)), "log", line_no)
            return True
        if line.lstrip().startswith("{") or line.startswith(("Loading model with", "Seed set to")):
            for key, value in DICT_KEY.findall(line):
                sink.set_config(key, int(value), "log (hyperparameters)", line_no)
            return True
        return False

    def _iteration(
        self, line_no: int, iteration: str, loss_text: str, time_text: str, optimizer: bool
    ) -> None:
        self.sink.add_step(
            line_no,
            step=int(iteration),
            loss=parse_number(loss_text),
            step_time_ms=parse_finite(time_text),
            flags=FLAG_OPTIMIZER_STEP if optimizer else 0,
        )


class Litgpt(LogFormat):
    """LitGPT / lit-gpt."""

    name = "litgpt"
    title = "LitGPT"
    eval_timing = "stated"

    parser_class = LitgptParser
    step_lines = (OLD, NEW)
    marker_lines = (VAL, MEASURED)
    default_variant = "pretrain"

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        micro = run.number("micro_batch_size")
        seq = run.number("max_seq_length") or run.number("block_size")
        if micro and seq:
            devices = run.number("devices") or 1
            return Figure(
                micro * seq * devices,
                "micro_batch_size x block size x devices (one micro-iteration)",
            )
        return Unavailable(
            "litgpt's iteration lines do not give the micro-batch size and sequence length; "
            "give --set micro_batch_size=B --set block_size=T (or --set tokens_per_step=N)"
        )

    def flops_per_step(self, run: RunView) -> Figure | None:
        measured = run.number("measured_tflops")
        if measured:
            return Figure(measured * 1e12, "log: Measured TFLOPs (a micro-iteration, all devices)")
        return None

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        tokens = self.tokens_per_step(run)
        measured = run.number("measured_tflops")
        if measured and isinstance(tokens, Figure):
            return FlopsPerToken(
                measured * 1e12 / tokens.value, "log: Measured TFLOPs ÷ tokens per micro-iteration"
            )
        n_params = run.number("n_params") or run.number("n_params_total")
        if n_params:
            return FlopsPerToken(
                6 * n_params, "6 x parameters (attention FLOPs left out)", n_params=int(n_params)
            )
        return Unavailable(
            "the model size is not in the log; give --set n_params=N or --set flops_per_token=X"
        )


FORMAT = Litgpt()
