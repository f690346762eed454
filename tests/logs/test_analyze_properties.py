"""Property-based tests: random and mangled input never crashes the reader or the analysis."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from log_helpers import LOGS

from mfu_advisor.errors import UserError
from mfu_advisor.logs.pipeline import analyze_inputs
from mfu_advisor.logs.ranks import detect_style
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.report.json_format import render_json
from mfu_advisor.report.model import Command, make_report

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "schemas" / "analyze.schema.json").read_text()
)
REAL_LOGS = sorted(p.name for p in LOGS.iterdir() if p.suffix == ".log" and p.stat().st_size)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def analyze_bytes(data: bytes, **kwargs: object) -> LogAnalysis | None:
    """The analysis of ``data`` written to a file, or None when it is refused as bad input."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.log"
        path.write_bytes(data)
        try:
            return analyze_inputs([str(path)], **kwargs)  # type: ignore[arg-type]
        except UserError as exc:
            assert "\n" not in str(exc.message)
            return None


def check_document(result: LogAnalysis | None) -> None:
    if result is None:
        return
    text = render_json(make_report(Command.ANALYZE, result))
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(text))


@SETTINGS
@given(st.binary(max_size=4000))
def test_random_bytes_never_crash(data: bytes) -> None:
    check_document(analyze_bytes(data))


@SETTINGS
@given(
    name=st.sampled_from(REAL_LOGS),
    seed=st.integers(0, 2**32 - 1),
    edits=st.integers(1, 12),
)
def test_mangled_real_logs_never_crash(name: str, seed: int, edits: int) -> None:
    rng = random.Random(seed)
    data = bytearray((LOGS / name).read_bytes())
    for _ in range(edits):
        if not data:
            break
        at = rng.randrange(len(data))
        action = rng.randrange(5)
        if action == 0:
            del data[at : at + rng.randrange(1, 40)]
        elif action == 1:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
        elif action == 2:
            data[at:at] = rng.choice(
                [b"\r", b"\x1b[31m", b"\x00", b"\xff\xfe", b"nan", b"-100.00%", b"\n"]
            )
        elif action == 3:
            del data[at:]
        else:
            data[at:at] = data[max(0, at - 200) : at]
    check_document(analyze_bytes(bytes(data)))


@SETTINGS
@given(name=st.sampled_from(REAL_LOGS), seed=st.integers(0, 2**32 - 1))
def test_shuffled_lines_never_crash(name: str, seed: int) -> None:
    lines = (LOGS / name).read_bytes().splitlines(keepends=True)
    random.Random(seed).shuffle(lines)
    check_document(analyze_bytes(b"".join(lines)))


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_shuffling_keeps_every_nanogpt_step_line(seed: int) -> None:
    lines = (LOGS / "nanogpt_cpu_300.log").read_bytes().splitlines(keepends=True)
    random.Random(seed).shuffle(lines)
    result = analyze_bytes(b"".join(lines), format_name="nanogpt")
    assert result is not None and result.steps == 301


@pytest.mark.parametrize(
    "format_name",
    ["nanogpt", "llmc", "nanochat", "torchtitan", "hf_trainer", "megatron", "litgpt", "generic"],
)
def test_every_format_survives_every_fixture(format_name: str) -> None:
    for name in REAL_LOGS:
        check_document(analyze_bytes((LOGS / name).read_bytes(), format_name=format_name))


RANK_PREFIXES = ["[rank{}]:", "[default{}]:", "{}: ", "rank {}: "]


@SETTINGS
@given(
    name=st.sampled_from(REAL_LOGS),
    seed=st.integers(0, 2**32 - 1),
    prefix=st.sampled_from(RANK_PREFIXES),
    ranks=st.integers(1, 4),
)
def test_rank_prefixed_real_logs_never_crash(name: str, seed: int, prefix: str, ranks: int) -> None:
    """Each line printed by a random rank (some by the launcher, unprefixed), as torchrun --tee
    or srun --label interleave them."""
    rng = random.Random(seed)
    lines = (LOGS / name).read_bytes().splitlines(keepends=True)
    out = [
        line if rng.random() < 0.1 else prefix.format(rng.randrange(ranks)).encode() + line
        for line in lines
    ]
    check_document(analyze_bytes(b"".join(out)))


@SETTINGS
@given(name=st.sampled_from(REAL_LOGS), prefix=st.sampled_from(RANK_PREFIXES))
def test_rank_zero_prefix_keeps_the_figures(name: str, prefix: str) -> None:
    data = (LOGS / name).read_bytes()
    lines = data.splitlines(keepends=True)
    if detect_style(data.decode("utf-8", errors="replace").splitlines()) is not None:
        return  # already prefixed by its ranks: another prefix in front is not rank 0 alone
    prefixed = b"".join(prefix.format(0).encode() + line for line in lines)
    plain, ranked = analyze_bytes(data), analyze_bytes(prefixed)
    if plain is None:
        return
    assert ranked is not None
    for key in ("format", "steps", "steady_step_time_ms", "tokens_per_s", "achieved_flops"):
        assert getattr(ranked, key) == getattr(plain, key), key
