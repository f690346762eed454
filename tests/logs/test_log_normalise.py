"""Line normalisation: prefixes that loggers, terminals and pastes add are removed before any reader
sees a line; a trainer's own timestamp that it reads is kept."""

from __future__ import annotations

import pytest
from log_helpers import LOGS, analyze_log

from mfu_advisor.logs.normalise import PLAIN, fit
from mfu_advisor.logs.pipeline import analyze_inputs

STEP = "iter 10: loss 3.2202, time 893.76ms, mfu 16.68%"


@pytest.mark.parametrize(
    "prefix",
    [
        "2024-05-01 12:00:01,123 INFO ",
        "2024-05-01 12:00:01,123 - INFO - ",
        "2024-05-01 12:00:01,123 - INFO - __main__ - ",
        "05/01/2024 12:00:01 - INFO - __main__ - ",
        "2024-05-01 12:00:01 [INFO] ",
        "2024-05-01 12:00:01,123:INFO:train:",
        "2024-05-01 12:00:01.123 | INFO     | __main__:main:42 - ",
        "[2024-05-01 12:00:01,123] INFO: ",
        "[2024-05-01 12:00:01,123][__main__][INFO] - ",
        "[2024-05-01 12:00:01] ",
        "2024-05-01T12:00:01.123456789Z ",
        "[INFO|trainer.py:2048] 2024-05-01 12:00:01,123 >> ",
        "I0501 12:00:01.123456 140211 train.py:12] ",
        "May  1 12:00:01 gpu-node-3 python[4242]: ",
        "INFO:__main__:",
        "WARNING:root:",
        "> ",
        "    ",
        "\t",
        "> 2023-03-22 09:30:39 ",
        "2024-05-01 12:00:01,123 INFO INFO:__main__:",
        "[2024-05-01 12:00:01,123] [INFO] [axolotl.train.log:60] [PID:1234] [RANK:0] ",
        "[12:00:01] INFO     ",
        "03:22:14 [INFO] [TRAIN] [Rank 0] ",
    ],
)
def test_prefix_is_removed(prefix: str) -> None:
    lines = [prefix + STEP] * 3
    assert fit(lines).lines(lines) == [STEP] * 3


def test_an_unprefixed_input_is_passed_through_untouched() -> None:
    lines = (LOGS / "nanogpt_1.log").read_text().splitlines()
    assert fit(lines) is PLAIN
    assert PLAIN.lines(lines) == lines


def test_torchtitans_own_timestamp_is_kept_unless_asked() -> None:
    line = "2024-08-19 11:10:40,777 - root - INFO - step: 20  loss: 11.9455  wps: 111,714"
    outer = "2024-05-01 12:00:01,123 INFO " + line
    assert fit([outer]).lines([outer]) == [line]
    assert fit([line], keep_own_stamps=False).lines([line]) == [line.split(" - INFO - ")[1]]


def test_glued_tqdm_bar_goes_to_its_own_line() -> None:
    bar = "  45%|####5     | 45/100 [00:09<00:11,  4.90it/s]"
    assert PLAIN.lines([bar + STEP]) == [bar, STEP]
    postfix = " 10%|#| 10/100 [00:32<53:42,  3.25s/it, Loss=3.4376, LR=1.00e-04]"
    assert PLAIN.lines([postfix + STEP]) == [postfix, STEP]


def test_byte_order_marks_are_dropped_anywhere() -> None:
    assert PLAIN.apply(b"\xef\xbb\xbfiter 1\n\xef\xbb\xbfiter 2\n") == b"iter 1\niter 2\n"


def test_a_learned_prefix_shape_removes_the_same_as_the_pattern() -> None:
    prefixed = [f"2024-05-01 12:00:{i % 60:02d},{i % 1000:03d} INFO {STEP}" for i in range(40)]
    normaliser = fit(prefixed)
    assert normaliser.shape is not None and normaliser.shape.width == len(
        "2024-05-01 12:00:01,123 INFO "
    )
    mixed = [*prefixed[:3], "", "a warning without a prefix", "WARNING:root:" + STEP, "2024"]
    assert normaliser.lines(mixed) == [STEP] * 3 + ["", "a warning without a prefix", STEP, "2024"]


def test_a_prefix_never_changes_the_figures(tmp_path) -> None:
    clean = analyze_log("nanogpt_gpt2_8gpu_warnings.log")
    text = (LOGS / "nanogpt_gpt2_8gpu_warnings.log").read_text()
    path = tmp_path / "prefixed.log"
    path.write_text("".join("> 2024-05-01 12:00:01 " + line + "\n" for line in text.splitlines()))
    mangled = analyze_inputs([str(path)])
    assert (mangled.format, mangled.steps) == (clean.format, clean.steps)
    assert mangled.steady_step_time_ms == clean.steady_step_time_ms
    assert mangled.tokens_per_step == clean.tokens_per_step
    assert mangled.flops_per_token == clean.flops_per_token
