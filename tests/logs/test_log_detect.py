"""Format detection with a confidence, on every fixture."""

from __future__ import annotations

import pytest
from log_helpers import LOGS

from mfu_advisor.logs.detect import detect
from mfu_advisor.logs.reader import open_input

EXPECTED = {
    "nanogpt_1.log": "nanogpt",
    "nanogpt_3.log": "nanogpt",
    "nanogpt_cpu_300.log": "nanogpt",
    "nanogpt_cpu_300.log.gz": "nanogpt",
    "nanogpt_bench.log": "nanogpt",
    "nanogpt_gpt2_8gpu_warnings.log": "nanogpt",
    "nanogpt_ddp4_torchrun.log": "nanogpt",
    "nanogpt_3_crlf.log": "nanogpt",
    "llmc_1.log": "llmc",
    "llmc_3.log": "llmc",
    "llmc_cpu_upstream.log": "llmc",
    "nanochat_1.log": "nanochat",
    "nanochat_h100x8_new.log": "nanochat",
    "torchtitan_1.log": "torchtitan",
    "torchtitan_1_ansi.log": "torchtitan",
    "torchtitan_3.log": "torchtitan",
    "torchtitan_2rank_interleaved.log": "torchtitan",
    "torchtitan_fallback_4090.log": "torchtitan",
    "hf_trainer_1.log": "hf_trainer",
    "hf_trainer_2.log": "hf_trainer",
    "hf_trainer_tqdm_cr.log": "hf_trainer",
    "megatron_1.log": "megatron",
    "megatron_args.log": "megatron",
    "litgpt_3.log": "litgpt",
    "litgpt_current.log": "litgpt",
    "maxtext_deepseek2_16b_tpu_v5p.log": "maxtext",
    "generic_custom_loop.log": "generic",
}


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_each_fixture_is_detected(name: str, expected: str) -> None:
    detection = detect(open_input(str(LOGS / name)).peek_lines())
    assert detection is not None and detection.format.name == expected
    assert detection.confidence >= (0.5 if expected == "generic" else 0.6)


def test_a_short_paste_is_less_certain_than_a_full_log() -> None:
    lines = (LOGS / "nanogpt_1.log").read_text().splitlines()
    assert detect(lines[:2]).confidence == pytest.approx(0.4)
    assert detect(lines).confidence == 1.0


def test_lines_claimed_by_two_formats_lower_the_confidence() -> None:
    nanogpt = (LOGS / "nanogpt_1.log").read_text().splitlines()[:6]
    litgpt = (LOGS / "litgpt_3.log").read_text().splitlines()[:4]
    detection = detect(nanogpt + litgpt)
    assert detection.format.name == "nanogpt"
    assert detection.confidence == pytest.approx(0.6)
    assert detection.scores["litgpt"] == pytest.approx(0.4 * 0.8)


def test_nothing_recognised_gives_none() -> None:
    assert detect(["hello", "Collecting torch", ""]) is None
    assert detect([]) is None


def test_code_at_the_top_is_not_evidence() -> None:
    # modded-nanogpt prints its code first; a line of it looks like a Trainer summary key.
    lines = [
        "train_accumulation_steps = 8",
        "train_loss = 0.0",
        "***** this is a comment *****",
        *(f"step:{s}/100 train_time:{1000 + 97 * s}ms step_avg:97.00ms" for s in range(1, 30)),
    ]
    detection = detect(lines)
    assert detection is not None and detection.format.name == "modded_nanogpt"


def test_evaluation_lines_alone_do_not_choose_a_format() -> None:
    # llama2.c prints nanoGPT's evaluation line; its own step lines decide.
    lines = [
        "step 500: train loss 5.7373, val loss 5.9544",
        "500 | loss 6.0091 | lr 5.000000e-05 | 870067.53ms | mfu 0.19%",
        "510 | loss 5.2391 | lr 4.999939e-05 | 8175.64ms | mfu 0.19%",
        "step 600: train loss 5.5033, val loss 5.8008",
    ]
    detection = detect(lines)
    assert detection is not None and detection.format.name == "llama2c"
    assert detect(["step 500: train loss 5.7373, val loss 5.9544"]).candidates[0] == "nanogpt"  # type: ignore[union-attr]


def test_a_format_without_step_lines_comes_after_those_with_them() -> None:
    lines = ["Overriding config with config/train_gpt2.py:", "step 120 | loss 3.21 | time 812.5 ms"]
    detection = detect(lines)
    assert detection is not None
    assert detection.candidates.index("generic") < detection.candidates.index("nanogpt")
