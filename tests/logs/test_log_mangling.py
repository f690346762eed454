"""Every fixture log, mangled the ways terminals, loggers and pastes mangle logs, reads exactly like
its clean self: same format, same steps, same step time, same throughput and MFU."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from log_helpers import LOGS, as_json
from mangle import MANGLINGS

from mfu_advisor.logs.pipeline import analyze_inputs

#: Clean logs the harness mangles: the real ones and those written from print statements
#: (SOURCES.md); not the robustness variants themselves.
CLEAN = sorted(
    p.name
    for p in LOGS.glob("*.log")
    if not any(
        tag in p.name for tag in ("crlf", "latin1", "ansi", "truncated", "two_runs", "empty")
    )
) + sorted(p.relative_to(LOGS).as_posix() for p in (LOGS / "wild").glob("*.log"))


def figures(path: str) -> dict[str, Any]:
    """The figures a mangled copy must keep."""
    doc = as_json(analyze_inputs([path]))
    mfu = doc["mfu"]
    return {
        "format": doc["format"],
        "steps": doc["steps"],
        "step_time_ms": doc["steady_step_time_ms"],
        "tokens_per_s": doc["tokens_per_s"],
        "mfu": mfu.get("value") if isinstance(mfu, dict) else mfu,
        "reported_mfu": doc["reported_mfu"],
        "devices": doc["devices"],
    }


_clean_cache: dict[str, dict[str, Any]] = {}


def clean_figures(name: str) -> dict[str, Any]:
    if name not in _clean_cache:
        _clean_cache[name] = figures(str(LOGS / name))
    return _clean_cache[name]


def same(mangled: dict[str, Any], clean: dict[str, Any], *, last_line_cut: bool) -> None:
    """Equal figures; with the last line cut, that line's numbers are not read (they may be cut
    short), so a median over one value fewer may move a little (these logs are short) and a
    figure only that line held is missing, but no figure is ever a different number."""
    for key, value in clean.items():
        got = mangled[key]
        if last_line_cut and key == "steps":
            assert value - 1 <= got <= value, key
        elif last_line_cut and got is None:
            continue
        elif isinstance(value, float) and isinstance(got, float):
            assert got == pytest.approx(value, rel=0.05 if last_line_cut else 1e-9), key
        else:
            assert got == value, key


@pytest.mark.parametrize("mangling", sorted(MANGLINGS))
@pytest.mark.parametrize("name", CLEAN)
def test_mangled_copy_reads_like_the_clean_log(tmp_path: Path, name: str, mangling: str) -> None:
    data = (LOGS / name).read_bytes()
    path = tmp_path / (Path(name).name + (".gz" if mangling == "gzip" else ""))
    path.write_bytes(MANGLINGS[mangling](data))
    same(figures(str(path)), clean_figures(name), last_line_cut=mangling == "truncated")


@pytest.mark.parametrize("name", CLEAN)
def test_log_piped_on_stdin_reads_like_the_file(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    data = (LOGS / name).read_bytes()

    class Stdin:
        buffer = io.BytesIO(data)

    monkeypatch.setattr(sys, "stdin", Stdin())
    same(figures("-"), clean_figures(name), last_line_cut=False)


@pytest.mark.parametrize("name", CLEAN)
def test_two_concatenated_runs_show_a_restart(tmp_path: Path, name: str) -> None:
    data = (LOGS / name).read_bytes()
    if not data.endswith(b"\n"):
        data += b"\n"
    path = tmp_path / Path(name).name
    path.write_bytes(data + data)
    clean = as_json(analyze_inputs([str(LOGS / name)]))
    if clean["steps"] < 2:
        pytest.skip("a log without two step lines has no run to see restart")
    doubled = as_json(analyze_inputs([str(path)]))
    assert doubled["restart_count"] >= clean["restart_count"] + 1
    assert doubled["steps"] == 2 * clean["steps"]
    if clean["steady_step_time_ms"] is not None:
        assert doubled["steady_step_time_ms"] == pytest.approx(
            clean["steady_step_time_ms"], rel=0.02
        )
