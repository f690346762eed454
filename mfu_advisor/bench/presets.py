"""Named model configurations (mfu_advisor/data/presets.toml), and how ``auto`` picks one."""

from __future__ import annotations

import functools
from dataclasses import dataclass

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
