"""Reading nanoGPT output (nanogpt.py): ``iter`` lines found and read in bulk with numpy
(fastscan.py), only rows kept in detail parsed in full; other lines first, line by line, so an
evaluation line can flag the iteration it slows down.
"""

from __future__ import annotations

import math
import re

import numpy as np

from mfu_advisor.logs import fastscan
from mfu_advisor.logs.chunk import Chunk
from mfu_advisor.logs.collect import (
    FLAG_AFTER_EVAL,
    FLAG_AFTER_PAUSE,
    FLAG_LOSS_NAN,
    FLAG_WARMUP,
    StepCollector,
)
from mfu_advisor.logs.formats.base import Parser, ValueLine, read_value_line
from mfu_advisor.logs.numbers import (
    DECIMAL,
    INT,
    SIGNED_DECIMAL,
    parse_finite,
    parse_int,
    parse_number,
    parse_value,
)

ITER = re.compile(rf"^iter {INT}: loss ([^,\s]+), time {DECIMAL}ms(?:, mfu {SIGNED_DECIMAL}%)?")
EVAL = re.compile(rf"^step {INT}: train loss ([^,\s]+), val loss ([^,\s]+)")
BENCH_STEP = re.compile(rf"^{INT}/{INT} loss: (\S+)\s*$")
BENCH_TIME = re.compile(rf"^time per iteration: {DECIMAL}ms(?:, MFU: {SIGNED_DECIMAL}%)?")
OVERRIDE = re.compile(r"^Overriding: (\w+) = (.*)$")
CONFIG_FILE = re.compile(r"^Overriding config with (.+):\s*$")
ASSIGN = re.compile(r"^(\w+)\s*=\s*(.*?)\s*(?:#.*)?$")
TOKENS = re.compile(r"^tokens per iteration will be: ([\d,]+)")
VOCAB_FOUND = re.compile(rf"^found vocab_size = {INT}")
VOCAB_DEFAULT = re.compile(rf"^defaulting to vocab_size of GPT-2 to {INT}")
VOCAB_OLD = re.compile(rf"^vocab_size not found in .*, using GPT-2 default of {INT}")
N_PARAMS = re.compile(rf"^number of parameters: {DECIMAL}M")
DECAYED = re.compile(rf"^num decayed parameter tensors: {INT}, with ([\d,]+) parameters")
NON_DECAYED = re.compile(rf"^num non-decayed parameter tensors: {INT}, with ([\d,]+) parameters")
FUSED = re.compile(r"^using fused AdamW: (True|False)")
RESUME = re.compile(r"^Resuming training from (.*)")
INIT_GPT2 = re.compile(r"^Initializing from OpenAI GPT-2 weights: (\S+)")
LOADING = re.compile(r"^loading weights from pretrained gpt: (\S+)")
FORCING = re.compile(rf"^forcing vocab_size={INT}, block_size={INT}, bias=(True|False)")
DROPOUT = re.compile(rf"^overriding dropout rate to {DECIMAL}")
SAVING = re.compile(r"^saving checkpoint to ")
#: Header lines that only give config values (logs/formats/base.py read_value_line).
CONFIG_LINES: tuple[ValueLine, ...] = (
    (TOKENS, ("tokens_per_iter",), parse_int, "log"),
    (VOCAB_FOUND, ("vocab_size",), int, "log (meta.pkl)"),
    (VOCAB_DEFAULT, ("vocab_size",), int, "log (GPT-2 default)"),
    (VOCAB_OLD, ("vocab_size",), int, "log (GPT-2 default)"),
    (N_PARAMS, ("n_params_printed_m",), float, "log"),
    (FUSED, ("fused_adamw",), lambda text: text == "True", "log"),
    (DROPOUT, ("dropout",), float, "log"),
    (DECAYED, (None, "params_decayed"), parse_int, "log"),
    (NON_DECAYED, (None, "params_non_decayed"), parse_int, "log"),
    (FORCING, ("vocab_size", "model_block_size", "bias"), parse_value, "log (GPT-2 checkpoint)"),
    (LOADING, (), str, "log"),
)
MARKERS = (
    "Initializing a new model from scratch",
    "compiling the model... (takes a ~minute)",
    "Compiling model...",
)

#: Chunks at least this big are read in bulk (numpy); smaller ones line by line.
BULK_BYTES = 32 * 1024
#: Longest loss text looked through for the comma after it ("-1234567.1234", "nan", ...).
LOSS_WIDTH = 24

#: nanoGPT's sentinel for "MFU not measured yet" (train.py: running_mfu = -1.0, printed x100).
MFU_PLACEHOLDER = -100.0

#: dtype config value -> peak dtype. train.py enables TF32 matmuls on CUDA
#: (torch.backends.cuda.matmul.allow_tf32 = True), so float32 runs at the tf32 peak.
DTYPES = {"bfloat16": "bf16", "float16": "fp16", "float32": "tf32"}


class NanoGptParser(Parser):
    """Reads nanoGPT output; step lines in bulk (numpy), everything else line by line."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.in_config_file = False
        self.config_file = ""
        self.pending_evals: list[tuple[int, int]] = []  # (step, line) awaiting their iteration
        self.pause_pending = False
        self.steps_seen = False
        self.header_marked = False
        self.bench_offset = 0
        self.bench_last: tuple[int, int] | None = None

    # -- bulk path --------------------------------------------------------------------------

    def feed(self, chunk: Chunk) -> None:
        data = chunk.data
        if len(data) < BULK_BYTES or chunk.ranks is not None:
            # A short paste: the line-by-line path is as fast. Rank-prefixed lines: the bulk
            # path's row numbering (detail_rows) assumes every step row stays in this collector.
            super().feed(chunk)
            return
        buf = fastscan.as_array(data)
        starts, ends = fastscan.line_bounds(buf, len(data))
        iter_rows = np.flatnonzero(fastscan.has_prefix(buf, starts, b"iter "))
        steps, digits = fastscan.uint_at(buf, starts[iter_rows] + 5)
        colon = buf[starts[iter_rows] + 5 + digits] == ord(":")
        ok = (digits > 0) & (digits < fastscan.INT_WIDTH) & colon
        fast_rows, steps = iter_rows[ok], steps[ok]
        slow = np.ones(len(starts), dtype=bool)
        slow[fast_rows] = False
        first = chunk.first_line
        # Lines that are not plain step lines go through the line-by-line rules first,
        # so that an evaluation line can mark the iteration it slows down.
        for index in np.flatnonzero(slow).tolist():
            text = data[starts[index] : ends[index]].decode("utf-8", errors="replace")
            if text.strip() and not self.parse_line(text, first + index):
                self.sink.not_understood(first + index, text)
        lines = first + fast_rows
        flags = np.zeros(len(fast_rows), dtype=np.int64)
        self._mark_after_eval(lines, steps, flags)
        times = step_times(buf, starts[fast_rows] + 5 + digits[ok])
        # A line whose time the bulk reader could not read goes through the regex.
        detail = self.sink.detail_rows(steps.astype(np.float64), times)
        detail |= (flags != 0) | np.isnan(times)
        columns = {
            "line": lines.astype(np.int64),
            "step": steps.astype(np.float64),
            "loss": np.full(len(fast_rows), np.nan),
            "step_time_ms": times,
            "reported_mfu": np.full(len(fast_rows), np.nan),
            "tokens_per_s": np.full(len(fast_rows), np.nan),
            "flops_per_s": np.full(len(fast_rows), np.nan),
            "flags": flags,
        }
        rows = np.flatnonzero(detail)
        self._detail(
            data, starts[fast_rows[rows]].tolist(), ends[fast_rows[rows]].tolist(), rows, columns
        )
        if len(fast_rows):
            self._steps_started()
            self.sink.add_batch(columns)
        self.sink.end_chunk()

    def _detail(
        self,
        data: bytes,
        begins: list[int],
        ends: list[int],
        rows: np.ndarray,
        columns: dict[str, np.ndarray],
    ) -> None:
        """Parse the loss, time and MFU of the rows kept in detail, as :meth:`_iter_line` does."""
        flags = columns["flags"]
        values = []
        for row, begin, end in zip(rows.tolist(), begins, ends, strict=True):
            found = ITER.match(data[begin:end].decode("utf-8", errors="replace"))
            loss, time_ms, mfu = _iter_values(found, self.sink) if found else (None, None, None)
            if loss is not None and not math.isfinite(loss):
                flags[row] |= FLAG_LOSS_NAN
                loss = None
            if mfu is not None:
                self.sink.meta["mfu_printed"] = True
            values.append((loss, time_ms, mfu))
        table = np.array(values, dtype=np.float64).reshape(-1, 3).T  # None -> NaN
        columns["loss"][rows], columns["step_time_ms"][rows], columns["reported_mfu"][rows] = table

    def _mark_after_eval(
        self,
        lines: np.ndarray | list[int],
        steps: np.ndarray | list[int],
        flags: np.ndarray | list[int],
    ) -> None:
        """Flag the iteration printed after each evaluation line with the same step, and the
        first one after a checkpoint save (``lines`` in order: a chunk's, or one line's)."""
        still_pending = []
        for eval_step, eval_line in self.pending_evals:
            at = int(np.searchsorted(lines, eval_line))
            if at >= len(lines):
                still_pending.append((eval_step, eval_line))
            elif steps[at] == eval_step:
                flags[at] |= FLAG_AFTER_EVAL
        self.pending_evals = still_pending
        if self.pause_pending and len(lines):
            flags[0] |= FLAG_AFTER_PAUSE
            self.pause_pending = False

    # -- line by line -----------------------------------------------------------------------

    def parse_line(self, line: str, line_no: int) -> bool:
        sink = self.sink
        if line.startswith("iter "):
            match = ITER.match(line)
            if match is None:
                return False
            self._iter_line(match, line_no)
            return True
        if self.in_config_file:
            if self._config_file_line(line, line_no):
                return True
            self.in_config_file = False
        if line.startswith("step "):
            match = EVAL.match(line)
            if match is None:
                return False
            step = int(match.group(1))
            values = {"train_loss": match.group(2), "val_loss": match.group(3)}
            sink.add_eval(line_no, step, {k: parse_number(v) for k, v in values.items()})
            self.pending_evals.append((step, line_no))
            return True
        match = BENCH_STEP.match(line)
        if match:
            self._bench_step(match, line_no)
            return True
        return self._header_line(line, line_no)

    def _iter_line(self, match: re.Match[str], line_no: int) -> None:
        step = int(match.group(1))
        loss, time_ms, mfu = _iter_values(match, self.sink)
        flags = [0]
        self._mark_after_eval([line_no], [step], flags)
        self._steps_started()
        self.sink.add_step(
            line_no, step=step, loss=loss, step_time_ms=time_ms, reported_mfu=mfu, flags=flags[0]
        )

    def _bench_step(self, match: re.Match[str], line_no: int) -> None:
        k, total = int(match.group(1)), int(match.group(2))
        if self.bench_last is not None and k == 0:
            # A new burn-in after the timed steps: bench.py was run again (a second run).
            new_run = total == 10 and self.bench_last[1] != 10
            self.bench_offset = 0 if new_run else self.bench_offset + self.bench_last[1]
        self.bench_last = (k, total)
        sink = self.sink
        sink.meta["variant"] = "bench.py"
        # bench.py runs 10 burn-in steps, then 20 timed ones (bench.py, "simple benchmarking").
        burn_in = total == 10 and self.bench_offset == 0
        self._steps_started()
        sink.add_step(
            line_no,
            step=self.bench_offset + k,
            loss=parse_number(match.group(3)),
            flags=FLAG_WARMUP if burn_in else 0,
        )

    def _steps_started(self) -> None:
        self.steps_seen = True
        self.header_marked = False

    def _run_header(self) -> None:
        """A line printed only at the start of a run: a second run begins if steps came before."""
        if self.steps_seen and not self.header_marked:
            self.sink.mark_run_start()
            self.header_marked = True
        self.sink.meta["run_start_seen"] = True

    def _config_file_line(self, line: str, line_no: int) -> bool:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return True
        match = ASSIGN.match(stripped)
        if match is None or line.startswith(("Overriding", "tokens per")):
            return False
        self._set_config(match.group(1), match.group(2), f"config file {self.config_file}", line_no)
        return True

    def _set_config(self, key: str, raw: str, source: str, line_no: int) -> None:
        value = parse_value(raw)
        self.sink.set_config(key, value, source, line_no)
        if key == "device" and isinstance(value, str):
            self.sink.hint("device", device_kind(value), line_no, f"{key} = {raw}")
        if key == "dtype" and isinstance(value, str):
            self.sink.hint("precision", DTYPES.get(value, value), line_no, f"{key} = {raw}")

    def _header_line(self, line: str, line_no: int) -> bool:
        sink = self.sink
        match = OVERRIDE.match(line)
        if match:
            self._run_header()
            self._set_config(match.group(1), match.group(2), "Overriding line", line_no)
            return True
        match = CONFIG_FILE.match(line)
        if match:
            self._run_header()
            self.in_config_file = True
            self.config_file = match.group(1)
            return True
        match = read_value_line(sink, CONFIG_LINES, line, line_no)
        if match:
            if match.re is TOKENS:
                self._run_header()
            return True
        match = BENCH_TIME.match(line)
        if match:
            sink.meta["variant"] = "bench.py"
            sink.set_summary("time_per_iteration_ms", float(match.group(1)), line_no)
            if match.group(2) is not None:
                sink.set_summary("bench_mfu_percent", float(match.group(2)), line_no)
            return True
        match = RESUME.match(line) or INIT_GPT2.match(line)
        if match:
            self._run_header()
            init = "resume" if line.startswith("Resuming") else match.group(1)
            sink.set_config("init_from", init, "log", line_no)
            return True
        if SAVING.match(line):
            self.pause_pending = True  # the next iteration's time includes the save
            return True
        if line in MARKERS or line.strip() in MARKERS:
            if "ompil" in line:
                sink.set_config("compile", True, "log", line_no)
            else:
                self._run_header()
            return True
        return False


def step_times(buf: np.ndarray, after_step: np.ndarray) -> np.ndarray:
    """The ``time N.NNms`` of ``iter`` lines, read in bulk; NaN where laid out otherwise."""
    loss_at = after_step + len(b": loss ")
    comma = fastscan.find_byte(buf, loss_at, ord(","), LOSS_WIDTH)
    time_at = loss_at + np.maximum(comma, 0) + len(b", time ")
    values, length = fastscan.decimal_at(buf, time_at)
    ok = fastscan.has_prefix(buf, after_step, b": loss ") & (comma > 0) & (length > 0)
    ok &= fastscan.has_prefix(buf, time_at - len(b", time "), b", time ")
    ok &= fastscan.has_prefix(buf, time_at + length, b"ms")
    return np.where(ok, values, np.nan)


def _iter_values(
    match: re.Match[str], sink: StepCollector
) -> tuple[float | None, float | None, float | None]:
    """(loss as printed, time in ms, reported MFU as a fraction) of an ``iter`` line."""
    mfu = None
    if match.group(4) is not None:
        printed = float(match.group(4))
        if printed == MFU_PLACEHOLDER:
            sink.count_meta("mfu_placeholder_lines")
        else:
            mfu = printed / 100.0
    return parse_number(match.group(2)), parse_finite(match.group(3)), mfu


def device_kind(device: str) -> str:
    """ "cuda:1" -> "cuda", "cpu" -> "cpu", "mps" -> "mps"."""
    return device.split(":")[0].strip().lower()
