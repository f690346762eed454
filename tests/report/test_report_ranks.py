"""The data-parallel part of a bench report, from the recorded 2-rank run on the Zen 3 VM."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from mfu_advisor.report.content.bench import HIGH_COMMUNICATION, HIGH_SPREAD, ranks_blocks
from mfu_advisor.report.content.blocks import Paragraph, Table, Tone
from mfu_advisor.report.values import percent, rate
from mfu_advisor.rules import distributed_rules

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"


def _ddp() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / "bench_cpu_small_ddp2_zen3.json").read_text())
    return doc


def test_a_single_process_result_has_no_ranks_part() -> None:
    single = json.loads((DATA / "bench_cpu_small_zen3.json").read_text())
    assert ranks_blocks(single) == ()


def test_the_job_sentence_and_a_row_per_rank_carry_the_recorded_figures() -> None:
    run = _ddp()
    sentence, table = ranks_blocks(run)
    assert isinstance(sentence, Paragraph) and isinstance(table, Table)
    assert sentence.text.startswith("Data-parallel run (DDP): 2 ranks x 1 thread (gloo, torchrun)")
    assert rate(run["job"]["tokens_per_s"]) in sentence.text
    assert f"takes {percent(run['communication_fraction'])} of the median rank's step" in (
        sentence.text
    )
    assert f"scaling efficiency {percent(run['scaling']['efficiency'])}" in sentence.text
    assert [row[0] for row in table.rows] == ["0 (CPU 0)", "1 (CPU 1)"]
    assert [row[3] for row in table.rows] == [
        percent(r["communication_fraction"]) for r in run["ranks"]
    ]
    assert sentence.tone == Tone.PLAIN  # 10.8% all-reduce, 3.7% spread: nothing to warn of


def test_a_high_all_reduce_share_reads_as_a_warning() -> None:
    run = copy.deepcopy(_ddp())
    run["communication_fraction"] = HIGH_COMMUNICATION + 0.01
    assert ranks_blocks(run)[0].tone == Tone.WARN  # type: ignore[union-attr]


def test_an_efficiency_above_one_is_explained_as_a_busier_reference() -> None:
    run = copy.deepcopy(_ddp())
    run["scaling"]["efficiency"] = 1.3
    text = ranks_blocks(run)[0].text  # type: ignore[union-attr]
    assert "above 100%: the reference ran slower than each rank" in text


def test_the_warning_thresholds_are_the_rules() -> None:
    assert HIGH_COMMUNICATION == distributed_rules.COMMUNICATION_SHARE_THRESHOLD
    assert HIGH_SPREAD == distributed_rules.STRAGGLER_SPREAD_THRESHOLD
