"""FLOP accounting and MFU arithmetic, checked against hand-computed values."""

from __future__ import annotations

import pytest

from mfu_advisor.mfu import (
    A100_BF16_DENSE_PEAK_FLOPS,
    GptShape,
    a100_reference,
    flops_per_token,
    gpt_param_count,
    mfu_against,
)

# nanoGPT's README CPU config with the 96-character vocabulary of
# shared/fixtures/logs/nanogpt_cpu_300.log, which nanoGPT reported as 0.80M.
CPU_SMALL = GptShape(n_layer=4, n_head=4, n_embd=128, block_size=64, vocab_size=96, bias=False)


def test_param_count_matches_nanogpt_for_the_cpu_log() -> None:
    # 96*128 (tied embedding) + 4 * (12*128^2 + 2*128) + 128 (final LayerNorm)
    assert gpt_param_count(CPU_SMALL) == 12_288 + 4 * (196_608 + 256) + 128 == 799_872
    assert gpt_param_count(CPU_SMALL, include_position_embeddings=True) == 799_872 + 64 * 128


def test_gpt2_small_param_count_is_the_familiar_124m() -> None:
    gpt2 = GptShape(12, 12, 768, 1024, 50257, bias=True)
    # GPT-2 small has 124,439,808 parameters with position embeddings (HF's count).
    assert gpt_param_count(gpt2, include_position_embeddings=True) == 124_439_808


def test_flops_per_token_is_palm_6n_plus_attention() -> None:
    # 6 * 799,872 + 12 * 4 layers * 4 heads * 32 head size * 64 tokens
    assert flops_per_token(CPU_SMALL) == 4_799_232 + 393_216 == 5_192_448


def test_stated_param_count_overrides_the_computed_one() -> None:
    assert flops_per_token(CPU_SMALL, n_params=1_000_000) == 6_000_000 + 393_216


def test_mfu_against_a_peak_and_the_a100_reference() -> None:
    achieved = 60e9
    figure = mfu_against(achieved, 120e9, "measured fp32 matmul")
    assert figure.value == pytest.approx(0.5)
    assert figure.reason is None
    reference = a100_reference(achieved)
    assert reference.denominator_flops == A100_BF16_DENSE_PEAK_FLOPS
    assert reference.value == pytest.approx(60e9 / 312e12)  # nanoGPT would print 0.02%


def test_missing_denominator_gives_null_with_a_reason() -> None:
    figure = mfu_against(60e9, None, None, "no peak known for 'Mystery GPU'")
    assert figure.value is None
    assert figure.reason == "no peak known for 'Mystery GPU'"
