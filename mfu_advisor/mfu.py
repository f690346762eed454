"""FLOP accounting and MFU arithmetic shared by bench, analyze and diagnose (no torch import).

Model FLOPs per token are nanoGPT's ``estimate_mfu``: ``6 N + 12 L H Q T`` from the PaLM
paper (Chowdhery et al. 2022, appendix B); docs/mfu.md explains each term.
"""

from __future__ import annotations

from dataclasses import dataclass

#: NVIDIA A100 (SXM and PCIe) BF16 Tensor Core peak, dense (624 TFLOP/s is the
#: 2:4-sparse figure). Source: NVIDIA A100 Tensor Core GPU datasheet, table
#: "Specifications", https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf
#: nanoGPT's model.py divides by this constant (``flops_promised = 312e12``)
#: whatever device the run is on, so its printed MFU is relative to it.
A100_BF16_DENSE_PEAK_FLOPS = 312e12

A100_REFERENCE_LABEL = "A100 bf16 312 TFLOP/s (nanoGPT's fixed reference)"

#: torch dtype names -> the keys of a device's peak FLOP/s ("fp32", "bf16", "fp16").
PEAK_DTYPE_KEYS = {"float32": "fp32", "bfloat16": "bf16", "float16": "fp16"}


@dataclass(frozen=True)
class GptShape:
    """The hyperparameters that decide a GPT's FLOPs, with nanoGPT's names."""

    n_layer: int
    n_head: int
    n_embd: int
    block_size: int
    vocab_size: int
    bias: bool = False
    """nanoGPT's ``bias``: biases in Linear and LayerNorm layers (GPT-2 had them)."""


def gpt_param_count(shape: GptShape, *, include_position_embeddings: bool = False) -> int:
    """Parameters of a nanoGPT-style GPT as ``get_num_params()`` counts them: the tied token
    embedding once, the position embeddings only when asked (they cost no matmul FLOPs)."""
    n, v, t, layers = shape.n_embd, shape.vocab_size, shape.block_size, shape.n_layer
    # Per block: attention qkv (n x 3n) + projection (n x n) + MLP (n x 4n) + (4n x n).
    per_layer = 12 * n * n
    # Linear biases (3n + n + 4n + n) and two LayerNorms with weight and bias, or two weights.
    per_layer += 9 * n + 4 * n if shape.bias else 2 * n
    final_norm = 2 * n if shape.bias else n
    total = v * n + layers * per_layer + final_norm
    if include_position_embeddings:
        total += t * n
    return total


def flops_per_token(shape: GptShape, n_params: int | None = None) -> float:
    """Training FLOPs per token: ``6 N + 12 L H Q T`` (PaLM appendix B); ``n_params`` is N
    when a log states the model size."""
    n = gpt_param_count(shape) if n_params is None else n_params
    head_size = shape.n_embd // shape.n_head
    attention = 12 * shape.n_layer * shape.n_head * head_size * shape.block_size
    return float(6 * n + attention)


@dataclass(frozen=True)
class MfuFigure:
    """An MFU against one labelled denominator, or why it cannot be given."""

    value: float | None
    """Achieved FLOP/s divided by ``denominator_flops``, as a fraction (0.5 = 50%)."""
    denominator_flops: float | None
    """The peak divided by, in FLOP/s."""
    source: str | None
    """What the denominator is and where its number comes from."""
    reason: str | None = None
    """Why ``value`` is null, when it is."""
    note: str | None = None
    """What a reader must know to trust ``value`` (a peak below what was measured), else None."""


def mfu_against(
    achieved_flops: float | None,
    denominator_flops: float | None,
    source: str | None,
    missing_reason: str = "",
) -> MfuFigure:
    """MFU of ``achieved_flops`` against a peak; null with a reason when either is missing."""
    if denominator_flops is None or denominator_flops <= 0:
        return MfuFigure(None, None, source, missing_reason or "no peak is known for this device")
    if achieved_flops is None:
        return MfuFigure(
            None,
            denominator_flops,
            source,
            missing_reason or "achieved FLOP/s could not be computed",
        )
    return MfuFigure(achieved_flops / denominator_flops, denominator_flops, source)


def a100_reference(achieved_flops: float | None) -> MfuFigure:
    """MFU as nanoGPT prints it: against the A100's 312 TFLOP/s, whatever the device."""
    return mfu_against(achieved_flops, A100_BF16_DENSE_PEAK_FLOPS, A100_REFERENCE_LABEL)
