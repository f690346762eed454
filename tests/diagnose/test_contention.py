"""Other processes' share of the CPUs while the runs were measured."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from diagnose_fakes import FakeClock, FakeRunner

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.diagnose.noise import CpuSample, others_share, sample
from mfu_advisor.diagnose.orchestrate import DiagnoseRequest, Diagnosis
from mfu_advisor.rules import example_facts as ex


def test_others_share_is_busy_time_not_ours_over_wall_time_and_cpus() -> None:
    before = CpuSample(machine_busy_s=100.0, ours_s=10.0)
    after = CpuSample(machine_busy_s=116.0, ours_s=22.0)  # 16 s busy, 12 s of it ours
    assert others_share(before, after, wall_s=8.0, cpus=2) == pytest.approx(4.0 / 16.0)


def test_others_share_is_unknown_without_samples_and_clamped_to_one() -> None:
    assert others_share(None, CpuSample(1, 1), 1.0, 2) is None
    assert others_share(CpuSample(0, 0), CpuSample(100, 0), 1.0, 2) == 1.0


def test_the_busy_fields_of_proc_stat_are_summed_in_clock_ticks(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal
    stat.write_text("cpu  100 20 30 999 50 4 6 70 0 0\ncpu0 1 2 3 4\n")
    reading = sample(stat)
    assert reading is not None
    assert reading.machine_busy_s == pytest.approx(160 / os.sysconf("SC_CLK_TCK"))


def test_a_machine_busy_during_the_runs_is_a_finding() -> None:
    clock = FakeClock()
    readings = iter(
        [CpuSample(100.0 * i, 0.0) for i in range(40)]  # others busy 100 s per 8 s run on 2 CPUs
    )
    result = Diagnosis(
        DiagnoseRequest(asked=BenchOptions()),
        run_process=FakeRunner(clock),
        probe=ex.machine,
        clock=clock,
        sample_cpu=lambda: next(readings),
    ).run()
    assert result.noise is not None and result.noise.other_cpu_share_max == 1.0
    busy = next(f for f in result.findings if f.symbol == "machine-busy")
    assert "Other processes kept 100% of this machine's CPUs busy" in busy.explanation
