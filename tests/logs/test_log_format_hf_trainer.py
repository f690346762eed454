"""Hugging Face Trainer logs: dict lines, quoted numbers, summaries, tqdm progress."""

from __future__ import annotations

import pytest
from log_helpers import analyze_log

from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.formats.hf_trainer import parse_dict


def test_hf_qlora_run_step_time_from_steps_per_second() -> None:
    # SOURCES: 10 loss dicts (no grad_norm), loss 1.7093 -> 1.0668, 200 steps,
    # ~1396.6 ms/step from 0.716 steps/s.
    result = analyze_log("hf_trainer_1.log")
    assert result.format == "hf_trainer" and result.steps == 10
    assert result.steady_step_time_ms == pytest.approx(1000 / 0.716)
    assert result.summary["global_step"] == 200
    assert result.summary["train_runtime"] == pytest.approx(279.3049)
    assert result.loss.first == pytest.approx(1.7093) and result.loss.last == pytest.approx(1.0668)
    assert isinstance(result.tokens_per_s, Unavailable) and "seq_len" in result.tokens_per_s.reason
    assert result.files[0].lines_not_understood == 0


def test_hf_quoted_strings_and_hms_runtime() -> None:
    # SOURCES: 0 step lines; runtime 2219 s = 0:36:58.55; 0.185 steps/s (~5405 ms/step).
    result = analyze_log("hf_trainer_2.log")
    assert result.steps == 0
    assert result.summary["train_runtime"] == pytest.approx(36 * 60 + 58.55)
    assert result.summary["train_samples_per_second"] == pytest.approx(1.474)
    assert result.summary["train_loss"] == pytest.approx(0.7228)
    assert result.steady_step_time_ms == pytest.approx(1000 / 0.185)


def test_hf_tqdm_carriage_returns_evals_and_total_flos() -> None:
    result = analyze_log("hf_trainer_tqdm_cr.log", seq_len=512)
    assert result.steps == 4 and result.evals.count == 1
    assert result.files[0].lines_not_understood == 0
    # train_runtime from the metrics block (0:00:21.45), which comes after the dict line.
    assert result.eval_time_fraction == pytest.approx(0.4531 / 21.45)
    assert result.summary["total_flos"] == 12345 * 2**30
    assert result.achieved_flops == pytest.approx(12345 * 2**30 / 21.45)
    assert result.tokens_per_step == 8 * 512  # total train batch x --set seq_len
    assert result.devices == 1
    assert result.config["n_trainable_params"] == 124_439_808


def test_parse_dict_reads_numbers_quoted_or_not() -> None:
    assert parse_dict("{'loss': 1.5, 'epoch': '3', 'lr': 2e-05, 'name': 'x'}") == {
        "loss": 1.5,
        "epoch": 3.0,
        "lr": 2e-05,
        "name": "x",
    }
