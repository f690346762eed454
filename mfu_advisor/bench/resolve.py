"""From what the user asked to what the run uses: preset, device defaults, data vocabulary.
Explicit options always win over the preset."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mfu_advisor.bench.devices import DeviceChoice, native_bf16
from mfu_advisor.bench.options import BenchOptions, validate
from mfu_advisor.bench.presets import auto_preset_name, batch_for_memory, get_preset
from mfu_advisor.bench.timing import DEFAULT_MIN_STEPS
from mfu_advisor.errors import UserError

#: Seconds of measured steps when --budget is not given: three cpu-small runs on an idle
#: 2-core machine agree within 5% (benchmarks/bench_repeatability.py).
DEFAULT_BUDGET_S = 8.0

#: Warm-up steps when --warmup is not given (allocation, oneDNN/cuBLAS handles, compile).
DEFAULT_WARMUP_STEPS = 3


@dataclass(frozen=True)
class ResolvedRun:
    """Options with every field filled, and what was decided along the way."""

    options: BenchOptions
    preset_source: str
    notes: tuple[str, ...]


def resolve_run(options: BenchOptions, choice: DeviceChoice, text: str | None) -> ResolvedRun:
    """:func:`resolve_options` for this device (bf16 where native) and the --data ``text``."""
    return resolve_options(
        options,
        choice,
        bf16_supported=native_bf16(choice.device_type, choice.index),  # T4/V100: fp16
        text_vocab_size=len(set(text)) if text is not None else None,
    )


def resolve_options(
    asked: BenchOptions,
    choice: DeviceChoice,
    *,
    bf16_supported: bool,
    text_vocab_size: int | None = None,
) -> ResolvedRun:
    """Fill every unset option from the preset and the device, and validate; a --data file's
    distinct characters (``text_vocab_size``) are the vocabulary unless --vocab_size is given."""
    notes: list[str] = []
    accelerator_memory = None if choice.device_type == "cpu" else choice.memory_bytes
    preset_name = asked.preset
    if preset_name == "auto":
        preset_name = auto_preset_name(choice.device_type, accelerator_memory)
        notes.append(f"preset auto chose {preset_name} for {choice.device}")
    preset = get_preset(preset_name)
    batch = preset.batch_size
    if batch is None:
        batch = batch_for_memory(choice.device_type, choice.memory_bytes)
        if asked.batch_size is None:
            notes.append(f"batch_size {batch} sized to the memory of {choice.device}")
    vocab = preset.vocab_size
    if text_vocab_size is not None:
        if asked.vocab_size is not None and asked.vocab_size < text_vocab_size:
            raise UserError(
                f"--vocab_size {asked.vocab_size} is smaller than the {text_vocab_size} "
                f"distinct characters of --data {asked.data}"
            )
        vocab = text_vocab_size
    default_dtype = "float32"
    if choice.device_type == "cuda":
        # nanoGPT train.py: bfloat16 where supported, else float16 with a GradScaler.
        default_dtype = "bfloat16" if bf16_supported else "float16"
    defaults = {
        "batch_size": batch,
        "vocab_size": vocab,
        "dtype": default_dtype,
        "compile": False,
        "budget_s": DEFAULT_BUDGET_S,
        "warmup_steps": DEFAULT_WARMUP_STEPS,
        "min_steps": DEFAULT_MIN_STEPS,
        "tf32": choice.device_type == "cuda",
        **{name: getattr(preset, name) for name in ("block_size", "n_layer", "n_head", "n_embd")},
        **{name: getattr(preset, name) for name in ("dropout", "bias")},
        "gradient_accumulation_steps": preset.gradient_accumulation_steps,
    }
    filled = dataclasses.replace(
        asked,
        preset=preset_name,
        device=choice.device,
        **{k: d if getattr(asked, k) is None else getattr(asked, k) for k, d in defaults.items()},
    )
    if filled.compile and filled.warmup_steps == 0:
        # The compile step must never be measured.
        filled = dataclasses.replace(filled, warmup_steps=1)
        notes.append("warm-up raised to 1 step: the compile step is never measured")
    if choice.device_type == "cpu" and filled.dtype != "float32":
        notes.append(
            f"{filled.dtype} autocast on the CPU as asked; nanoGPT itself runs float32 on a "
            "CPU whatever --dtype says"
        )
    if choice.device_type == "cuda" and filled.dtype == "bfloat16" and not bf16_supported:
        raise UserError(f"{choice.name} does not support bfloat16; use --dtype=float16")
    validate(filled)
    return ResolvedRun(options=filled, preset_source=preset.source, notes=tuple(notes))
