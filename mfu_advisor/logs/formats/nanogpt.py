"""nanoGPT: ``train.py`` and ``bench.py`` (https://github.com/karpathy/nanoGPT; the lines are
in docs/log-formats.md). ``iter`` times are one iteration's, an evaluation included; its MFU
is a running average against an A100's 312 TFLOP/s bf16, ``-100.00%`` before iteration 5.
"""

from __future__ import annotations

import math
from typing import ClassVar

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.formats.base import (
    GPT_CONFIG_KEYS,
    ConfigEntryOrMissing,
    Figure,
    FlopsPerToken,
    LogFormat,
    Patterns,
    Reference,
    RunView,
    format_table,
)
from mfu_advisor.logs.formats.nanogpt_parser import (
    BENCH_STEP,
    BENCH_TIME,
    CONFIG_FILE,
    DTYPES,
    EVAL,
    ITER,
    N_PARAMS,
    OVERRIDE,
    TOKENS,
    VOCAB_FOUND,
    NanoGptParser,
    device_kind,
)
from mfu_advisor.mfu import (
    A100_BF16_DENSE_PEAK_FLOPS,
    A100_REFERENCE_LABEL,
    GptShape,
    flops_per_token,
    gpt_param_count,
)

__all__ = ["FORMAT", "NanoGpt", "NanoGptParser"]

SHAPE_KEYS = ("n_layer", "n_head", "n_embd", "block_size")
#: peak dtype -> nanoGPT's dtype config value, for gpt_config.
CONFIG_DTYPES = {"bf16": "bfloat16", "fp16": "float16", "tf32": "float32", "fp32": "float32"}


class NanoGpt(LogFormat):
    """nanoGPT train.py and bench.py."""

    mfu_scope = "per_rank"
    # train.py: "if ddp: model = DDP(model, device_ids=[ddp_local_rank])".
    parallel_when_distributed = "ddp"
    scope_note = (
        "nanoGPT's mfu is per rank: estimate_mfu counts one rank's batch_size x "
        "gradient_accumulation_steps (after train.py divides gradient_accumulation_steps by the "
        "world size) against one A100's 312 TFLOP/s; its 'tokens per iteration will be' counts "
        "every rank (gradient_accumulation_steps x world size x batch_size x block_size), so "
        "tokens/s from it are the job's and one rank does 1/world of them "
        "(https://github.com/karpathy/nanoGPT/blob/master/train.py)"
    )

    name = "nanogpt"
    title = "nanoGPT"
    eval_timing = "spike"

    parser_class = NanoGptParser
    step_lines: ClassVar[Patterns] = (ITER, BENCH_STEP)
    marker_lines: ClassVar[Patterns] = (
        OVERRIDE,
        CONFIG_FILE,
        EVAL,
        TOKENS,
        N_PARAMS,
        VOCAB_FOUND,
        BENCH_TIME,
    )
    default_variant = "train.py"

    def _bench(self, run: RunView) -> bool:
        return run.meta("variant") == "bench.py"

    def _value(self, run: RunView, key: str) -> tuple[float | None, str]:
        """A shape or batch key: from --set or the log, else the script's default when known."""
        value = run.number(key)
        if value is not None:
            return value, run.config_source(key) or "log"
        bench = format_table("nanogpt", "bench_defaults")
        if self._bench(run) and key in bench:
            return float(bench[key]), "bench.py default"
        init, shapes = run.config("init_from"), format_table("nanogpt", "gpt2_shapes")
        if isinstance(init, str) and init in shapes:
            shape = shapes[init]
            if key in shape:
                return float(shape[key]), f"{init} checkpoint"
            if key == "block_size":
                block = min(run.number("block_size") or 1024, 1024)
                return float(block), f"{init} checkpoint"
        train = format_table("nanogpt", "train_defaults")
        if run.meta("run_start_seen") and key in train:
            return float(train[key]), "train.py default"
        return None, ""

    def gpt_config(self, run: RunView) -> dict[str, ConfigEntryOrMissing]:
        out: dict[str, ConfigEntryOrMissing] = {}
        defaults = format_table(
            "nanogpt", "bench_defaults" if self._bench(run) else "train_defaults"
        )
        start_seen = bool(run.meta("run_start_seen")) or self._bench(run)
        for key in GPT_CONFIG_KEYS:
            if run.has(key):
                out[key] = (run.config(key), run.config_source(key) or "log")
            elif key in SHAPE_KEYS:
                value, source = self._value(run, key)
                out[key] = (
                    (int(value), source) if value is not None else Unavailable("not in the log")
                )
            elif key == "device":
                device = self.device(run)
                out[key] = (
                    (device, "log" if run.has("device") else "nanoGPT default")
                    if device
                    else Unavailable("not in the log")
                )
            elif key == "dtype":
                dtype, source = self.default_dtype(run)
                named = CONFIG_DTYPES.get(dtype or "", dtype)
                out[key] = (named, source) if dtype else Unavailable(source)
            elif start_seen and key in defaults:
                script = "bench.py" if self._bench(run) else "train.py"
                out[key] = (defaults[key], f"{script} default")
            else:
                out[key] = Unavailable("not in the log")
        return out

    def log_tokens_per_step(self, run: RunView) -> Figure | Unavailable:
        if self._bench(run):
            batch, _ = self._value(run, "batch_size")
            block, _ = self._value(run, "block_size")
            if batch and block:
                return Figure(
                    batch * block, "batch_size x block_size (bench.py has no gradient accumulation)"
                )
        printed = run.number("tokens_per_iter")
        if printed:
            return Figure(printed, "log: 'tokens per iteration will be'")
        parts = {
            k: run.number(k) for k in ("batch_size", "block_size", "gradient_accumulation_steps")
        }
        missing = [k for k, v in parts.items() if not v]
        if not missing:
            product = math.prod(v for v in parts.values() if v)
            return Figure(
                product,
                "batch_size x block_size x gradient_accumulation_steps (one process assumed)",
            )
        return Unavailable(
            "the log has no 'tokens per iteration will be' line and does not give "
            + ", ".join(missing)
            + f"; give --set tokens_per_step=N or --set {missing[0]}=N"
        )

    def log_flops_per_token(self, run: RunView) -> FlopsPerToken | Unavailable:
        values = {key: self._value(run, key)[0] for key in SHAPE_KEYS}
        missing = [key for key, value in values.items() if value is None]
        if missing:
            return Unavailable(
                "the model size is missing: the log does not give "
                + ", ".join(missing)
                + " (no Overriding lines or config file dump); give them with "
                + " ".join(f"--set {k}=N" for k in missing)
            )
        n_layer, n_head, n_embd, block = (int(values[key] or 0) for key in SHAPE_KEYS)
        if n_head <= 0 or n_embd % n_head:
            return Unavailable(f"n_embd={n_embd} is not a multiple of n_head={n_head}")
        n_params, n_source = self._n_params(run, n_layer, n_head, n_embd, block)
        if n_params is None:
            return Unavailable(n_source)
        shape = GptShape(n_layer, n_head, n_embd, block, int(run.number("vocab_size") or 0))
        value = flops_per_token(shape, n_params=n_params)
        return FlopsPerToken(
            value,
            f"nanoGPT's 6N + 12·L·H·Q·T with L={n_layer}, H={n_head}, Q={n_embd // n_head}, "
            f"T={block}, N={n_params:,} ({n_source})",
            n_params=n_params,
        )

    def _n_params(
        self, run: RunView, n_layer: int, n_head: int, n_embd: int, block: int
    ) -> tuple[int | None, str]:
        """N without position embeddings, as nanoGPT's estimate_mfu counts it."""
        given = run.number("n_params")
        if given:
            return int(given), "--set n_params"
        decayed, non_decayed = run.number("params_decayed"), run.number("params_non_decayed")
        if decayed and non_decayed:
            # configure_optimizers counts every parameter, position embeddings (block x n_embd) too.
            exact = int(decayed + non_decayed) - block * n_embd
            return exact, "counted by configure_optimizers, less position embeddings"
        printed = run.number("n_params_printed_m")
        vocab, vocab_source = self._value(run, "vocab_size")
        if vocab is not None:
            candidates = [bool(run.config("bias"))] if run.has("bias") else [False, True]
            if self._bench(run) and not run.has("bias"):
                candidates = [False]
            counts = {
                bias: gpt_param_count(GptShape(n_layer, n_head, n_embd, block, int(vocab), bias))
                for bias in candidates
            }
            if printed is not None:
                for bias, count in counts.items():
                    # nanoGPT prints the count in millions with two decimals.
                    if abs(count / 1e6 - printed) <= 0.006:
                        return count, f"from the shape with bias={bias}, as the printed {printed}M"
            bias = candidates[0]
            source = (
                f"from the shape, vocab_size {int(vocab)} ({vocab_source or 'log'}), bias={bias}"
            )
            return counts[bias], source
        if printed is not None:
            return round(printed * 1e6), f"the printed {printed}M (rounded to 10k)"
        return None, (
            "the vocabulary size is missing (no 'found vocab_size' line); give --set vocab_size=N "
            "or --set n_params=N"
        )

    def reference(self, run: RunView) -> Reference:
        if self._bench(run):
            note = (
                "bench.py divides the mean time of its 20 timed iterations by an A100's "
                "312 TFLOP/s bf16"
            )
        else:
            note = (
                "train.py prints a running average (0.9 x previous + 0.1 x this iteration) of the "
                "MFU against an A100's 312 TFLOP/s bf16, whatever the device; it prints -100.00% "
                "until the fifth iteration of the process (read here as missing)"
            )
        return Reference(
            A100_REFERENCE_LABEL, A100_BF16_DENSE_PEAK_FLOPS, "fixed", note, keyed_to="A100"
        )

    def device(self, run: RunView) -> str | None:
        device = run.config("device")
        if isinstance(device, str):
            return device_kind(device)
        if run.meta("run_start_seen") or self._bench(run):
            return "cuda"  # train.py and bench.py default to device = 'cuda'
        return None

    def default_dtype(self, run: RunView) -> tuple[str | None, str]:
        device = self.device(run)
        if device in ("cpu", "mps"):
            return (
                "fp32",
                f"nanoGPT runs without autocast when device={device} (its device_type is 'cpu')",
            )
        dtype = run.config("dtype")
        if isinstance(dtype, str) and dtype in DTYPES:
            note = " (nanoGPT enables TF32 matmuls)" if dtype == "float32" else ""
            return DTYPES[dtype], f"dtype = '{dtype}' in the log{note}"
        if device == "cuda":
            return "bf16", "nanoGPT's default dtype on GPUs that support bfloat16"
        return None, "the log does not give the device or dtype"

    def summary_step_time(self, run: RunView) -> Figure | None:
        value = run.summary("time_per_iteration_ms")
        if isinstance(value, float):
            return Figure(value, "bench.py 'time per iteration' (mean of the 20 timed iterations)")
        return None

    def summary_mfu(self, run: RunView) -> Figure | None:
        value = run.summary("bench_mfu_percent")
        if isinstance(value, float):
            return Figure(value / 100.0, "bench.py 'MFU' (over the 20 timed iterations)")
        return None


FORMAT = NanoGpt()
