"""Named model configurations, and how ``auto`` picks one for the device.

Each preset is a configuration nanoGPT ships or documents, so its numbers can
be compared with nanoGPT runs people have already done. Pure Python: no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from mfu_advisor.errors import UserError


@dataclass(frozen=True)
class Preset:
    """A model and batch configuration with nanoGPT's option names."""

    name: str
    source: str
    """Where the configuration comes from."""
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


PRESETS: dict[str, Preset] = {
    "cpu-small": Preset(
        name="cpu-small",
        # nanoGPT README, "I only have a macbook": --device=cpu --compile=False
        # --eval_iters=20 --log_interval=1 --block_size=64 --batch_size=12 --n_layer=4
        # --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0,
        # with the 65-character vocabulary of shakespeare_char.
        # https://github.com/karpathy/nanoGPT/blob/master/README.md
        source="nanoGPT README CPU config (shakespeare_char vocabulary)",
        n_layer=4,
        n_head=4,
        n_embd=128,
        block_size=64,
        vocab_size=65,
        batch_size=12,
    ),
    "shakespeare-char": Preset(
        name="shakespeare-char",
        # nanoGPT config/train_shakespeare_char.py (its dropout 0.2 is a training
        # choice; 0 here keeps the timing free of random masks, as cpu-small).
        # https://github.com/karpathy/nanoGPT/blob/master/config/train_shakespeare_char.py
        source="nanoGPT config/train_shakespeare_char.py",
        n_layer=6,
        n_head=6,
        n_embd=384,
        block_size=256,
        vocab_size=65,
        batch_size=64,
    ),
    "gpt2-small": Preset(
        name="gpt2-small",
        # nanoGPT config/train_gpt2.py and model.py defaults: GPT-2 124M, with the
        # vocabulary padded from 50257 to 50304 (a multiple of 64) as nanoGPT does.
        # https://github.com/karpathy/nanoGPT/blob/master/config/train_gpt2.py
        source="nanoGPT config/train_gpt2.py (GPT-2 124M, vocabulary padded to 50304)",
        n_layer=12,
        n_head=12,
        n_embd=768,
        block_size=1024,
        vocab_size=50304,
        batch_size=None,
    ),
}

PRESET_NAMES: tuple[str, ...] = (*PRESETS, "auto")

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
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}")
    return PRESETS[name]


def auto_preset_name(device_type: str, memory_bytes: int | None) -> str:
    """The preset ``auto`` stands for: cpu-small on a CPU, gpt2-small on a big accelerator."""
    if device_type == "cpu":
        return "cpu-small"
    if memory_bytes is not None and memory_bytes >= AUTO_GPT2_MIN_BYTES:
        return "gpt2-small"
    return "shakespeare-char"


def batch_for_memory(device_type: str, memory_bytes: int | None) -> int:
    """gpt2-small's batch for a device with ``memory_bytes`` (free RAM on a CPU).

    A power of two, so the GEMM shapes stay friendly; 1 when memory is unknown.
    """
    if memory_bytes is None:
        return 1
    cap = GPT2_MAX_BATCH_CPU if device_type == "cpu" else GPT2_MAX_BATCH_GPU
    fits = max(1, (memory_bytes - GPT2_RESERVED_BYTES) // GPT2_BYTES_PER_SEQUENCE)
    batch = 1
    while batch * 2 <= min(fits, cap):
        batch *= 2
    return batch
