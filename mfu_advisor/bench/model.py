"""The GPT the bench trains: GPT-2's layout, with nanoGPT ``model.py``'s hyperparameters and
parameter count (https://github.com/karpathy/nanoGPT/blob/master/model.py), so its FLOPs and
MFU line up with nanoGPT's: pre-LayerNorm blocks, optional biases, causal attention through
``scaled_dot_product_attention``, a 4 x n_embd GELU MLP, the token embedding tied to the head
(Press & Wolf 2017), GPT-2's initialisation (N(0, 0.02), residual projections scaled by
1/sqrt(2 n_layer): GPT-2 paper, section 2.3). Imported only once torch is needed.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from mfu_advisor.mfu import GptShape

#: Standard deviation of GPT-2's weight initialisation (GPT-2 code, model.py ``init_range``).
INIT_STD = 0.02


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention with a causal mask, one fused QKV projection."""

    def __init__(self, shape: GptShape, dropout: float) -> None:
        super().__init__()
        self.n_head = shape.n_head
        self.dropout = dropout
        self.qkv = nn.Linear(shape.n_embd, 3 * shape.n_embd, bias=shape.bias)
        self.out_proj = nn.Linear(shape.n_embd, shape.n_embd, bias=shape.bias)
        self.out_dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, width = x.shape
        q, k, v = self.qkv(x).split(width, dim=2)
        # (B, T, C) -> (B, heads, T, head_size): the layout SDPA expects.
        q, k, v = (t.view(batch, seq, self.n_head, -1).transpose(1, 2) for t in (q, k, v))
        attended = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True
        )
        merged = attended.transpose(1, 2).contiguous().view(batch, seq, width)
        return self.out_dropout(self.out_proj(merged))


class FeedForward(nn.Module):
    """The block's MLP: n_embd -> 4 n_embd -> n_embd with GELU."""

    def __init__(self, shape: GptShape, dropout: float) -> None:
        super().__init__()
        self.expand = nn.Linear(shape.n_embd, 4 * shape.n_embd, bias=shape.bias)
        self.activation = nn.GELU()
        self.contract = nn.Linear(4 * shape.n_embd, shape.n_embd, bias=shape.bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.contract(self.activation(self.expand(x))))


class Block(nn.Module):
    """One transformer layer: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, shape: GptShape, dropout: float) -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(shape.n_embd, bias=shape.bias)
        self.attn = CausalSelfAttention(shape, dropout)
        self.mlp_norm = nn.LayerNorm(shape.n_embd, bias=shape.bias)
        self.mlp = FeedForward(shape, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.attn_norm(x))
        return x + self.mlp(self.mlp_norm(x))


class Gpt(nn.Module):
    """A GPT language model; ``forward(idx, targets)`` returns (logits, mean cross-entropy)."""

    def __init__(self, shape: GptShape, dropout: float = 0.0) -> None:
        super().__init__()
        self.shape = shape
        self.token_embedding = nn.Embedding(shape.vocab_size, shape.n_embd)
        self.position_embedding = nn.Embedding(shape.block_size, shape.n_embd)
        self.embedding_dropout = nn.Dropout(dropout)
        blocks = [Block(shape, dropout) for _ in range(shape.n_layer)]
        self.blocks = nn.ModuleList(blocks)
        self.final_norm = nn.LayerNorm(shape.n_embd, bias=shape.bias)
        self.lm_head = nn.Linear(shape.n_embd, shape.vocab_size, bias=False)
        # Weight tying: one matrix serves as input embedding and output projection.
        self.lm_head.weight = self.token_embedding.weight
        self.apply(_init_weights)
        residual_std = INIT_STD / math.sqrt(2 * shape.n_layer)
        for block in blocks:
            nn.init.normal_(block.attn.out_proj.weight, mean=0.0, std=residual_std)
            nn.init.normal_(block.mlp.contract.weight, mean=0.0, std=residual_std)

    def param_count(self, *, include_position_embeddings: bool = False) -> int:
        """Parameters, each shared tensor once; without position embeddings by default (nanoGPT)."""
        total = sum(p.numel() for p in self.parameters())  # parameters() de-duplicates ties
        if not include_position_embeddings:
            total -= self.position_embedding.weight.numel()
        return total

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits for every position (B, T, vocab) and, given targets, the mean loss."""
        _, seq = idx.shape
        if seq > self.shape.block_size:
            raise ValueError(f"sequence of {seq} tokens exceeds block_size {self.shape.block_size}")
        positions = torch.arange(seq, device=idx.device)
        x = self.embedding_dropout(self.token_embedding(idx) + self.position_embedding(positions))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.final_norm(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, mean=0.0, std=INIT_STD)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, mean=0.0, std=INIT_STD)
