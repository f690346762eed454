"""The model's matrix multiplies (GEMMs), by shape: what the roofline sweep times. No torch."""

from __future__ import annotations

from dataclasses import dataclass

from mfu_advisor.mfu import GptShape


@dataclass(frozen=True)
class GemmShape:
    """One matrix multiply of the model's forward pass: (m x k) @ (k x n)."""

    name: str
    m: int
    """Rows: tokens in the micro-batch (batch_size x block_size x batch_multiple)."""
    n: int
    k: int
    batch_multiple: int = 1
    """1 for the run's micro-batch; 2 and 4 for the larger batches the roofline also tries."""

    @property
    def flops(self) -> float:
        """FLOPs of one such multiply (2 per multiply-add)."""
        return 2.0 * self.m * self.n * self.k


def gemm_shapes(shape: GptShape, batch_size: int, batch_multiple: int = 1) -> tuple[GemmShape, ...]:
    """The linear-layer GEMMs of one forward pass, once each (attention's products run in
    the fused SDPA kernel; the backward pass uses the same shapes transposed)."""
    tokens = batch_size * shape.block_size * batch_multiple
    c = shape.n_embd
    rows = (
        ("attn.qkv", 3 * c, c),
        ("attn.out_proj", c, c),
        ("mlp.expand", 4 * c, c),
        ("mlp.contract", c, 4 * c),
        ("lm_head", shape.vocab_size, c),
    )
    return tuple(GemmShape(name, tokens, n, k, batch_multiple) for name, n, k in rows)
