"""Real 2-rank jobs on loopback (gloo): figures from both ranks, and failures that end cleanly.

Each test runs ``python -m mfu_advisor.bench --nproc-per-node 2`` as a user
would: torchrun, two ranks, DDP. A few seconds of steps each; what they assert
is arithmetic and process hygiene, never a speed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "bench.schema.json").read_text())
SMALL = ["--preset", "cpu-small", "--n_layer=1", "--batch_size=4", "--warmup=1"]


def _bench(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MFU_ADVISOR_NO_CACHE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "mfu_advisor.bench", *SMALL, "--nproc-per-node", "2", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_ranks_report_per_rank_and_job_figures_that_add_up() -> None:
    bench = _bench("--budget=1.5", "--no-roofline", "--json")
    out, err = bench.communicate(timeout=240)
    assert bench.returncode == 0, err
    doc: dict[str, Any] = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    ranks, job = doc["ranks"], doc["job"]
    assert [r["rank"] for r in ranks] == [0, 1]
    assert [r["cpus"] for r in ranks] == doc["distributed"]["cpus_per_rank"]
    assert doc["distributed"]["backend"] == "gloo" and doc["distributed"]["world_size"] == 2
    per_rank_tokens = 4 * 64  # batch_size x block_size, one micro-batch
    for rank in ranks:
        assert rank["tokens_per_s"] == pytest.approx(
            per_rank_tokens / (rank["step_time_ms"]["median"] / 1e3)
        )
        assert rank["achieved_flops"] == pytest.approx(
            rank["tokens_per_s"] * doc["flops_per_token"]
        )
        assert 0 <= rank["communication_fraction"] < 1
        assert rank["step_time_ms"]["steps"] == doc["distributed"]["sync_steps"] >= 6
    assert job["tokens_per_step"] == 2 * per_rank_tokens == doc["effective_batch_tokens"]
    assert job["tokens_per_s"] == pytest.approx(sum(r["tokens_per_s"] for r in ranks))
    assert job["achieved_flops"] == pytest.approx(sum(r["achieved_flops"] for r in ranks))
    assert doc["tokens_per_s"] == job["tokens_per_s"]
    if job["peak_flops"] is not None:
        assert job["peak_flops"] == pytest.approx(sum(r["peak_flops"] for r in ranks))
        assert job["mfu"] == pytest.approx(job["achieved_flops"] / job["peak_flops"])
    shares = sorted(r["communication_fraction"] for r in ranks)
    assert doc["communication_fraction"] == pytest.approx(sum(shares) / 2)
    assert doc["scaling"]["efficiency"] == pytest.approx(
        job["tokens_per_s"] / (2 * doc["scaling"]["reference_tokens_per_s"])
    )


def _rank_process(
    bench: subprocess.Popen[str], rank: int, state: str
) -> tuple[psutil.Process, str]:
    """Rank ``rank``'s worker process and its run folder, once its status says ``state``."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert bench.poll() is None, bench.communicate()[1]
        for child in psutil.Process(bench.pid).children(recursive=True):
            try:
                cmdline = child.cmdline()
                if "mfu_advisor.distributed.worker" not in cmdline:
                    continue
                if child.environ().get("RANK") != str(rank):
                    continue
            except psutil.Error:
                continue
            run_dir = cmdline[-1]
            status = Path(run_dir) / f"rank-{rank}.status.json"
            try:
                if json.loads(status.read_text())["state"] == state:
                    return child, run_dir
            except (OSError, ValueError, KeyError):
                pass
        time.sleep(0.2)
    raise AssertionError(f"rank {rank} never reached {state}")


def _left_over(run_dir: str) -> list[str]:
    """Processes that still name the job's run folder (a rank or anything it started)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info.get("cmdline") or []
        if any(run_dir in part for part in cmdline):
            found.append(" ".join(cmdline))
    return found


def test_a_rank_that_dies_ends_the_job_naming_it_and_leaves_no_process() -> None:
    bench = _bench("--budget=120", "--no-roofline", "--no-scaling", "--json")
    worker, run_dir = _rank_process(bench, 1, "measuring")
    killed_at = time.monotonic()
    worker.send_signal(signal.SIGKILL)
    out, err = bench.communicate(timeout=90)
    assert time.monotonic() - killed_at < 60
    assert bench.returncode == 3
    assert out == ""
    lines = err.strip().splitlines()
    assert lines[-1].startswith("Error: rank 1 died during measuring"), err
    assert "SIGKILL" in lines[-1]
    assert "Traceback" not in err
    assert _left_over(run_dir) == []


def test_a_rank_that_hangs_ends_the_job_within_the_timeout_naming_it() -> None:
    bench = _bench("--budget=120", "--no-roofline", "--no-scaling", "--rank-timeout=4", "--json")
    worker, run_dir = _rank_process(bench, 1, "measuring")
    stopped_at = time.monotonic()
    worker.send_signal(signal.SIGSTOP)  # a rank that stops making progress, process still there
    try:
        _out, err = bench.communicate(timeout=90)
    finally:
        if worker.is_running():
            worker.send_signal(signal.SIGKILL)
    assert time.monotonic() - stopped_at < 4 + 30
    assert bench.returncode == 3
    last = err.strip().splitlines()[-1]
    assert last.startswith("Error: rank 1 hung: no step finished for"), err
    assert "its process stopped running" in last
    assert _left_over(run_dir) == []
