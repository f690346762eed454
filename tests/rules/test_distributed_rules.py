"""The distributed rules (MA126-MA131): when they fire, what they say, and the single-process
rules they take over from on a multi-rank bench."""

from __future__ import annotations

import pytest

from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Finding, Kind, Severity
from mfu_advisor.rules.registry import rule_by_id
from mfu_advisor.run_facts import DistributedFacts


def _check(rule_id: str, facts: DiagnosisFacts) -> Finding:
    finding = rule_by_id(rule_id).check(facts)
    assert finding is not None, f"{rule_id} did not fire"
    return finding


def _quiet(rule_id: str, facts: DiagnosisFacts) -> bool:
    return rule_by_id(rule_id).check(facts) is None


def _gpu_bench(**changes: object) -> DistributedFacts:
    base: dict[str, object] = {
        "device": "cuda:0", "backend": "nccl", "nccl_available": True,
        "cpus_per_rank": ex.Unavailable("GPU run: ranks not pinned"),
    }  # fmt: skip
    base.update(changes)
    return ex.cpu_ddp(**base)


# -- MA126 communication-share-high -----------------------------------------------------------


def test_a_large_measured_all_reduce_share_suggests_accumulation_with_its_ceiling() -> None:
    dist = ex.cpu_ddp(communication_fraction=0.31, step_time_ms=116.0, compute_step_time_ms=80.0)
    finding = _check("MA126", ex.ddp_here(distributed=dist))
    assert "116 ms with the gradient all-reduce and 80.0 ms under DDP's no_sync()" in (
        finding.explanation
    )
    assert "31% of each step" in finding.explanation
    assert "2 ranks over gloo, buckets of 25 MB" in finding.explanation
    # The measured ceiling: 1 / (1 - 0.31) = 1.45x.
    assert "measured 1.45x faster" in finding.explanation
    assert finding.evidence["no_sync_speedup_ceiling"] == pytest.approx(1 / 0.69, abs=1e-4)
    # 8 micro-steps per all-reduce: 1 / (0.69 + 0.31 / 8) = 1.37x.
    assert finding.expected_speedup == pytest.approx(1 / (0.69 + 0.31 / 8))
    assert finding.fix.startswith("--gradient_accumulation_steps=16 (nanoGPT divides it by")
    assert "bucket_cap_mb" in finding.explanation and "no_sync()" in finding.explanation
    assert finding.verified_speedup is None
    assert finding.severity is Severity.MEDIUM and finding.kind is Kind.DO


def test_the_sync_less_experiment_verifies_the_fix_with_the_whole_job() -> None:
    dist = ex.cpu_ddp(communication_fraction=0.31)
    measured = ex.experiment("sync-less", 1.28, 0.05, change="gradient_accumulation_steps 1 -> 8")
    finding = _check("MA126", ex.ddp_here(measured, distributed=dist))
    assert finding.verified_speedup == pytest.approx(1.28)
    assert finding.experiment == "sync-less" and finding.kind is Kind.DO
    assert finding.title.endswith("measured 1.28x tokens/s here")
    assert "Measured here: gradient_accumulation_steps 1 -> 8 gave 1.28x tokens/s" in (
        finding.explanation
    )
    assert finding.expected_speedup == pytest.approx(1 / (0.69 + 0.31 / 8))


def test_a_sync_less_job_measured_slower_turns_into_a_dont() -> None:
    dist = ex.cpu_ddp(communication_fraction=0.25)
    measured = ex.experiment("sync-less", 0.8, 0.05)
    finding = _check("MA126", ex.ddp_here(measured, distributed=dist))
    assert finding.kind is Kind.DONT and finding.verified_speedup == pytest.approx(0.8)


def test_existing_accumulation_is_doubled_and_the_gain_counts_from_it() -> None:
    dist = ex.cpu_ddp(communication_fraction=0.45, gradient_accumulation_steps_per_rank=8)
    finding = _check("MA126", ex.ddp_here(distributed=dist))
    # One all-reduce every 8 micro-steps now, every 16 then: 1 / (0.55 + 0.45 * 8 / 16).
    assert finding.expected_speedup == pytest.approx(1 / (0.55 + 0.45 / 2))
    assert "--gradient_accumulation_steps=32 " in finding.fix
    assert finding.severity is Severity.HIGH


def test_communication_below_the_threshold_or_from_a_log_stays_quiet() -> None:
    assert _quiet("MA126", ex.ddp_here(distributed=ex.cpu_ddp(communication_fraction=0.19)))
    assert _quiet("MA126", ex.ddp_log_on(communication_fraction=0.5))
    assert _quiet("MA126", ex.here())


# -- MA127 straggler-rank ---------------------------------------------------------------------


def test_a_straggler_rank_on_cpu_is_named_with_its_cpus_and_times() -> None:
    dist = ex.cpu_ddp(straggler_spread=0.18, slowest_rank_step_ms=94.6)
    finding = _check("MA127", ex.ddp_here(distributed=dist))
    assert finding.explanation.startswith(
        "Rank 1 is a straggler: its compute step (under no_sync()) took 94.6 ms against "
        "80.2 ms for the median rank, 18% longer."
    )
    assert "It ran on CPU 1." in finding.explanation
    assert "CPU 1" in finding.fix and "taskset" in finding.fix
    assert finding.expected_speedup == pytest.approx(1.18)


def test_a_straggler_in_a_gpu_log_points_at_that_ranks_gpu() -> None:
    finding = _check("MA127", ex.ddp_log_on(straggler_spread=0.3, slowest_rank_step_ms=513.5))
    assert "Rank 3 is a straggler: its steady step took 514 ms against 395 ms" in (
        finding.explanation
    )
    assert "all 8 ranks run at its pace" in finding.explanation
    assert "nvidia-smi -q -d PERFORMANCE,CLOCK" in finding.fix
    assert finding.severity is Severity.HIGH


def test_ranks_within_ten_percent_are_not_stragglers() -> None:
    assert _quiet("MA127", ex.ddp_here(distributed=ex.cpu_ddp(straggler_spread=0.099)))
    assert _quiet("MA127", ex.ddp_log_on(straggler_spread=ex.Unavailable("no rank prefixes")))


# -- MA128 data-parallel-not-ddp --------------------------------------------------------------


def test_data_parallel_in_a_log_suggests_torchrun_with_ddp() -> None:
    finding = _check("MA128", ex.ddp_log_on(parallel="data_parallel"))
    assert finding.fix.startswith("torchrun --standalone --nproc_per_node=8 train.py")
    assert "DDP(model, device_ids=[local_rank])" in finding.fix
    assert "GIL" in finding.explanation and finding.severity is Severity.HIGH


def test_data_parallel_without_a_world_size_counts_the_usable_gpus_or_says_so() -> None:
    unknown = ex.Unavailable("DataParallel has no ranks")
    on_box = ex.ddp_log_on(ex.a100_box(4), parallel="data_parallel", world_size=unknown)
    on_cpu = ex.ddp_log_on(ex.machine(), parallel="data_parallel", world_size=unknown)
    assert "--nproc_per_node=4 " in _check("MA128", on_box).fix
    assert "--nproc_per_node=<GPUs> " in _check("MA128", on_cpu).fix


def test_ddp_and_fsdp_are_not_data_parallel() -> None:
    assert _quiet("MA128", ex.ddp_log_on())
    assert _quiet("MA128", ex.ddp_log_on(parallel="fsdp"))


# -- MA129 gloo-on-cuda -----------------------------------------------------------------------


def test_gloo_on_a_cuda_bench_with_nccl_suggests_nccl_up_to_the_measured_share() -> None:
    dist = _gpu_bench(backend="gloo", communication_fraction=0.35)
    finding = _check("MA129", ex.ddp_here(distributed=dist, hardware=ex.a100_box(2)))
    assert finding.fix == 'torch.distributed.init_process_group(backend="nccl")'
    assert "is_nccl_available() is True" in finding.explanation
    assert "35% of each step in the all-reduce with gloo" in finding.explanation
    assert finding.expected_speedup == pytest.approx(1 / 0.65)


def test_gloo_in_a_gpu_log_fires_where_the_probe_shows_cuda_gpus() -> None:
    finding = _check("MA129", ex.ddp_log_on(backend="gloo"))
    assert "this machine's torch drives 8 GPU(s) (NVIDIA A100-SXM4-80GB)" in finding.explanation
    assert finding.expected_speedup is None


def test_gloo_stays_quiet_on_cpu_without_nccl_or_with_nccl_in_use() -> None:
    assert _quiet("MA129", ex.ddp_here())
    no_nccl = _gpu_bench(backend="gloo", nccl_available=False)
    assert _quiet("MA129", ex.ddp_here(distributed=no_nccl, hardware=ex.a100_box(2)))
    assert _quiet("MA129", ex.ddp_log_on(ex.machine(), backend="gloo"))
    assert _quiet("MA129", ex.ddp_log_on())


# -- MA130 per-rank-batch-small ---------------------------------------------------------------


def test_a_small_per_rank_micro_batch_in_a_gpu_log_is_raised_to_the_token_floor() -> None:
    finding = _check(
        "MA130",
        ex.ddp_log_on(
            batch_size_per_rank=1,
            micro_batch_tokens_per_rank=1024,
            micro_batch_tokens_source="batch_size 1 x block_size 1024",
        ),
    )
    assert "Each of the 8 ranks computes on micro-batches of 1024 tokens" in finding.explanation
    assert "fewer than 4096 tokens" in finding.explanation
    assert finding.fix.startswith("--batch_size=4 with --gradient_accumulation_steps divided by 4")
    assert finding.fix_options == {"batch_size": 4}


def test_a_small_per_rank_batch_in_a_cpu_log_or_a_large_one_stays_quiet() -> None:
    assert _quiet("MA130", ex.ddp_log_on(device="cpu", micro_batch_tokens_per_rank=768))
    assert _quiet("MA130", ex.ddp_log_on())


def test_a_multi_rank_bench_reads_the_roofline_for_the_per_rank_batch() -> None:
    facts = ex.ddp_here(
        distributed=_gpu_bench(),
        hardware=ex.a100_box(2),
        batch_size=4,
        gradient_accumulation_steps=4,
        gemm_flops_by_batch_multiple={1: 120e12, 2: 170e12, 4: 195e12},
    )
    finding = _check("MA130", facts)
    assert "Each of the 2 ranks computes on its own micro-batch of batch_size 4 x " in (
        finding.explanation
    )
    assert "1.62x faster at 4x" in finding.explanation
    # 4 micro-steps per rank x 2 ranks = nanoGPT's 8, divided by the 4x batch.
    assert finding.fix == "--batch_size=16 --gradient_accumulation_steps=2"
    assert finding.expected_speedup == pytest.approx(195 / 120)
    # The single-process rule leaves it to MA130 ...
    assert _quiet("MA104", facts)


def test_a_measured_batch_experiment_is_left_to_micro_batch_too_small() -> None:
    measured = ex.experiment("batch-x4", 1.3, overrides={"batch_size": 48})
    facts = ex.ddp_here(measured, gemm_flops_by_batch_multiple={1: 100e9, 4: 140e9})
    assert _quiet("MA130", facts)
    assert _check("MA104", facts).verified_speedup == pytest.approx(1.3)


# -- MA131 ranks-oversubscribe and MA112/MA113 on multi-rank benches -------------------------


def test_ranks_times_threads_above_the_usable_cpus_fire_with_the_fitting_threads() -> None:
    dist = ex.cpu_ddp(threads_per_rank=2, scaling_efficiency=0.55)
    finding = _check("MA131", ex.ddp_here(distributed=dist))
    assert finding.explanation.startswith(
        "2 ranks x 2 threads each = 4 compute threads on this host, but 2 CPUs are usable."
    )
    assert "The job reached 55% of 2 x the tokens/s" in finding.explanation
    assert finding.fix.startswith("--threads=1 (by hand: OMP_NUM_THREADS=1 torchrun")
    assert finding.fix_options == {"threads": 1}


def test_more_ranks_than_cpus_suggests_fewer_ranks() -> None:
    dist = ex.cpu_ddp(world_size=3, nproc_per_node=3, threads_per_rank=1)
    finding = _check("MA131", ex.ddp_here(distributed=dist))
    assert finding.fix.startswith("--nproc-per-node=2 --threads=1")


def test_the_usable_cpus_come_from_the_probe_when_the_bench_lacks_them() -> None:
    dist = ex.cpu_ddp(threads_per_rank=2, usable_cpus=ex.Unavailable("not measured"))
    hardware = ex.machine(cpu=ex.zen3_vm_cpu(cgroup_cpu_limit=1.0, usable_cpus=1))
    finding = _check("MA131", ex.ddp_here(distributed=dist, hardware=hardware))
    assert "but 1 CPUs are usable" in finding.explanation


def test_ranks_within_the_cpus_or_on_gpus_stay_quiet() -> None:
    assert _quiet("MA131", ex.ddp_here())
    gpu = _gpu_bench(threads_per_rank=16)
    assert _quiet("MA131", ex.ddp_here(distributed=gpu, hardware=ex.a100_box(2)))


def test_threads_oversubscribed_leaves_a_multi_rank_bench_to_ranks_oversubscribe() -> None:
    # Per rank 3 threads on 2 CPUs: both rules would say it; only MA131 does.
    facts = ex.ddp_here(distributed=ex.cpu_ddp(threads_per_rank=3))
    assert _quiet("MA112", facts)
    assert _check("MA131", facts).evidence["threads_per_rank"] == 3
    # One process with 3 threads on 2 CPUs is still MA112's.
    assert not _quiet("MA112", ex.on_cpu(ex.zen3_vm_cpu(), threads=3))


def test_smt_siblings_count_every_local_ranks_threads() -> None:
    # 16-core Xeon with SMT: 2 ranks x 16 threads = 32 threads on 16 cores.
    xeon = ex.machine(cpu=ex.sapphire_rapids_cpu())
    pinned = (tuple(range(16)), tuple(range(16, 32)))
    full = ex.cpu_ddp(threads_per_rank=16, usable_cpus=32, cpus_per_rank=pinned)
    finding = _check("MA113", ex.ddp_here(distributed=full, hardware=xeon))
    assert finding.explanation.startswith("The run's 2 ranks use 32 threads in all on 16")
    assert finding.fix == "OMP_NUM_THREADS=8 or torch.set_num_threads(8) in each of the 2 ranks"
    assert finding.fix_options == {"threads": 8}
    half = ex.cpu_ddp(threads_per_rank=8, usable_cpus=32, cpus_per_rank=pinned)
    assert _quiet("MA113", ex.ddp_here(distributed=half, hardware=xeon))
