"""Hugging Face ``transformers.Trainer`` console output (trainer.py ``self.log`` dicts, the
``***** Running training *****`` block, ``log_metrics`` blocks, tqdm bars; docs/log-formats.md).
Logging steps are not numbered; values may be quoted strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.formats.base import (
    Evidence,
    Figure,
    FlopsPerToken,
    LogFormat,
    Parser,
    RunView,
    config_product,
    format_table,
)
from mfu_advisor.logs.numbers import (
    DECIMAL,
    INT,
    parse_duration_s,
    parse_finite,
    parse_int,
    parse_number,
)

DICT = re.compile(r"^\{\s*'[\w/.-]+':.*\}\s*$")
PAIR = re.compile(r"'([\w/.-]+)':\s*('(?:[^'\\]|\\.)*'|\"[^\"]*\"|[^,}]+)")
TRAIN_OUTPUT = re.compile(
    rf"^TrainOutput\(global_step={INT}, training_loss=([^,]+), metrics=(\{{.*\}})\)"
)
METRICS_HEADER = re.compile(r"^\*{5} (\w+) metrics \*{5}$")
RUNNING = re.compile(r"^\*{5} Running (training|Evaluation|Prediction) \*{5}$")
ALIGNED = re.compile(r"^\s*([\w .(),&/-]+?)\s*=\s*(.+?)\s*$")
TQDM = re.compile(rf"^\s*{INT}%\|.*?\|\s*{INT}/{INT} \[([\d:]+)<([\d:?]+),\s*{DECIMAL}(s/it|it/s)")
PROGRESS = re.compile(r"^\s*\d+%\|.*\|\s*\d+/\d+ \[")
FLOS = re.compile(rf"^{DECIMAL}\s*([KMGTP]?)F$")

_FLOS_SCALE = {"": 1.0, "K": 2.0**10, "M": 2.0**20, "G": 2.0**30, "T": 2.0**40, "P": 2.0**50}


def parse_dict(text: str) -> dict[str, float | str]:
    """A logged dict's entries: numbers (quoted or not) as floats, anything else as text."""
    out: dict[str, float | str] = {}
    for key, raw in PAIR.findall(text):
        value = parse_number(raw)
        out[key] = value if value is not None else raw.strip().strip("'\"")
    return out


class HfTrainerParser(Parser):
    """Reads Trainer dict lines, summary blocks and tqdm progress."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.block: str | None = None  # "train metrics", "Running training", ... while in one
        self.last_epoch: float | None = None

    def parse_line(self, line: str, line_no: int) -> bool:
        stripped = line.strip()
        if stripped.startswith("{") and DICT.match(stripped):
            self.block = None
            self._dict(parse_dict(stripped), line_no)
            return True
        match = TQDM.match(line)
        if match:
            self._progress(match, line_no)
            return True
        if PROGRESS.match(line):
            return True  # a progress bar without a rate yet (0/40 [00:00<?, ?it/s])
        match = TRAIN_OUTPUT.match(stripped)
        if match:
            self.sink.set_summary("global_step", int(match.group(1)), line_no)
            self._dict(parse_dict(match.group(3)), line_no, summary_only=True)
            return True
        match = METRICS_HEADER.match(stripped) or RUNNING.match(stripped)
        if match:
            self.block = stripped.strip("* ")
            if self.block == "Running training" and self.last_epoch is not None:
                self.sink.mark_run_start()
                self.last_epoch = None
            return True
        if self.block is not None:
            match = ALIGNED.match(line)
            if match:
                self._block_line(match.group(1), match.group(2), line_no)
                return True
            self.block = None
        return False

    def _dict(
        self, values: dict[str, float | str], line_no: int, summary_only: bool = False
    ) -> None:
        sink = self.sink
        numbers = {k: v for k, v in values.items() if isinstance(v, float)}
        if "train_runtime" in values or summary_only:
            for key, value in values.items():
                if key == "train_runtime" and isinstance(value, str):
                    value = parse_duration_s(value) or value
                sink.set_summary(key, value, line_no)
            return
        if any(k.startswith("eval_") for k in values):
            runtime = numbers.get("eval_runtime")
            sink.add_eval(
                line_no,
                None,
                {k: v for k, v in numbers.items() if k != "eval_runtime"},
                time_ms=None if runtime is None else runtime * 1000.0,
            )
            return
        if "loss" in numbers:
            epoch = numbers.get("epoch")
            if epoch is not None:
                if self.last_epoch is not None and epoch < self.last_epoch:
                    sink.mark_run_start()  # the epoch went back: a new run in the same log
                self.last_epoch = epoch
            sink.add_step(line_no, loss=numbers["loss"])
            return
        for key, value in numbers.items():
            sink.set_summary(key, value, line_no)

    def _progress(self, match: re.Match[str], line_no: int) -> None:
        total = int(match.group(3))
        rate, unit = float(match.group(6)), match.group(7)
        seconds_per_it = rate if unit == "s/it" else (1.0 / rate if rate else None)
        best = self.sink.meta.get("progress_total", 0)
        if total >= best:  # the training bar is the longest one
            self.sink.meta["progress_total"] = total
            if seconds_per_it:
                self.sink.meta["progress_s_per_it"] = seconds_per_it

    def _block_line(self, label: str, raw: str, line_no: int) -> None:
        sink = self.sink
        if self.block and self.block.startswith("Running"):
            key = format_table("hf_trainer", "running_keys").get(label.strip())
            if key and self.block == "Running training":
                sink.set_config(key, parse_int(raw), "Running training block", line_no)
            return
        key = label.strip()
        if key.endswith("_runtime"):
            sink.set_summary(key, parse_duration_s(raw), line_no)
            return
        flos = FLOS.match(raw.strip())
        if key == "total_flos" and flos:
            sink.set_summary(key, float(flos.group(1)) * _FLOS_SCALE[flos.group(2)], line_no)
            return
        value = parse_finite(raw)
        sink.set_summary(key, value if value is not None else raw, line_no)


class HfTrainer(LogFormat):
    """Hugging Face Trainer."""

    name = "hf_trainer"
    title = "Hugging Face Trainer"
    eval_timing = "stated"

    def sniff(self, lines: Sequence[str]) -> Evidence:
        steps = markers = 0
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("{'") and DICT.match(stripped):
                if "'loss'" in stripped:
                    steps += 1
                elif "train_runtime" in stripped or "eval_" in stripped:
                    markers += 2
            elif stripped.startswith(("*****", "TrainOutput(")) or (
                stripped.startswith("train_") and "=" in stripped
            ):
                markers += 1
        return Evidence(steps, markers)

    parser_class = HfTrainerParser
    default_variant = "Trainer"

    def summary_step_time(self, run: RunView) -> Figure | None:
        steps_per_s = run.summary("train_steps_per_second")
        if isinstance(steps_per_s, float) and steps_per_s > 0:
            return Figure(
                1000.0 / steps_per_s, "1 / train_steps_per_second (whole run, evaluations included)"
            )
        runtime, steps = run.summary("train_runtime"), run.summary("global_step")
        if isinstance(runtime, float) and isinstance(steps, int) and steps > 0:
            return Figure(runtime * 1000.0 / steps, "train_runtime / global_step")
        per_it = run.meta("progress_s_per_it")
        if isinstance(per_it, float):
            return Figure(per_it * 1000.0, "tqdm progress bar rate")
        return None

    def summary_achieved_flops(self, run: RunView) -> Figure | None:
        flos, runtime = run.summary("total_flos"), run.summary("train_runtime")
        if isinstance(flos, float) and isinstance(runtime, float) and flos > 0 and runtime > 0:
            return Figure(
                flos / runtime,
                "total_flos / train_runtime (the Trainer's 6 x parameters x tokens, "
                "attention left out)",
            )
        return None

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        return config_product(
            run, ("total_train_batch_size", "seq_len"), "total train batch size x --set seq_len"
        ) or Unavailable(
            "the Trainer logs samples, not tokens; give --set seq_len=N (tokens per sample) or "
            "--set tokens_per_step=N"
        )

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        # --set n_params gives 6N (LogFormat.flops_per_token); the trainable parameters the
        # log prints are not the model's size for a LoRA run, so they are not used.
        return Unavailable(
            "the Trainer does not print the model size (a LoRA run's trainable parameters are not "
            "the model's); give --set flops_per_token=X or --set n_params=N"
        )

    def implied_devices(self, run: RunView) -> Figure | None:
        total = run.number("total_train_batch_size")
        per_device = run.number("per_device_train_batch_size")
        accum = run.number("gradient_accumulation_steps") or 1
        if total and per_device and total >= per_device * accum:
            return Figure(
                total // (per_device * accum),
                "total train batch / (per-device batch x accumulation)",
            )
        return None


FORMAT = HfTrainer()
