"""nanochat ``scripts/base_train.py`` (https://github.com/karpathy/nanochat; docs/log-formats.md).

``dt`` times one optimizer step; ``tok/sec`` is the job's; ``mfu`` (later ``bf16_mfu``) is a
percentage without the sign over peak x world size: a fixed H100 989 TFLOP/s in early versions,
the printed ``Peak FLOPS (BF16)`` in later ones.
"""

from __future__ import annotations

import math
import re

import numpy as np

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.formats.base import (
    Figure,
    FlopsPerToken,
    LogFormat,
    Parser,
    Reference,
    RunView,
)
from mfu_advisor.logs.numbers import INT, parse_finite, parse_int, parse_number, parse_value

STEP = re.compile(rf"^step {INT}(?:/{INT})? \(\d+(?:\.\d+)?%\) \| ")
FIELD = re.compile(r"([\w/ ]+?):\s*([^|]+?)\s*(?:\||$)")
EVAL = re.compile(rf"^Step {INT} \| (.+?): (\S+)\s*$")
FLOPS_PER_TOKEN = re.compile(r"^Estimated FLOPs per token: (\S+)")
BATCH = re.compile(rf"^Total batch size ([\d,]+) => gradient accumulation steps: {INT}")
GPU = re.compile(r"^GPU: (.+?) \| Peak FLOPS \(BF16\): (\S+)")
SETTING = re.compile(
    r"^(Vocab size|num_layers|model_dim|num_heads|num_kv_heads|Number of parameters|"
    r"Calculated number of iterations.*?|Using user-provided number of iterations|"
    r"Total number of training tokens|Tokens : Params ratio|Tokens : Scaling params ratio|"
    r"Total training FLOPs estimate|Tokens / micro-batch / rank|Tokens / micro-batch|"
    r"Peak memory usage|Total training time|Minimum validation bpb|COMPUTE_DTYPE|"
    r"Auto-computed optimal batch size)\s*:\s*(.+)$"
)

#: H100 SXM dense BF16 peak. nanochat's early base_train.py hard-codes
#: ``promised_flops_per_sec_h100 = 989e12`` (NVIDIA H100 datasheet,
#: https://www.nvidia.com/en-us/data-center/h100/, 1,979 TFLOP/s with sparsity).
H100_BF16_PEAK_FLOPS = 989e12


class NanochatParser(Parser):
    """Reads nanochat base_train output line by line."""

    def parse_line(self, line: str, line_no: int) -> bool:
        sink = self.sink
        if line.startswith("step "):
            match = STEP.match(line)
            if match is None:
                return False
            fields = {k.strip(): v for k, v in FIELD.findall(line[match.end() :])}
            mfu_text = fields.get("bf16_mfu", fields.get("mfu"))
            mfu = parse_finite(mfu_text) if mfu_text is not None else None
            sink.add_step(
                line_no,
                step=int(match.group(1)),
                loss=parse_number(fields.get("loss", "")),
                step_time_ms=parse_finite(fields.get("dt", "").removesuffix("ms")),
                tokens_per_s=parse_finite(fields.get("tok/sec", "")),
                reported_mfu=None if mfu is None else mfu / 100.0,
            )
            return True
        match = EVAL.match(line)
        if match:
            key = re.sub(r"\W+", "_", match.group(2).strip().lower())
            sink.add_eval(line_no, int(match.group(1)), {key: parse_number(match.group(3))})
            return True
        return self._header(line, line_no)

    def _header(self, line: str, line_no: int) -> bool:
        sink = self.sink
        match = FLOPS_PER_TOKEN.match(line)
        if match:
            value = parse_finite(match.group(1))
            if value:
                sink.set_config("flops_per_token_stated", value, "log", line_no)
            return True
        match = BATCH.match(line)
        if match:
            sink.set_config("total_batch_size", parse_int(match.group(1)), "log", line_no)
            sink.set_config("grad_accum_steps", int(match.group(2)), "log", line_no)
            return True
        match = GPU.match(line)
        if match:
            sink.hint("gpu_name", match.group(1), line_no, line)
            sink.hint("device", "cuda", line_no, line)
            peak = parse_finite(match.group(2))
            if peak:
                sink.set_config("peak_flops", peak, "log", line_no)
                sink.hint("peak_flops", peak, line_no, line)
            return True
        match = SETTING.match(line.strip())
        if match:
            key = re.sub(r"\W+", "_", match.group(1).strip().lower()).strip("_")
            sink.set_config(key, parse_value(match.group(2).split(" (")[0]), "log", line_no)
            if key == "compute_dtype":
                sink.hint("precision", match.group(2), line_no, line)
            return True
        return False


class Nanochat(LogFormat):
    """nanochat base_train."""

    mfu_scope = "job"
    scope_note = (
        "nanochat's tok/sec is the whole job (total_batch_size / dt) and its MFU divides the "
        "job's FLOP/s by the peak x world size, so it is the job's (the mean per GPU) "
        "(https://github.com/karpathy/nanochat/blob/master/scripts/base_train.py)"
    )

    name = "nanochat"
    title = "nanochat"
    eval_timing = "untimed"
    eval_untimed_reason = "nanochat's dt times only the training step; evaluations are not timed"

    parser_class = NanochatParser
    step_lines = (STEP,)
    step_needs = ("tok/sec",)
    marker_lines = (EVAL, FLOPS_PER_TOKEN, GPU)
    default_variant = "base_train"
    default_device = "cuda"

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        total = run.number("total_batch_size")
        if total:
            return Figure(total, "log: 'Total batch size'")
        sample = run.sink.sample.columns()
        products = sample["tokens_per_s"] * sample["step_time_ms"] / 1000.0
        products = products[np.isfinite(products)]
        if len(products):
            derived = float(np.median(products))
            # tok/sec is truncated to an integer and dt printed to 0.01 ms, so the product is a
            # few tokens short; nanochat's batch sizes are powers of two (base_train.py rounds
            # the auto-computed one to a power of 2), so snap to one when within 0.05%.
            power = 2.0 ** round(math.log2(derived)) if derived > 0 else derived
            value = power if abs(derived - power) <= 5e-4 * power else float(round(derived))
            return Figure(
                value, "derived: tok/sec x dt (nanochat's tok/sec is total_batch_size / dt)"
            )
        return Unavailable("the log has no 'Total batch size' line; give --set tokens_per_step=N")

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        stated = run.number("flops_per_token_stated")
        if stated:
            return FlopsPerToken(
                stated, "log: 'Estimated FLOPs per token' (nanochat's own estimate)"
            )
        return Unavailable(
            "nanochat prints 'Estimated FLOPs per token' when it starts, and that line is not "
            "in the log; "
            "give --set flops_per_token=X"
        )

    def reference(self, run: RunView) -> Reference:
        peak = run.number("peak_flops")
        gpus = run.hints("gpu_name")
        note = (
            "nanochat divides by peak x number of GPUs, so its MFU is per GPU; it prints the "
            "percentage without a % sign"
        )
        if peak:
            name = gpus[-1] if gpus else "the GPU"
            return Reference(
                f"{name} bf16 {peak / 1e12:.0f} TFLOP/s (printed by nanochat)",
                peak,
                "printed",
                note,
                keyed_to=str(name),
            )
        return Reference(
            "H100 bf16 989 TFLOP/s (nanochat's fixed reference)",
            H100_BF16_PEAK_FLOPS,
            "fixed",
            note
            + "; versions without the 'GPU: ... Peak FLOPS' line divide by an H100's 989 TFLOP/s "
            "whatever the GPU (patched copies may differ)",
            keyed_to="H100",
        )

    def implied_devices(self, run: RunView) -> Figure | None:
        # base_train.py: world_tokens_per_fwdbwd = tokens_per_fwdbwd * ddp_world_size, printed
        # as "Tokens / micro-batch / rank: B x T = N" and "Tokens / micro-batch: M".
        per_rank = _last_number(run.config("tokens_micro_batch_rank"))
        world = _last_number(run.config("tokens_micro_batch"))
        if per_rank and world and world >= per_rank and world % per_rank == 0:
            return Figure(
                world // per_rank,
                f"nanochat's Tokens / micro-batch ({world:,}) / Tokens / micro-batch / rank "
                f"({per_rank:,})",
            )
        return None

    def default_dtype(self, run: RunView) -> tuple[str | None, str]:
        precision = run.config("compute_dtype")
        if isinstance(precision, str) and "float16" in precision and "bfloat16" not in precision:
            return "fp16", f"COMPUTE_DTYPE {precision}"
        if isinstance(precision, str) and "float32" in precision:
            return "tf32", f"COMPUTE_DTYPE {precision}"
        return "bf16", "nanochat trains in bfloat16"


FORMAT = Nanochat()


def _last_number(value: object) -> int | None:
    """The number after the last "=" of "32 x 2048 = 65,536", or the number itself."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if value > 0 and float(value).is_integer() else None
    if isinstance(value, str):
        parsed = parse_int(value.rsplit("=", 1)[-1].strip())
        return parsed if parsed and parsed > 0 else None
    return None
