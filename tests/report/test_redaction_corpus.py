"""A corpus of planted secrets: none survives --redact in JSON, Markdown, HTML or the terminal."""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path

import pytest
from redaction_corpus import CORPUS
from report_fixtures import diagnose_document

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report
from mfu_advisor.report.output import redact_report


def _planted_report() -> Report:
    doc = diagnose_document()
    doc["analysis"]["notes"] = [p.line for p in CORPUS]  # notes show in every format
    return Report.from_json(doc)


def _rendered(report: Report) -> dict[OutputFormat, str]:
    return {
        fmt: render(report, fmt, width=400, color=False)
        if fmt is OutputFormat.TEXT
        else render(report, fmt)
        for fmt in OutputFormat
    }


def _survivors(text: str) -> list[str]:
    plain = html.unescape(text).lower()
    return [p.kind + ": " + p.secret for p in CORPUS if p.secret.lower() in plain]


def test_the_corpus_is_large_and_every_secret_shows_without_redaction() -> None:
    assert len(CORPUS) >= 60
    assert len(Counter(p.kind for p in CORPUS)) >= 26
    for fmt, text in _rendered(_planted_report()).items():
        assert len(_survivors(text)) == len(CORPUS), fmt  # the test can see every secret


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_no_planted_secret_survives_redaction(fmt: OutputFormat) -> None:
    out = _rendered(redact_report(_planted_report()))[fmt]
    assert _survivors(out) == []


def test_redaction_keeps_what_diagnoses() -> None:
    notes = redact_report(_planted_report()).payload["analysis"]["notes"]

    def note(kind: str, nth: int = 0) -> str:
        return [n for p, n in zip(CORPUS, notes, strict=True) if p.kind == kind][nth]

    assert note("ipv4-stop") == "Rendezvous at <ip>."
    assert note("nccl", 1) == "<host>:77:91 [1] NCCL INFO Channel 00/02"
    assert note("home") == "~/nanoGPT/train.py:196: FutureWarning"
    assert note("scratch") == "saving checkpoint to /scratch/<user>/ckpt/model.pt"
    assert note("master") == "master_addr: <host>"
    assert note("wandb-key") == "WANDB_API_KEY=<secret>"
    assert note("slurm") == "SLURM_JOB_NODELIST=<host>"
    assert note("serial") == "    Serial Number                         : <serial>"
    assert note("gpu-uuid") == "GPU 0: NVIDIA A100 (UUID: GPU-<serial>)"
    assert note("mac") == "link/ether <mac> brd ff:ff:ff:ff:ff:ff"


def test_the_cli_redacts_a_saved_result_in_every_format(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mfu_advisor.cli import cli

    saved = tmp_path / "result.json"
    saved.write_text(json.dumps(_planted_report().to_json()))
    runner = CliRunner()
    for args in ([], ["--json"], ["--markdown"], ["--html", str(tmp_path / "r.html")]):
        done = runner.invoke(cli, ["report", str(saved), "--redact", *args])
        assert done.exit_code == 0, done.output
        text = (tmp_path / "r.html").read_text() if args[:1] == ["--html"] else done.stdout
        assert _survivors(text) == []


def test_a_hand_edited_redacted_mark_shows_no_badge_and_is_not_kept(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mfu_advisor.cli import cli

    doc = _planted_report().to_json()
    doc["redacted"] = True  # the data below is not redacted
    saved = tmp_path / "result.json"
    saved.write_text(json.dumps(doc))
    runner = CliRunner()
    for args in ([], ["--markdown"], ["--json"]):
        done = runner.invoke(cli, ["report", str(saved), *args])
        assert done.exit_code == 0
        assert "redacted" not in done.stdout.lower()
    done = runner.invoke(cli, ["report", str(saved), "--markdown", "--redact"])
    assert "redacted" in done.stdout.lower()
