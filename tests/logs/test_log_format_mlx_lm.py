"""mlx_lm.lora's report lines: the step time is 1 / It/sec, the tokens/s the job's."""

from __future__ import annotations

import pytest
from log_helpers import LOGS

from mfu_advisor.logs.pipeline import analyze_inputs

WILD = LOGS / "wild"


def test_step_time_and_tokens_from_the_report_lines() -> None:
    result = analyze_inputs([str(WILD / "mlx_lm_pr421_apertus.log")])
    assert result.format == "mlx_lm"
    assert result.steps == 4
    # It/sec 1.316, 1.387, 1.493, 1.447: the median step is between 1/1.387 and 1/1.447.
    assert result.steady_step_time_ms == pytest.approx((1 / 1.387 + 1 / 1.447) / 2 * 1000)
    assert result.tokens_per_s == pytest.approx((135.937 + 140.110) / 2)
    assert result.evals.count == 1


def test_a_tqdm_bar_glued_before_an_iter_line_still_reads() -> None:
    result = analyze_inputs([str(WILD / "mlx_vlm_pr261_logging_tqdm.log")])
    assert result.format == "mlx_lm" and result.steps == 2
