"""The diagnosis end to end with a fake bench: order, budget, failures, Ctrl-C, the payload."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
from diagnose_fakes import DATA, FakeClock, FakeRunner

from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.diagnose.orchestrate import DiagnoseRequest, Diagnosis
from mfu_advisor.diagnose.result import DiagnoseResult
from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable
from mfu_advisor.report.model import Command, make_report
from mfu_advisor.rules import example_facts as ex

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "schemas" / "diagnose.schema.json").read_text()
)


def _diagnose(runner: FakeRunner, clock: FakeClock, **request: object) -> DiagnoseResult:
    fields = {"asked": BenchOptions(), "budget_s": 80.0, **request}
    return Diagnosis(
        DiagnoseRequest(**fields),  # type: ignore[arg-type]
        run_process=runner,
        probe=ex.machine,
        clock=clock,
    ).run()


def _experiments(result: DiagnoseResult) -> dict[str, object]:
    return {e.name: e for e in result.experiments}


def test_the_zen3_diagnosis_runs_batch_then_bf16_then_compile_each_interleaved() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock)
    result = _diagnose(runner, clock)
    assert [p.name for p in result.phases] == [
        "probe", "baseline", "baseline-aa", "experiment:batch-x4", "experiment:batch-x2",
        "experiment:autocast-bf16", "experiment:compile", "confirm:batch-x4", "rules",
    ]  # fmt: skip
    first_args = runner.calls[0][0]
    assert "--json" in first_args and "--no-roofline" not in first_args
    assert not any(a.startswith("--variant") for a in first_args)
    variants = [[a for a in args if a.startswith("--variant")] for args, _, _ in runner.calls[1:6]]
    assert variants == [
        ["--variant=batch_size=12"], ["--variant=batch_size=48"], ["--variant=batch_size=24"],
        ["--variant=dtype=bfloat16"], ["--variant=compile=True"],
    ]  # fmt: skip
    assert all("--no-roofline" in args for args, _, _ in runner.calls[1:])
    # The leading change confirmed in fresh processes, A B B A, nothing interleaved.
    confirm = [args for args, _, _ in runner.calls[6:]]
    assert [("--batch_size=48" in args) for args in confirm] == [False, True, True, False]
    assert not any(a.startswith("--variant") for args in confirm for a in args)


def test_an_interleaved_speedup_is_against_the_baseline_measured_with_it() -> None:
    clock = FakeClock()
    result = _diagnose(FakeRunner(clock, baseline_rates=(12200.0, 12000.0, 11000.0)), clock)
    batch = _experiments(result)["batch-x4"]
    assert batch.speedup == pytest.approx(17500 / 12000, rel=1e-3)
    # The pairs' own 3% with the 5% between-run drift, in quadrature.
    assert batch.pair_noise == pytest.approx(0.03)
    assert batch.noise == pytest.approx(math.hypot(0.03, 0.05), rel=1e-3)
    assert (batch.method.value, batch.pairs, batch.baseline_tokens_per_s) == (
        "interleaved",
        8,
        12000.0,
    )
    assert batch.verdict.value == "faster"
    # The baseline's own run is its run-to-run record; the interleaved arms are reported
    # apart (each shares its process with a different variant).
    assert result.noise is not None
    assert result.noise.baseline_runs_tokens_per_s == (12200.0,)
    assert result.noise.interleaved_baseline_tokens_per_s[:2] == (12000.0, 11000.0)
    assert isinstance(result.noise.run_to_run, Unavailable)
    assert "machine-busy" not in {f.symbol for f in result.findings}


def test_an_interleaved_speedup_within_its_noise_is_no_measurable_effect() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock, rates={"batch_size=48": 12500.0}, baseline_rates=(12000.0,) * 6,
                        paired_noise=0.06)  # fmt: skip
    batch = _experiments(_diagnose(runner, clock))["batch-x4"]
    assert batch.speedup == pytest.approx(12500 / 12000, rel=1e-3)
    assert batch.verdict.value == "within noise"


def test_a_variant_that_needs_its_own_process_is_bracketed_by_baseline_runs() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock, rates={"threads=1": 9000.0}, baseline_rates=(12000.0, 11800.0))
    quota = ex.machine(cpu=ex.zen3_vm_cpu(cgroup_cpu_limit=1.0, usable_cpus=1))
    result = Diagnosis(
        DiagnoseRequest(asked=BenchOptions(), budget_s=80.0),
        run_process=runner,
        probe=lambda: quota,
        clock=clock,
    ).run()
    names = [p.name for p in result.phases]
    assert names[:5] == [
        "probe", "baseline", "baseline-aa", "experiment:threads-usable", "baseline-repeat",
    ]  # fmt: skip
    threads = _experiments(result)["threads-usable"]
    assert runner.calls[2][2] == {"OMP_NUM_THREADS": "1"}
    assert not any(a.startswith("--variant") for a in runner.calls[2][0])
    assert threads.method.value == "separate runs"
    assert threads.baseline_tokens_per_s == pytest.approx(11900.0, rel=1e-3)
    assert threads.speedup == pytest.approx(9000 / 11900, rel=1e-3)


def test_the_zen3_findings_recommend_the_batch_and_mark_bf16_a_measured_dont() -> None:
    clock = FakeClock()
    result = _diagnose(FakeRunner(clock, baseline_rates=(12100.0,) * 6), clock)
    top = result.findings[0]
    assert top.symbol == "micro-batch-too-small"
    assert top.verified_speedup == pytest.approx(17500 / 12100, rel=1e-3)
    assert top.fix == "--batch_size=48"
    bf16 = next(f for f in result.findings if f.symbol == "bf16-without-native-support")
    assert bf16.kind.value == "dont"
    assert bf16.verified_speedup == pytest.approx(760 / 12100, rel=1e-3)
    assert "Your run reaches" in result.verdict
    assert "batch_size 12 -> 48" in result.verdict
    assert "16x slower" in result.verdict


def test_the_payload_validates_against_the_schema() -> None:
    clock = FakeClock()
    report = make_report(Command.DIAGNOSE, _diagnose(FakeRunner(clock), clock))
    jsonschema.validate(report.to_json(), SCHEMA)


def test_a_failed_variant_is_recorded_and_the_diagnosis_goes_on() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock, failures={"batch_size=48": "out of memory: try --batch_size=24"})
    result = _diagnose(runner, clock)
    failed = _experiments(result)["batch-x4"]
    assert failed.status.value == "failed"
    assert failed.reason == "out of memory: try --batch_size=24"
    assert _experiments(result)["batch-x2"].status.value == "ok"
    assert _experiments(result)["compile"].status.value == "ok"


def test_what_does_not_fit_the_budget_is_skipped_with_the_reason() -> None:
    clock = FakeClock()
    result = _diagnose(FakeRunner(clock, seconds_per_run=9.0), clock, budget_s=30.0)
    skipped = {e.name: e.reason for e in result.experiments if e.status.value == "skipped"}
    assert skipped["autocast-bf16"].startswith("not enough budget left (needs about")
    assert skipped["compile"].startswith("not enough budget left")
    assert result.elapsed_s <= 30.0 * 1.1


def test_every_process_gets_a_timeout_within_the_remaining_budget() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock)
    result = _diagnose(runner, clock, budget_s=60.0)
    assert all(timeout <= 60.0 for _, timeout, _ in runner.calls)
    assert result.elapsed_s <= 60.0


def test_ctrl_c_during_a_variant_reports_what_was_measured() -> None:
    clock = FakeClock()
    result = _diagnose(FakeRunner(clock, interrupt_on="batch_size=24"), clock)
    assert result.interrupted
    experiments = _experiments(result)
    assert experiments["batch-x4"].status.value == "ok"
    assert experiments["batch-x2"].reason == "interrupted by Ctrl-C"
    assert experiments["compile"].reason == "interrupted by Ctrl-C before it ran"
    assert isinstance(result.baseline, dict)
    assert result.findings  # the rules ran on what was measured


def test_a_baseline_the_bench_refuses_is_a_user_error() -> None:
    clock = FakeClock()
    runner = FakeRunner(
        clock,
        failures={"--json": "exited with code 2: n_embd 100 is not divisible by n_head 3"},
        exit_code=2,
    )
    with pytest.raises(UserError, match="divisible by n_head"):
        _diagnose(runner, clock)


def test_no_experiments_measures_the_baseline_only() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock)
    result = _diagnose(runner, clock, experiments=False)
    assert result.mode == "no-experiments"
    assert len(runner.calls) == 1
    assert result.experiments == ()


def test_a_recorded_machine_is_diagnosed_without_any_run() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock)
    snapshot = Path(__file__).resolve().parents[1] / "data" / "snapshots" / "gpu_sw_power_cap"
    result = Diagnosis(
        DiagnoseRequest(asked=BenchOptions(), root=str(snapshot)), run_process=runner, clock=clock
    ).run()
    assert runner.calls == []
    assert result.mode == "snapshot"
    assert [f.symbol for f in result.findings] == ["gpu-clocks-held-down"]


def test_from_log_reproduces_the_logs_configuration_and_names_the_a100_confusion() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock)
    result = _diagnose(runner, clock, from_log=str(DATA / "nanogpt_cpu_300.log"))
    baseline_args = runner.calls[0][0]
    for flag in (
        "--batch_size=12",
        "--block_size=64",
        "--n_layer=4",
        "--n_head=4",
        "--n_embd=128",
        "--vocab_size=96",
        "--dtype=float32",
        "--device=cpu",
        "--compile=False",
    ):
        assert flag in baseline_args
    assert result.analysis is not None and result.analysis["format"] == "nanogpt"
    reference = next(f for f in result.findings if f.symbol == "mfu-relative-to-other-device")
    assert "A100" in reference.explanation and "mfu 0.02%" in reference.explanation
    assert "nanoGPT prints 0.02%" in result.verdict


def test_command_line_flags_win_over_the_logs() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock)
    _diagnose(
        runner, clock, asked=BenchOptions(batch_size=16), from_log=str(DATA / "nanogpt_cpu_300.log")
    )
    assert "--batch_size=16" in runner.calls[0][0]


def _with_envelope(payload: dict, command: str) -> dict:
    return {
        "schema_version": 1,
        "command": command,
        "tool": {"name": "mfu-advisor", "version": "0.1.0"},
        "created_at": "2026-01-01T00:00:00+00:00",
        **payload,
    }


def test_hardware_and_baseline_are_the_probe_and_bench_payloads() -> None:
    schemas = Path(__file__).resolve().parents[2] / "docs" / "schemas"
    clock = FakeClock()
    doc = make_report(Command.DIAGNOSE, _diagnose(FakeRunner(clock), clock)).to_json()
    bench_schema = json.loads((schemas / "bench.schema.json").read_text())
    jsonschema.validate(_with_envelope(doc["baseline"], "bench"), bench_schema)
    assert doc["hardware"]["cpu"]["model"] == "AMD EPYC"


def test_an_llmc_gpu_run_too_slow_for_this_cpu_is_explained_without_starting_it() -> None:
    clock = FakeClock()
    runner = FakeRunner(clock)
    log = Path(__file__).resolve().parents[1] / "data" / "logs" / "llmc_1.log"
    result = _diagnose(runner, clock, from_log=str(log))
    assert runner.calls == []
    baseline = next(p for p in result.phases if p.name == "baseline")
    assert baseline.status == "skipped" and "batch_size 56 x block_size 1024" in baseline.detail
    assert any("the baseline was not run" in note for note in result.notes)
    assert result.analysis is not None and result.analysis["format"] == "llmc"
    doc = make_report(Command.DIAGNOSE, result).to_json()
    jsonschema.validate(doc, SCHEMA)
    assert doc["unavailable"]["baseline"].startswith("not run: one step of the log's run")


def _data_parallel_diagnosis(
    communication_fraction: float | None = None, sync_less_speedup: float = 1.0
) -> tuple[DiagnoseResult, FakeRunner]:
    """A diagnosis with ``--nproc-per-node 2``: every job answers with the recorded 2-rank
    bench (its all-reduce share replaced when given); the sync-less job is faster by
    ``sync_less_speedup``. Other runs answer as the plain fake bench."""
    from mfu_advisor.distributed.plan import DistributedOptions

    ddp = json.loads((DATA / "bench_cpu_small_ddp2_zen3.json").read_text())
    if communication_fraction is not None:
        ddp["communication_fraction"] = communication_fraction
    clock = FakeClock()
    plain = FakeRunner(clock)

    def runner(args: list[str], **kwargs: object) -> object:
        result = plain(args, **kwargs)  # type: ignore[arg-type]
        if not any(a.startswith("--nproc-per-node") for a in args):
            return result
        job = dict(ddp)
        if "--gradient_accumulation_steps=8" in args:
            job["tokens_per_s"] = ddp["tokens_per_s"] * sync_less_speedup
        return type(result)(job, None, 20.0, 0, False)

    result = Diagnosis(
        DiagnoseRequest(
            asked=BenchOptions(),
            budget_s=80.0,
            distributed=DistributedOptions(nproc_per_node=2),
        ),
        run_process=runner,
        probe=ex.machine,
        clock=clock,
    ).run()
    return result, plain


def test_a_data_parallel_diagnosis_runs_its_baseline_under_torchrun_and_variants_as_rank_0() -> (
    None
):
    result, runner = _data_parallel_diagnosis()
    baseline_args = runner.calls[0][0]
    assert "--nproc-per-node=2" in baseline_args and "--backend=auto" in baseline_args
    for args, _, _ in runner.calls[1:]:  # the variants: one process pinned like rank 0
        assert not any(a.startswith("--nproc-per-node") for a in args)
        assert "--cpus=0" in args and "--threads=1" in args
    assert isinstance(result.baseline, dict) and result.baseline["job"]["world_size"] == 2
    skipped = {e.name: e.reason for e in result.experiments if e.status.value == "skipped"}
    assert "per rank" in skipped["threads-usable"]
    assert "sync-less" not in _experiments(result)  # 10.8% all-reduce: below MA126's 20%
    assert any(
        n.startswith("data-parallel diagnosis: the what-if variants measure one rank")
        for n in result.notes
    )
    doc = make_report(Command.DIAGNOSE, result).to_json()
    jsonschema.validate(doc, SCHEMA)


def test_a_large_all_reduce_share_is_verified_by_running_the_whole_job_with_less_syncing() -> None:
    # 30% all-reduce, as a bigger model's gradients over gloo measure
    result, runner = _data_parallel_diagnosis(communication_fraction=0.3, sync_less_speedup=1.3)
    sync_less = runner.calls[1][0]  # right after the baseline: the most promising
    assert "--nproc-per-node=2" in sync_less and "--no-scaling" in sync_less
    assert "--gradient_accumulation_steps=8" in sync_less
    assert "--no-communication-split" in sync_less
    assert not any(a.startswith("--cpus") for a in sync_less)  # the launcher splits the CPUs
    experiment = _experiments(result)["sync-less"]
    assert experiment.speedup == pytest.approx(1.3, rel=1e-3)  # type: ignore[attr-defined]
    assert experiment.method.value == "separate runs"  # type: ignore[attr-defined]
    finding = next(f for f in result.findings if f.id == "MA126")
    assert finding.verified_speedup == pytest.approx(1.3, rel=1e-3)
    assert len(runner.calls) >= 3  # one-rank variants still ran after it
    assert [p.name for p in result.phases].count("baseline-repeat") == 0


def test_the_aa_comparison_is_the_noise_floor_of_every_speedup() -> None:
    clock = FakeClock()
    # The baseline against itself measured 1.10x +-3%: its interval reaches 13.3% from 1.
    result = _diagnose(FakeRunner(clock, aa_ratio=1.10), clock)
    assert result.noise is not None
    assert result.noise.aa_speedup == pytest.approx(1.10)
    assert result.noise.aa_noise == pytest.approx(0.03)
    assert result.noise.measured_floor == pytest.approx(1.10 * 1.03 - 1, abs=1e-4)
    batch = _experiments(result)["batch-x4"]
    assert batch.noise == pytest.approx(1.10 * 1.03 - 1, abs=1e-4)
    assert (
        "Noise floor: the baseline measured against itself gave 1.10x, so no effect under 13.3%"
        in result.verdict
    )


def test_the_aa_comparison_is_skipped_when_the_budget_is_short() -> None:
    clock = FakeClock()
    result = _diagnose(FakeRunner(clock), clock, budget_s=20.0)
    aa = [p for p in result.phases if p.name == "baseline-aa"]
    assert [p.status for p in aa] == ["skipped"]
    assert any(n.startswith("no A/A noise floor measured: not enough budget") for n in result.notes)
    assert result.noise is not None and isinstance(result.noise.measured_floor, Unavailable)


def test_two_verified_changes_are_measured_together_and_lead_the_verdict() -> None:
    clock = FakeClock()
    rates = {"batch_size=48": 17500.0, "batch_size=24": 15000.0, "dtype=bfloat16": 760.0,
             "compile=True": 14000.0}  # fmt: skip
    runner = FakeRunner(clock, rates=rates, baseline_rates=(12000.0,) * 9, combined_rate=19200.0)
    result = _diagnose(runner, clock)
    names = [p.name for p in result.phases]
    assert names[-4:] == ["experiment:combined", "confirm:combined", "confirm:batch-x4", "rules"]
    # The combined fix is measured after every single experiment, before the confirmations.
    together = [a for a in runner.calls[-5][0] if a.startswith("--variant")]
    # batch x2 conflicts with batch x4 (both set batch_size): the larger speedup wins.
    assert together == ["--variant=batch_size=48", "--variant=compile=True"]
    combined = result.combined
    assert combined is not None and combined.parts == ("batch-x4", "compile")
    assert combined.speedup == pytest.approx(19200 / 12000, rel=1e-3)
    assert combined.verdict is not None and combined.verdict.value == "faster"
    text = result.verdict
    assert text.startswith("Your run reaches")
    combined_at = text.index(
        "Apply these 2 changes together, --batch_size=48 --compile=True: measured 1.60x"
    )
    assert combined_at < text.index("The biggest lever")  # the combination first


def test_a_single_verified_change_is_not_combined() -> None:
    clock = FakeClock()
    result = _diagnose(FakeRunner(clock), clock)  # batch x4 faster, compile within noise
    assert result.combined is None
    assert "experiment:combined" not in [p.name for p in result.phases]
