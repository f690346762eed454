"""llm.c: ``train_gpt2cu`` and the CPU ``train_gpt2`` (https://github.com/karpathy/llm.c;
the lines are in docs/log-formats.md). The step time covers the training section only; tok/s
counts all processes; MFU is per GPU against ``llmc/mfu.h``'s table, ``-100.0%`` for a GPU not
in it. FLOPs per token: ``6 N + 6 L C T`` with N counting every parameter (gpt2_estimate_mfu).
"""

from __future__ import annotations

import re

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.collect import StepCollector
from mfu_advisor.logs.formats.base import (
    SUMMARY,
    ConfigEntryOrMissing,
    Figure,
    FlopsPerToken,
    LogFormat,
    Parser,
    Reference,
    RunView,
    ValueLine,
    format_table,
    read_value_line,
)
from mfu_advisor.logs.numbers import (
    DECIMAL,
    INT,
    SIGNED_DECIMAL,
    parse_finite,
    parse_number,
    parse_value,
)
from mfu_advisor.mfu import GptShape, flops_per_token

STEP_CUDA = re.compile(rf"^step\s+{INT}/{INT}\s*[|:]")
STEP_CPU = re.compile(rf"^step {INT}: train loss (\S+) \(took {DECIMAL} ms\)")
LOSS = re.compile(r"loss (\S+?)(?:\s|$|\()")
TIME_MS = re.compile(rf"{DECIMAL} ms\b")
MFU = re.compile(rf"{SIGNED_DECIMAL}%[^|]*MFU")
TOKENS = re.compile(rf"{DECIMAL} tok/s")
VAL = re.compile(r"^val loss (\S+)")
HELLASWAG = re.compile(rf"^HellaSwag: {INT}/{INT} = {DECIMAL}")
#: Other lines (a warning, a progress bar) a key/value block may hold before it is over.
BLOCK_MISSES = 3
TABLE_ROW = re.compile(r"^\|\s*(.+?)\s*\|\s*(.*?)\s*\|\s*$")
KEY_VALUE = re.compile(r"^(\w[\w ]*?):\s+(\S+)\s*$")
NUM_PARAMS = re.compile(rf"^num_parameters: {INT} => bytes: {INT}")
BATCH = re.compile(
    rf"^batch_size B={INT} \* seq_len T={INT} \* num_processes={INT} "
    rf"and total_batch_size={INT}"
)
GRAD_ACCUM = re.compile(rf"^=> setting grad_accum_steps={INT}")
TOTAL_AVERAGE = re.compile(rf"^total average iteration time: {DECIMAL} ms")
VALUE_LINES: tuple[ValueLine, ...] = (
    (NUM_PARAMS, ("num_parameters",), int, "log"),
    (BATCH, ("batch_size", "seq_len", "num_processes", "total_batch_size"), int, "log"),
    (GRAD_ACCUM, ("grad_accum_steps",), int, "log"),
    (TOTAL_AVERAGE, ("total_average_iteration_time_ms",), float, SUMMARY),
)
CHATTER = re.compile(
    r"^(allocat|device memory usage|memory per sequence|\s*-> estimated|created directory|"
    r"HellaSwag eval not found|You can run|Writing checkpoint|Deleting checkpoint|"
    r"skipping update|Multi-GPU support is disabled|num_activations|"
    r"(train|val) dataset num_batches|writing|\[State\])"
)

#: precision row -> peak dtype. llm.c enables TF32 for FP32 by default (-f 1), and
#: its mfu.h uses the TF_32 peak for FP32 mode.
PRECISIONS = {"BF16": "bf16", "FP16": "fp16", "FP32": "tf32"}


def _slug(label: str) -> str:
    return re.sub(r"[^0-9a-zA-Z]+", "_", label).strip("_").lower()


class LlmcParser(Parser):
    """Reads llm.c output line by line (its step lines are few: one per optimizer step)."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.block: str | None = None  # "[GPT-2]" or "[State]" while inside such a block
        self.block_misses = 0  # other lines since the block's last key (warnings interleave)
        self.generating = 0  # 1 after "generating:", 2 inside the sample text
        self.command: list[str] = []
        self.command_open = False

    def parse_line(self, line: str, line_no: int) -> bool:
        sink = self.sink
        stripped = line.strip()
        if self.generating:
            if stripped == "---":
                self.generating = 2 if self.generating == 1 else 0
            return True
        if self.command_open:
            self.command.append(stripped.lstrip(">").strip().rstrip("\\").strip())
            self.command_open = stripped.endswith("\\")
            if not self.command_open:
                sink.set_config(
                    "command", " ".join(p for p in self.command if p), "command line", line_no
                )
            return True
        if line.startswith("step"):
            return self._step(line, line_no)
        if stripped.startswith("|") and stripped.endswith("|"):
            return self._table_row(stripped, line_no)
        if stripped.startswith("+--"):
            return True
        match = VAL.match(stripped)
        if match:
            sink.add_eval(line_no, None, {"val_loss": parse_number(match.group(1))})
            return True
        match = HELLASWAG.match(stripped)
        if match:
            sink.add_eval(line_no, None, {"hellaswag_acc": float(match.group(3))})
            return True
        if stripped in ("[GPT-2]", "[State]"):
            self.block = stripped
            self.block_misses = 0
            if stripped == "[GPT-2]":
                sink.meta.setdefault("variant", "train_gpt2 (CPU)")
            return True
        if stripped == "generating:":
            self.generating = 1
            return True
        if "train_gpt2" in line and ("./" in line or line.rstrip().endswith("\\")):
            start = line.index("train_gpt2")
            self.command = [line[line.rfind(" ", 0, start) + 1 :].rstrip("\\").strip()]
            self.command_open = line.rstrip().endswith("\\")
            if not self.command_open:
                sink.set_config("command", self.command[0], "command line", line_no)
            return True
        return self._other(stripped, line_no)

    def _step(self, line: str, line_no: int) -> bool:
        sink = self.sink
        match = STEP_CPU.match(line)
        if match:
            sink.meta.setdefault("variant", "train_gpt2 (CPU)")
            sink.add_step(
                line_no,
                step=int(match.group(1)),
                loss=parse_number(match.group(2)),
                step_time_ms=parse_finite(match.group(3)),
            )
            return True
        match = STEP_CUDA.match(line)
        if match is None:
            return False
        sink.meta["variant"] = "train_gpt2cu"
        loss_match, time_match = LOSS.search(line), TIME_MS.search(line)
        mfu_match, tokens_match = MFU.search(line), TOKENS.search(line)
        mfu = None
        if mfu_match:
            printed = float(mfu_match.group(1))
            if printed < 0:
                sink.count_meta("mfu_unknown_gpu_lines")  # get_flops_promised returned -1
            else:
                mfu = printed / 100.0
        sink.add_step(
            line_no,
            step=int(match.group(1)),
            loss=parse_number(loss_match.group(1)) if loss_match else None,
            step_time_ms=parse_finite(time_match.group(1)) if time_match else None,
            tokens_per_s=parse_finite(tokens_match.group(1)) if tokens_match else None,
            reported_mfu=mfu,
        )
        return True

    def _table_row(self, row: str, line_no: int) -> bool:
        match = TABLE_ROW.match(row)
        if match is None:
            return False
        label, raw = match.group(1), match.group(2)
        if label == "Parameter":
            return True
        key = format_table("llmc", "table_keys").get(label, _slug(label))
        value = parse_value(raw)
        sink = self.sink
        sink.meta.setdefault("variant", "train_gpt2cu")
        sink.set_config(key, value, "llm.c table", line_no)
        if key == "device_name":
            sink.hint("gpu_name", raw, line_no, row)
            sink.hint("device", "cuda", line_no, row)
        elif key == "peak_tflops" and isinstance(value, (int, float)) and value > 0:
            sink.hint("peak_flops", float(value) * 1e12, line_no, row)
        elif key == "precision":
            sink.hint("precision", PRECISIONS.get(raw.upper(), raw.lower()), line_no, row)
        elif key == "num_processes":
            sink.hint("devices", value, line_no, row)
        return True

    def _other(self, stripped: str, line_no: int) -> bool:
        sink = self.sink
        if read_value_line(sink, VALUE_LINES, stripped, line_no):
            return True
        if self.block is not None:
            match = KEY_VALUE.match(stripped)
            if match:
                key = _slug(match.group(1))
                sink.set_config(
                    key, parse_value(match.group(2)), f"llm.c {self.block} block", line_no
                )
                if self.block == "[GPT-2]":
                    sink.hint("device", "cpu", line_no, stripped)
                self.block_misses = 0
                return True
            self.block_misses += 1
            if self.block_misses > BLOCK_MISSES:
                self.block = None
        if stripped.startswith("Multi-GPU support is disabled"):
            sink.hint("devices", 1, line_no, stripped)
            return True
        return bool(CHATTER.match(stripped))


class Llmc(LogFormat):
    """llm.c's GPT-2 trainers, CUDA and CPU."""

    mfu_scope = "per_rank"
    scope_note = (
        "llm.c's tok/s is the whole job (num_processes x B x T x grad_accum_steps / step time) "
        "and its MFU is per GPU (gpt2_estimate_mfu on one process's B x T x grad_accum_steps) "
        "(https://github.com/karpathy/llm.c/blob/master/train_gpt2.cu)"
    )

    name = "llmc"
    title = "llm.c"
    eval_timing = "untimed"
    eval_untimed_reason = (
        "llm.c times only the training step (CUDA events around forward, backward and update); "
        "validation runs outside that timer"
    )

    parser_class = LlmcParser
    default_variant = "train_gpt2cu"

    def is_step_line(self, line: str) -> bool:
        return line.startswith("step") and bool(
            STEP_CPU.match(line) or (STEP_CUDA.match(line) and ("tok/s" in line or " ms" in line))
        )

    def is_marker_line(self, line: str) -> bool:
        if line.startswith(("[GPT-2]", "val loss", "num_parameters:", "=> setting grad_accum")):
            return True
        row = TABLE_ROW.match(line.strip()) if line.startswith("| ") else None
        return bool(
            row
            and (row.group(1) in format_table("llmc", "table_keys") or row.group(1) == "Parameter")
        )

    def _cpu(self, run: RunView) -> bool:
        return run.meta("variant") == "train_gpt2 (CPU)"

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        total = run.number("total_batch_size")
        if total:
            return Figure(total, "log: total batch size (all processes, all micro-steps)")
        batch, seq = run.number("batch_size"), run.number("seq_len")
        if batch and seq:
            processes = run.number("num_processes") or 1
            accum = run.number("grad_accum_steps") or 1
            return Figure(batch * seq * processes * accum, "B x T x processes x grad_accum_steps")
        if self._cpu(run):
            return Unavailable(
                "llm.c's CPU train_gpt2 does not print B and T (upstream main() uses B=4, T=64); "
                "give --set batch_size=B --set seq_len=T or --set tokens_per_step=N"
            )
        return Unavailable(
            "the llm.c table with 'total batch size' is not in the log; "
            "give --set tokens_per_step=N"
        )

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        layers, heads, channels = (
            run.number("num_layers"),
            run.number("num_heads"),
            run.number("channels"),
        )
        n_total, max_t = run.number("num_parameters"), run.number("max_seq_len")
        if not (layers and heads and channels and n_total and max_t):
            return Unavailable(
                "the model shape (num_layers, num_heads, channels, num_parameters) is not in "
                "the log"
            )
        seq = run.number("seq_len")
        assumed = ""
        if not seq:
            seq, assumed = (
                max_t,
                f"; T assumed equal to max_seq_len {int(max_t)} (the log does not give T)",
            )
        # nanoGPT's N leaves out the position embeddings (max_seq_len x channels): no matmul.
        n_params = int(n_total - max_t * channels)
        vocab = run.number("padded_vocab_size") or run.number("vocab_size") or 0
        shape = GptShape(int(layers), int(heads), int(channels), int(seq), int(vocab), bias=True)
        value = flops_per_token(shape, n_params=n_params)
        trainer = 6 * n_total + 6 * layers * channels * seq
        return FlopsPerToken(
            value,
            f"nanoGPT's 6N + 12·L·H·Q·T with N = num_parameters {int(n_total):,} less position "
            f"embeddings = {n_params:,}, L={int(layers)}, H={int(heads)}, C={int(channels)}, "
            f"T={int(seq)}{assumed}",
            n_params=n_params,
            trainer_value=trainer,
            trainer_formula="llm.c's 6·N + 6·L·C·T with N counting every parameter",
        )

    def gpt_config(self, run: RunView) -> dict[str, ConfigEntryOrMissing]:
        out: dict[str, ConfigEntryOrMissing] = {}
        for key, source_key in format_table("llmc", "gpt_config_keys").items():
            value = run.config(source_key)
            out[key] = (
                (value, f"llm.c {source_key}")
                if value is not None
                else Unavailable("not in the log")
            )
        out["bias"] = (True, "GPT-2 (llm.c models have biases)")
        dtype, source = self.default_dtype(run)
        out["dtype"] = ({"bf16": "bfloat16", "fp16": "float16"}.get(dtype or "", "float32"), source)
        out["device"] = (self.device(run), "llm.c variant")
        return out

    def reference(self, run: RunView) -> Reference:
        if self._cpu(run):
            return Reference(None, None, "none", "llm.c's CPU trainer prints no MFU")
        device = run.config("device_name")
        peak = run.number("peak_tflops")
        precision = str(run.config("precision", "BF16"))
        note = (
            "llm.c prints each step's MFU per GPU against the peak its llmc/mfu.h table gives "
            "the GPU by exact name; '-100.0%' means the GPU is not in that table"
        )
        if peak is not None and peak > 0:
            label = f"{device} {precision.lower()} {peak:.1f} TFLOP/s (llm.c's mfu.h table)"
            return Reference(label, peak * 1e12, "table", note, keyed_to=str(device))
        if peak is not None or run.meta("mfu_unknown_gpu_lines"):
            name = f"'{device}'" if device else "this GPU"
            return Reference(
                None,
                None,
                "unknown",
                f"llm.c does not know {name} (peak TFlops -1.0), so it printed -100.0% for every "
                "step: its MFU is unknown, not negative",
                keyed_to=str(device) if device else None,
            )
        return Reference(None, None, "table", note + "; the table is not in this excerpt")

    def device(self, run: RunView) -> str | None:
        return "cpu" if self._cpu(run) else "cuda"

    def default_dtype(self, run: RunView) -> tuple[str | None, str]:
        if self._cpu(run):
            return "fp32", "llm.c's CPU trainer computes in fp32"
        precision = run.config("precision")
        if isinstance(precision, str) and precision.upper() in PRECISIONS:
            return PRECISIONS[precision.upper()], f"precision {precision} in the llm.c table"
        return "bf16", "llm.c's default precision (BF16)"

    def devices(self, run: RunView) -> Figure | None:
        processes = run.number("num_processes")
        if processes:
            return Figure(processes, "llm.c table: num_processes")
        return super().devices(run)


FORMAT = Llmc()
