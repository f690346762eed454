"""Golden figures for every fixture log: format, step lines, steady step time, tokens/s, and
the recomputed MFU against a stated peak (the hardware each run plausibly used)."""

from __future__ import annotations

import pytest
from log_helpers import LOGS, analyze_log

from mfu_advisor.facts import Unavailable

# name, format, step lines, steady median (ms), tokens/s (None: the log does not allow it),
# peak TFLOP/s given with --peak-tflops, MFU against it (None: a figure is missing).
GOLDEN = [
    ("generic_custom_loop.log", "generic", 30, 412.3, 19870.0, 312, None),
    ("hf_trainer_1.log", "hf_trainer", 10, 1000 / 0.716, None, 312, None),
    ("hf_trainer_2.log", "hf_trainer", 0, 1000 / 0.185, None, 312, None),
    (
        "hf_trainer_tqdm_cr.log",
        "hf_trainer",
        4,
        1000 / 1.865,
        None,
        19.5,
        12345 * 2**30 / 21.45 / 19.5e12,
    ),
    ("litgpt_3.log", "litgpt", 22, 207.855, None, 312, None),
    ("litgpt_current.log", "litgpt", 16, 310.12, None, 312, 54.07 / 0.31012 / 312),
    ("llmc_1.log", "llmc", 21, 2414.74, 190706.0, 312, 855_383_040 * 190706 / 312e12),
    ("llmc_3.log", "llmc", 10, 2453.0, None, 1.0, None),
    (
        "llmc_cpu_upstream.log",
        "llmc",
        11,
        3199.7,
        256 / 3.1997,
        1.0,
        749_214_720 * 256 / 3.1997 / 1e12,
    ),
    (
        "maxtext_deepseek2_16b_tpu_v5p.log",
        "maxtext",
        10,
        1012.0,
        2024.6,
        459,
        31.496 / 459,  # the figure MaxText's guide computes for this run
    ),
    ("megatron_1.log", "megatron", 3, 5533.8, None, 989, 236.0 / 989),
    ("megatron_args.log", "megatron", 12, 9145.9, 256 * 4096 / 9.1459, 989, 145.6 / 989),
    ("nanochat_1.log", "nanochat", 7, 992.91, 528029.0, 312, None),
    (
        "nanochat_h100x8_new.log",
        "nanochat",
        30,
        411.91,
        1272827.0,
        989,
        1.123456e9 * 1272827 / 8 / 989e12,
    ),
    ("nanogpt_1.log", "nanogpt", 25, 894.415, None, 312, None),
    ("nanogpt_3.log", "nanogpt", 8, 130.44, None, 3.6, None),
    ("nanogpt_3_crlf.log", "nanogpt", 8, 130.44, None, 3.6, None),
    ("nanogpt_3_latin1.log", "nanogpt", 8, 130.44, None, 3.6, None),
    (
        "nanogpt_bench.log",
        "nanogpt",
        30,
        91.3512,
        8192 / 0.0913512,
        165.2,
        854_770_176 * 8192 / 0.0913512 / 165.2e12,
    ),
    (
        "nanogpt_cpu_300.log",
        "nanogpt",
        301,
        66.37,
        768 / 0.06637,
        1.0,
        5_192_448 * 768 / 0.06637 / 1e12,
    ),
    (
        "nanogpt_cpu_300.log.gz",
        "nanogpt",
        301,
        66.37,
        768 / 0.06637,
        1.0,
        5_192_448 * 768 / 0.06637 / 1e12,
    ),
    ("nanogpt_gpt2_8gpu_warnings.log", "nanogpt", 31, 301.78, 491520 / 0.30178, 312, 0.5578),
    # 4 ranks: tokens/s count the job; the per-device FLOP/s is a quarter of the job's.
    (
        "nanogpt_ddp4_torchrun.log",
        "nanogpt",
        21,
        50.625,
        65536 / 0.050625,
        312,
        70_958_592 * 65536 / 0.050625 / 4 / 312e12,
    ),
    (
        "nanogpt_truncated.log",
        "nanogpt",
        57,
        71.195,
        768 / 0.071195,
        1.0,
        5_192_448 * 768 / 0.071195 / 1e12,
    ),
    (
        "nanogpt_two_runs.log",
        "nanogpt",
        138,
        71.405,
        768 / 0.071405,
        1.0,
        5_192_448 * 768 / 0.071405 / 1e12,
    ),
    ("torchtitan_1.log", "torchtitan", 6, 1396.9, 5864.0, 989, 0.34337),
    ("torchtitan_1_ansi.log", "torchtitan", 6, 1396.9, 5864.0, 989, 0.34337),
    ("torchtitan_3.log", "torchtitan", 5, 365.97, 111939.5, 989, None),
    # Two ranks interleaved: the main figures are rank 0's alone.
    ("torchtitan_2rank_interleaved.log", "torchtitan", 7, 1400.0, 5851.0, 989, 281.91 / 989),
    ("torchtitan_fallback_4090.log", "torchtitan", 5, 240.5, 68125.0, 165.2, 2.97 / 165.2),
]


def test_every_fixture_log_has_a_golden_row() -> None:
    names = {p.name for p in LOGS.iterdir() if p.suffix in (".log", ".gz") and p.stat().st_size}
    assert names == {row[0] for row in GOLDEN}


@pytest.mark.parametrize(("name", "fmt", "steps", "step_ms", "tokens_per_s", "peak", "mfu"), GOLDEN)
def test_golden_figures(
    name: str,
    fmt: str,
    steps: int,
    step_ms: float,
    tokens_per_s: float | None,
    peak: float,
    mfu: float | None,
) -> None:
    result = analyze_log(name, peak_tflops=peak)
    assert result.format == fmt
    assert result.steps == steps
    assert result.steady_step_time_ms == pytest.approx(step_ms, rel=1e-4)
    if tokens_per_s is None:
        assert isinstance(result.tokens_per_s, Unavailable) and result.tokens_per_s.reason
    else:
        assert result.tokens_per_s == pytest.approx(tokens_per_s, rel=1e-4)
    if mfu is None:
        assert result.mfu.value is None and result.mfu.reason
    else:
        assert result.mfu.value == pytest.approx(mfu, rel=2e-3)
