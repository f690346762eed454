"""From what the user asked to what the run uses: the named presets
(mfu_advisor/data/presets.toml) and how ``auto`` picks one, device defaults, data vocabulary.
Explicit options always win over the preset."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

from mfu_advisor.bench.devices import DeviceChoice, native_bf16
from mfu_advisor.bench.options import BenchOptions, validate
from mfu_advisor.bench.timing import DEFAULT_MIN_STEPS
from mfu_advisor.errors import UserError
from mfu_advisor.files import data_file


@dataclass(frozen=True)
class Preset:
    """A model and batch configuration with nanoGPT's option names."""

    name: str
    source: str
    """Where the configuration comes from (``url``: its page)."""
    url: str
    n_layer: int
    n_head: int
    n_embd: int
    block_size: int
    vocab_size: int
    batch_size: int | None
    """None: sized to the device's memory (:func:`batch_for_memory`)."""
    dropout: float = 0.0
    bias: bool = False
    gradient_accumulation_steps: int = 1


@functools.cache
def presets() -> dict[str, Preset]:
    """The presets by name, in file order (read once)."""
    rows = data_file("presets.toml").items()
    return {name: Preset(name=name, **{"batch_size": None, **row}) for name, row in rows}


PRESET_NAMES: tuple[str, ...] = (*presets(), "auto")

#: Memory one gpt2-small sequence of 1024 tokens needs in training, in bytes: an
#: A100 40 GB holds nanoGPT's batch of 12 with bf16 autocast (nanoGPT README),
#: about 3 GiB each once the weights and AdamW state (~2 GB) are set aside.
GPT2_BYTES_PER_SEQUENCE = 3 * 2**30
#: Memory kept free for weights, optimizer state, the CUDA context and fragmentation.
GPT2_RESERVED_BYTES = 4 * 2**30
#: Largest auto-sized batch (GPU) and CPU batch: beyond, a step only gets longer.
GPT2_MAX_BATCH_GPU = 32
GPT2_MAX_BATCH_CPU = 4

#: Below this much accelerator memory, ``auto`` picks shakespeare-char over gpt2-small.
AUTO_GPT2_MIN_BYTES = 16 * 2**30


def get_preset(name: str) -> Preset:
    """The preset called ``name`` (not "auto"); UserError for an unknown name."""
    if name not in presets():
        raise UserError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}")
    return presets()[name]


def auto_preset_name(device_type: str, memory_bytes: int | None) -> str:
    """The preset ``auto`` stands for: cpu-small on a CPU, gpt2-small on a big accelerator."""
    if device_type == "cpu":
        return "cpu-small"
    if memory_bytes is not None and memory_bytes >= AUTO_GPT2_MIN_BYTES:
        return "gpt2-small"
    return "shakespeare-char"


def batch_for_memory(device_type: str, memory_bytes: int | None) -> int:
    """gpt2-small's batch for ``memory_bytes`` (free RAM on a CPU): a power of two, so the GEMM
    shapes stay friendly; 1 when memory is unknown."""
    if memory_bytes is None:
        return 1
    cap = GPT2_MAX_BATCH_CPU if device_type == "cpu" else GPT2_MAX_BATCH_GPU
    fits = max(1, (memory_bytes - GPT2_RESERVED_BYTES) // GPT2_BYTES_PER_SEQUENCE)
    batch = 1
    while batch * 2 <= min(fits, cap):
        batch *= 2
    return batch


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
