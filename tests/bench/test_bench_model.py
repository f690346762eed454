"""The bench's GPT counts parameters and FLOPs the way nanoGPT does."""

from __future__ import annotations

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from mfu_advisor.bench.model import Gpt
from mfu_advisor.bench.roofline import gemm_shapes
from mfu_advisor.mfu import GptShape, flops_per_token, gpt_param_count

CPU_SMALL = GptShape(n_layer=4, n_head=4, n_embd=128, block_size=64, vocab_size=65, bias=False)


@pytest.mark.parametrize("bias", [False, True])
def test_param_count_equals_the_shared_formula(bias: bool) -> None:
    shape = GptShape(2, 2, 32, 16, 50, bias=bias)
    model = Gpt(shape)
    assert model.param_count() == gpt_param_count(shape)
    assert model.param_count(include_position_embeddings=True) == gpt_param_count(
        shape, include_position_embeddings=True
    )


def test_cpu_small_has_the_parameters_nanogpt_reports() -> None:
    # 65*128 tied embedding + 4 * (12*128^2 + 2*128) + 128 final LayerNorm.
    assert Gpt(CPU_SMALL).param_count() == 8_320 + 4 * (196_608 + 256) + 128 == 795_904


def test_output_head_is_tied_to_the_token_embedding() -> None:
    model = Gpt(CPU_SMALL)
    assert model.lm_head.weight is model.token_embedding.weight


def test_flop_formula_agrees_with_flop_counter_within_5_percent() -> None:
    torch.manual_seed(0)
    model = Gpt(CPU_SMALL)
    idx = torch.randint(0, 65, (2, 64))
    # The CPU's fused attention kernel has no FLOP formula in FlopCounterMode; the
    # math backend runs attention as plain matmuls, which the counter sees.
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        _, loss = model(idx, idx)
        assert loss is not None
        loss.backward()
    counted_per_token = counter.get_total_flops() / idx.numel()
    formula = flops_per_token(CPU_SMALL)
    assert counted_per_token == pytest.approx(formula, rel=0.05)
    # The whole difference is 6 FLOPs per LayerNorm gain: the formula's 6N counts
    # them as if they were matmul weights; the counter sees only matmuls.
    layer_norm_gains = (2 * CPU_SMALL.n_layer + 1) * CPU_SMALL.n_embd
    assert formula - counted_per_token == 6 * layer_norm_gains


def test_loss_of_an_untrained_model_is_near_ln_vocab() -> None:
    torch.manual_seed(0)
    model = Gpt(CPU_SMALL)
    idx, targets = torch.randint(0, 65, (2, 4, 64))
    with torch.no_grad():
        _, loss = model(idx, targets)
    assert loss is not None
    assert float(loss) == pytest.approx(torch.log(torch.tensor(65.0)).item(), rel=0.05)


def test_gemm_shapes_are_the_linear_layers_at_the_micro_batch() -> None:
    shapes = {g.name: (g.m, g.n, g.k) for g in gemm_shapes(CPU_SMALL, 12)}
    assert shapes == {
        "attn.qkv": (768, 384, 128),
        "attn.out_proj": (768, 128, 128),
        "mlp.expand": (768, 512, 128),
        "mlp.contract": (768, 128, 512),
        "lm_head": (768, 65, 128),
    }
    assert {g.m for g in gemm_shapes(CPU_SMALL, 12, batch_multiple=4)} == {3072}
