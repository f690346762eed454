"""Training tokens, synthetic or a local text file read char-level, drawn as nanoGPT's
``get_batch`` draws them (random windows, targets shifted by one, pinned on CUDA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mfu_advisor.errors import UserError

#: Length of the synthetic token stream: long enough that batches rarely repeat.
SYNTHETIC_TOKENS = 1 << 20
#: Largest --data file read, in bytes (the text is held in memory as int64 tokens).
MAX_TEXT_BYTES = 256 * 2**20


def read_text(path: str | None) -> str | None:
    """A local UTF-8 text file's contents (None without a path); UserError when unusable."""
    if path is None:
        return None
    source = Path(path)
    if not source.is_file():
        raise UserError(f"--data {path}: no such file")
    if source.stat().st_size > MAX_TEXT_BYTES:
        raise UserError(f"--data {path}: larger than {MAX_TEXT_BYTES // 2**20} MiB")
    try:
        return source.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(
            f"--data {path}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except OSError as exc:
        raise UserError(f"--data {path}: cannot read ({exc.strerror or exc})") from None


class TokenStream:
    """One long stream of token ids on the CPU, and batches drawn from it."""

    def __init__(self, tokens: Any, device: str, device_type: str, seed: int) -> None:
        import torch

        self.tokens = tokens
        self.device = device
        self.device_type = device_type
        self.generator = torch.Generator().manual_seed(seed)

    @classmethod
    def synthetic(cls, vocab_size: int, device: str, device_type: str, seed: int) -> TokenStream:
        """Each token is the previous plus 1, 2 or 3, mod vocab: learnable, so the loss falls
        and a broken backward pass shows (uniform tokens stay at ln(vocab))."""
        import torch

        generator = torch.Generator().manual_seed(seed)
        steps = torch.randint(1, 4, (SYNTHETIC_TOKENS,), generator=generator)
        tokens = torch.cumsum(steps, dim=0) % vocab_size
        return cls(tokens, device, device_type, seed + 1)

    @classmethod
    def from_text(cls, text: str, device: str, device_type: str, seed: int) -> TokenStream:
        """The characters of ``text`` as ids into its sorted characters (nanoGPT's
        shakespeare_char prepare.py)."""
        import torch

        index = {ch: i for i, ch in enumerate(sorted(set(text)))}
        tokens = torch.tensor([index[ch] for ch in text], dtype=torch.int64)
        return cls(tokens, device, device_type, seed)

    def batch(self, batch_size: int, block_size: int) -> tuple[Any, Any]:
        """Inputs and targets, each (batch_size, block_size), on the run's device."""
        import torch

        starts = torch.randint(
            int(self.tokens.numel()) - block_size - 1, (batch_size,), generator=self.generator
        ).tolist()
        x = torch.stack([self.tokens[s : s + block_size] for s in starts])
        y = torch.stack([self.tokens[s + 1 : s + 1 + block_size] for s in starts])
        if self.device_type == "cuda":
            # Pinned memory makes the copy asynchronous (nanoGPT's get_batch).
            return (
                x.pin_memory().to(self.device, non_blocking=True),
                y.pin_memory().to(self.device, non_blocking=True),
            )
        if self.device_type != "cpu":
            return x.to(self.device), y.to(self.device)
        return x, y


def check_stream_fits(stream_length: int, block_size: int, path: str) -> None:
    """A text must hold at least one window of block_size + 1 characters."""
    if stream_length < block_size + 2:
        raise UserError(
            f"--data {path}: {stream_length} characters, but block_size {block_size} "
            f"needs at least {block_size + 2}"
        )
