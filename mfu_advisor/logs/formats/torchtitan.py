"""torchtitan (https://github.com/pytorch/torchtitan), current and older log forms
(docs/log-formats.md). tps/wps and tflops are per device; mfu divides by ``get_peak_flops``'s
peak for the GPU name, an A100's 312 TFLOP/s for one it does not know
(torchtitan/tools/utils.py). Step times come from the timestamps of consecutive step lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.collect import FLAG_AFTER_EVAL, FLAG_AFTER_PAUSE, StepCollector
from mfu_advisor.logs.formats.base import (
    Evidence,
    Figure,
    FlopsPerToken,
    LogFormat,
    Parser,
    Reference,
    RunView,
    config_product,
    median_ratio,
    printed_flops_per_token,
)
from mfu_advisor.logs.numbers import (
    DECIMAL,
    INT,
    TIMESTAMP,
    parse_finite,
    parse_int,
    parse_number,
    timestamp_s,
)
from mfu_advisor.mfu import A100_BF16_DENSE_PEAK_FLOPS

PREFIX = re.compile(
    rf"^(?:\[rank\d+\]:)?(?:\[titan\]\s*)?{TIMESTAMP}[,.](\d{{3}}) - \S+ - \w+ - (.*)$"
)
STEP = re.compile(rf"^step:\s*{INT}\s+loss:\s*(\S+)")
FIELD = re.compile(r"(\w+):\s*([\d.,]+|N/A)")
VALIDATE = re.compile(rf"^validate step:\s*{INT}\s+loss:\s*(\S+)")
TRAIN_START = re.compile(
    rf"^Training starts at step {INT},? with local batch size {INT}, "
    rf"global batch size {INT}, (?:with )?sequence length {INT}"
)
PEAK = re.compile(r"^Peak FLOPS used for computing MFU: (\S+)")
FALLBACK = re.compile(r"^Peak flops undefined for:? (.*?), fallback to A100")
# "CUDA capacity: NVIDIA H100 80GB HBM3 (0) with 79.11GiB memory"; some versions print no "(0)".
CAPACITY = re.compile(rf"^\w+ capacity: (.+?)(?: \(\d+\))? with {DECIMAL} ?GiB memory")
MODEL_SIZE = re.compile(r"^Model (\S+) (\S+) size: ([\d,]+) total parameters")
PAUSE = re.compile(
    r"^(Dumping profiler traces|Saving checkpoint|Saving the checkpoint|Dumping memory snapshot)"
)


class TorchtitanParser(Parser):
    """Reads torchtitan logs; step times come from the timestamps of step lines."""

    def __init__(self, sink: StepCollector) -> None:
        super().__init__(sink)
        self.anchor: tuple[float, float] | None = None  # (step, time stamp) of the last step
        self.flags = 0

    def parse_line(self, line: str, line_no: int) -> bool:
        match = PREFIX.match(line)
        if match is None:
            return False
        stamp = timestamp_s(match.group(1), match.group(2))
        if stamp is None:
            return False
        message = match.group(3).strip()
        # The rank prefix is usually removed before the parser sees the line (logs/ranks.py).
        prefixed = line.startswith("[rank") or self.sink.meta.get("rank_prefixed", False)
        if prefixed and "[titan]" not in line:
            self.sink.meta.setdefault("variant", "[rank0]: (older form)")
        else:
            self.sink.meta.setdefault("variant", "[titan]")
        step = STEP.match(message)
        if step:
            self._step(step, message, stamp, line_no)
            return True
        self._message(message, stamp, line_no, line)
        return True  # any other timestamped torchtitan line is known chatter

    def _step(self, match: re.Match[str], message: str, stamp: float, line_no: int) -> None:
        sink = self.sink
        step = int(match.group(1))
        fields = dict(FIELD.findall(message))
        tflops = parse_finite(fields.get("tflops", ""))
        mfu = parse_finite(fields.get("mfu", ""))  # None for "N/A"
        step_time_ms = None
        if self.anchor is not None and step > self.anchor[0]:
            step_time_ms = (stamp - self.anchor[1]) * 1000.0 / (step - self.anchor[0])
        self.anchor = (step, stamp)
        flags, self.flags = self.flags, 0
        sink.add_step(
            line_no,
            step=step,
            loss=parse_number(match.group(2)),
            step_time_ms=step_time_ms,
            tokens_per_s=parse_finite(fields.get("tps") or fields.get("wps") or ""),
            reported_mfu=None if mfu is None else mfu / 100.0,
            flops_per_s=None if tflops is None else tflops * 1e12,
            flags=flags,
        )

    def _message(self, message: str, stamp: float, line_no: int, line: str) -> None:
        sink = self.sink
        match = VALIDATE.match(message)
        if match:
            sink.add_eval(line_no, int(match.group(1)), {"loss": parse_number(match.group(2))})
            self.flags |= FLAG_AFTER_EVAL
            return
        match = TRAIN_START.match(message)
        if match:
            start, local, global_, seq = (int(g) for g in match.groups())
            sink.set_config("local_batch_size", local, "log", line_no)
            sink.set_config("global_batch_size", global_, "log", line_no)
            sink.set_config("seq_len", seq, "log", line_no)
            if self.anchor is not None:
                sink.mark_run_start()
            self.anchor = (start - 1, stamp)  # the first step's time runs from here
            return
        match = PEAK.match(message)
        if match:
            peak = parse_finite(match.group(1))
            if peak:
                sink.set_config("peak_flops", peak, "log", line_no)
                sink.hint("peak_flops", peak, line_no, line)
            return
        match = FALLBACK.match(message)
        if match:
            sink.meta["fallback_gpu"] = match.group(1)
            sink.hint("gpu_name", match.group(1), line_no, line)
            return
        match = CAPACITY.match(message)
        if match:
            sink.hint("gpu_name", match.group(1), line_no, line)
            sink.hint("device", "cuda", line_no, line)
            return
        match = MODEL_SIZE.match(message)
        if match:
            sink.set_config("model", f"{match.group(1)} {match.group(2)}", "log", line_no)
            sink.set_config("n_params_total", parse_int(match.group(3)), "log", line_no)
            return
        if PAUSE.match(message):
            self.flags |= FLAG_AFTER_PAUSE


class Torchtitan(LogFormat):
    """torchtitan's train.py logs."""

    mfu_scope = "per_rank"
    scope_note = (
        "torchtitan's tps and mfu are per device: every rank computes them from its own local "
        "batch and its own GPU's peak (MetricsProcessor.log, "
        "https://github.com/pytorch/torchtitan/blob/main/torchtitan/components/metrics.py); "
        "the job's tokens/s is their sum"
    )

    name = "torchtitan"
    title = "torchtitan"
    eval_timing = "spike"
    tokens_per_s_scope = "device"
    step_time_span = "interval"

    parser_class = TorchtitanParser
    reads_own_stamps = True
    default_device = "cuda"

    def sniff(self, lines: Sequence[str]) -> Evidence:
        steps = markers = 0
        for line in lines:
            match = PREFIX.match(line) if " - " in line else None
            if match is None:
                continue
            message = match.group(3)
            if STEP.match(message) and ("tps:" in message or "wps:" in message):
                steps += 1
            elif "[titan]" in line or TRAIN_START.match(message) or PEAK.match(message):
                markers += 1
        return Evidence(steps, markers)

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        return config_product(
            run,
            ("local_batch_size", "seq_len"),
            "local batch size x sequence length (per data-parallel rank)",
        ) or Unavailable(
            "the 'Training starts at step ...' line with the batch size and sequence length is not "
            "in the log; give --set tokens_per_step=N"
        )

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        return printed_flops_per_token(
            run,
            "log: tflops ÷ tps (torchtitan's own 6N + 12·L·H·Q·T per token)",
            "this torchtitan log prints no tflops, so the FLOPs per token are unknown; "
            "give --set flops_per_token=X",
        )

    def reference(self, run: RunView) -> Reference:
        note = (
            "torchtitan looks the peak up by GPU name (A100/A800 312, H100 SXM 989, H100 PCIe 756, "
            "H100 NVL 835, H200 989 TFLOP/s bf16) and, for any other GPU, silently uses an "
            "A100's 312 TFLOP/s with only a warning; mfu is per GPU"
        )
        fallback = run.meta("fallback_gpu")
        if fallback:
            return Reference(
                f"A100 bf16 312 TFLOP/s (torchtitan's fallback for '{fallback}')",
                A100_BF16_DENSE_PEAK_FLOPS,
                "fallback",
                note,
                keyed_to="A100",
            )
        peak = run.number("peak_flops")
        gpus = run.hints("gpu_name")
        if peak:
            name = gpus[-1] if gpus else "its GPU"
            return Reference(
                f"{peak / 1e12:.0f} TFLOP/s (torchtitan's peak for {name})", peak, "printed", note
            )
        value = median_ratio(run, "flops_per_s", "reported_mfu")
        if value is not None:
            return Reference(
                f"{value / 1e12:.0f} TFLOP/s (inferred from tflops ÷ mfu)", value, "inferred", note
            )
        if run.meta("mfu_printed"):
            return Reference(
                "torchtitan's peak for its GPU (not printed; an A100's 312 TFLOP/s if the GPU "
                "was unknown)",
                None,
                "table",
                note,
            )
        return Reference(None, None, "none", "this torchtitan log prints no MFU")

    def default_dtype(self, run: RunView) -> tuple[str | None, str]:
        return "bf16", "torchtitan's default mixed precision (bfloat16 parameters)"

    def implied_devices(self, run: RunView) -> Figure | None:
        local, global_ = run.number("local_batch_size"), run.number("global_batch_size")
        if local and global_ and global_ >= local:
            return Figure(
                global_ // local,
                "global batch / local batch (data-parallel ranks; tensor or pipeline parallel "
                "GPUs not counted)",
            )
        return None


FORMAT = Torchtitan()
