"""Multi-rank bench results and the analyzer's ``distributed`` section read into DistributedFacts.

The payloads are built here after the shared interface (bench JSON with ``distributed``,
``ranks``, ``job``, ``communication_fraction``, ``straggler``, ``scaling``; the analyze
payload's ``distributed`` section) on top of recorded single-process results, and read
through the typed loaders, so the readers are pinned to that shape.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mfu_advisor.bench.result import BenchResult
from mfu_advisor.facts import LoadError, Unavailable
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.facts_json import (
    distributed_facts_from_analysis,
    distributed_facts_from_bench,
    run_facts_from_bench,
)
from mfu_advisor.rules.registry import evaluate

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"


def _rank(rank: int, cpus: list[int], median: float, compute: float) -> dict[str, Any]:
    return {
        "rank": rank, "local_rank": rank, "host": "train-box-07", "device": "cpu",
        "device_name": "AMD EPYC 7B13", "cpus": cpus, "threads": 1,
        "step_time_ms": {"median": median, "p10": median - 2, "p90": median + 4, "steps": 40,
                         "mean": median + 1, "min": median - 3, "max": median + 6,
                         "ci95_halfwidth_fraction": 0.01,
                         "median_ci95_halfwidth_fraction": 0.012},
        "compute_step_time_ms": compute, "tokens_per_s": 768 / median * 1000,
        "achieved_flops": 4.19e10, "peak_flops": 7.8e10, "peak_source": "1 of 2 usable CPUs",
        "mfu": 0.537, "communication_fraction": round(1 - compute / median, 4),
    }  # fmt: skip


def _bench_payload() -> dict[str, Any]:
    """A 2-rank cpu-small bench on the 2-CPU VM, single-process fields included."""
    payload = json.loads((DATA / "bench_cpu_small_zen3.json").read_text())
    payload.update(
        {
            "distributed": {
                "launcher": "torch.distributed.run", "backend": "gloo", "nccl_available": False,
                "world_size": 2, "nnodes": 1, "nproc_per_node": 2, "usable_cpus": 2,
                "threads_per_rank": 1, "cpus_per_rank": [[0], [1]], "bucket_cap_mb": 25,
                "block_steps": 4, "sync_steps": 40, "no_sync_steps": 40,
            },
            "ranks": [_rank(0, [0], 95.1, 80.2), _rank(1, [1], 95.3, 84.0)],
            "job": {
                "world_size": 2, "tokens_per_step": 1536, "step_time_ms": 95.3,
                "tokens_per_s": 16150.0, "achieved_flops": 8.38e10, "peak_flops": 1.57e11,
                "mfu": 0.534,
            },
            "communication_fraction": 0.16,
            "straggler": {
                "slowest_rank": 1, "median_rank_compute_step_ms": 80.2,
                "slowest_rank_compute_step_ms": 84.0, "spread": 0.047,
            },
            "scaling": {
                "reference_tokens_per_s": 9000.0, "efficiency": 0.897,
                "reference": "1 process x 1 thread on CPU 0, batch_size 12",
            },
        }
    )  # fmt: skip
    payload["threads"] = 1
    return payload


def _bench(payload: dict[str, Any]) -> BenchResult:
    return BenchResult.from_json(payload)


def _log(payload: dict[str, Any]) -> LogAnalysis:
    """The recorded single-process analysis with ``payload``'s fields in place of its own."""
    recorded = json.loads((DATA / "analyze_nanogpt_cpu_300.json").read_text())
    recorded["hardware_hints"] = {**recorded["hardware_hints"], "device": None}
    return LogAnalysis.from_json({**recorded, **payload})


def _log_rank(rank: int, step_ms: float, tokens_per_s: float) -> dict[str, Any]:
    return {
        "rank": rank,
        "steps": 300,
        "steady_step_time_ms": step_ms,
        "tokens_per_s": tokens_per_s,
        "tokens_per_s_source": "the rank's own lines",
    }


def _analysis_payload() -> dict[str, Any]:
    """nanoGPT's GPT-2 config on 8 GPUs, rank-prefixed lines of ranks 0 and 3."""
    return {
        "format": "nanogpt",
        "config": {"device": "cuda", "batch_size": "12", "block_size": "1024",
                   "gradient_accumulation_steps": "40"},
        "tokens_per_step": 491520,
        "distributed": {
            "world_size": 8,
            "world_size_source": "the pasted torchrun command (--nproc_per_node=8)",
            "world_size_lower_bound": False,
            "ranks_seen": [0, 3], "rank_prefixed": True, "rank_prefix_style": "[rank0]:",
            "parallel": "ddp", "parallel_evidence": "DistributedDataParallel in the log",
            "backend": "nccl", "mfu_scope": "per_rank", "tokens_per_s_scope": "job",
            "per_rank": [_log_rank(0, 395.0, 31100.0), _log_rank(3, 450.0, 27300.0)],
            "job": {"tokens_per_s": 1.09e6, "tokens_per_s_source": "sum over ranks",
                    "achieved_flops": 8.1e14, "peak_flops": 2.5e15, "mfu": 0.324},
            "straggler": {"slowest_rank": 3, "slowest_rank_step_time_ms": 450.0,
                          "median_rank": 0, "median_rank_step_time_ms": 395.0, "spread": 0.139},
            "notes": ["nanoGPT's mfu is per rank"],
        },
    }  # fmt: skip


def test_a_multi_rank_bench_gives_the_jobs_distributed_facts() -> None:
    dist = distributed_facts_from_bench(_bench(_bench_payload()))
    assert dist is not None and dist.source == "bench" and dist.multi_rank
    assert (dist.world_size, dist.nnodes, dist.nproc_per_node, dist.local_ranks) == (2, 1, 2, 2)
    assert (dist.backend, dist.nccl_available, dist.parallel) == ("gloo", False, "ddp")
    assert (dist.device, dist.device_type) == ("cpu", "cpu")
    assert (dist.threads_per_rank, dist.usable_cpus) == (1, 2)
    assert dist.cpus_per_rank == ((0,), (1,))
    assert dist.bucket_cap_mb == 25.0
    # Medians over the two ranks: (95.1 + 95.3) / 2 and (80.2 + 84.0) / 2.
    assert dist.step_time_ms == pytest.approx(95.2)
    assert dist.compute_step_time_ms == pytest.approx(82.1)
    assert dist.communication_fraction == pytest.approx(0.16)
    assert (dist.straggler_rank, dist.straggler_spread) == (1, pytest.approx(0.047))
    assert (dist.median_rank_step_ms, dist.slowest_rank_step_ms) == (80.2, 84.0)
    assert dist.scaling_efficiency == pytest.approx(0.897)
    assert dist.scaling_reference.startswith("1 process x 1 thread")
    assert dist.rank_cpus == {0: (0,), 1: (1,)}


def test_a_single_process_bench_has_no_distributed_facts() -> None:
    payload = json.loads((DATA / "bench_cpu_small_zen3.json").read_text())
    assert distributed_facts_from_bench(_bench(payload)) is None


def test_missing_bench_figures_become_unavailable_with_the_payloads_reason() -> None:
    payload = _bench_payload()
    payload["scaling"] = None
    payload["straggler"] = None
    payload["communication_fraction"] = None
    payload["unavailable"] = {
        "scaling": "skipped: --no-scaling",
        "communication_fraction": "no no_sync() steps were measured",
    }
    payload["ranks"][0]["mfu"] = None
    payload["ranks"][0]["unavailable"] = {"mfu": "no peak for this CPU"}
    payload["distributed"]["cpus_per_rank"] = None
    dist = distributed_facts_from_bench(_bench(payload))
    assert dist is not None
    assert dist.scaling_efficiency == Unavailable("skipped: --no-scaling")
    assert dist.communication_fraction == Unavailable("no no_sync() steps were measured")
    assert isinstance(dist.straggler_spread, Unavailable)
    assert isinstance(dist.straggler_rank, Unavailable)
    assert isinstance(dist.cpus_per_rank, Unavailable)


def test_a_bench_result_without_a_required_field_is_refused_naming_it() -> None:
    payload = _bench_payload()
    del payload["distributed"]["nccl_available"]
    with pytest.raises(LoadError, match=r"distributed\.nccl_available: missing"):
        _bench(payload)


def test_the_world_size_falls_back_to_the_jobs() -> None:
    payload = _bench_payload()
    del payload["distributed"]["world_size"]
    dist = distributed_facts_from_bench(_bench(payload))
    assert dist is not None and dist.world_size == 2


def test_the_analyzers_distributed_section_gives_the_logs_distributed_facts() -> None:
    dist = distributed_facts_from_analysis(_log(_analysis_payload()))
    assert dist is not None and dist.source == "log" and dist.multi_rank
    assert dist.world_size == 8
    assert (dist.parallel, dist.backend, dist.device_type) == ("ddp", "nccl", "cuda")
    assert dist.micro_batch_tokens_per_rank == 12 * 1024
    assert dist.micro_batch_tokens_source == "batch_size 12 x block_size 1024"
    assert (dist.straggler_rank, dist.straggler_spread) == (3, pytest.approx(0.139))
    # The analyzer's straggler figures: the slowest rank's and the (lower) median rank's.
    assert (dist.slowest_rank_step_ms, dist.median_rank_step_ms) == (450.0, 395.0)
    assert isinstance(dist.nccl_available, Unavailable)
    assert isinstance(dist.threads_per_rank, Unavailable)


def test_a_one_process_log_has_no_distributed_facts() -> None:
    recorded = json.loads((DATA / "analyze_nanogpt_cpu_300.json").read_text())
    assert distributed_facts_from_analysis(LogAnalysis.from_json(recorded)) is None
    assert distributed_facts_from_analysis(_log({"distributed": None})) is None


def test_null_members_of_the_section_become_unavailable() -> None:
    payload = _analysis_payload()
    section = payload["distributed"]
    section.update({"world_size": None, "backend": None, "straggler": None, "per_rank": []})
    section["unavailable"] = {"world_size": "no rank prefixes and no launcher command"}
    payload["config"] = {}
    dist = distributed_facts_from_analysis(_log(payload))
    assert dist is not None and not dist.multi_rank
    assert dist.world_size == Unavailable("no rank prefixes and no launcher command")
    assert isinstance(dist.backend, Unavailable)
    assert isinstance(dist.straggler_spread, Unavailable)
    assert isinstance(dist.median_rank_step_ms, Unavailable)
    assert isinstance(dist.device, Unavailable)
    # nanoGPT's tokens per iteration over its (total) accumulation steps needs no world size.
    assert isinstance(dist.micro_batch_tokens_per_rank, int)


def test_nanogpts_tokens_per_iteration_is_not_divided_by_the_world_size_twice() -> None:
    # nanoGPT: gradient_accumulation_steps (40) is the total over ranks and tokens per
    # iteration = 40 x 12 x 1024, so one rank's micro-batch is 491520 / 40 = 12288 tokens.
    payload = _analysis_payload()
    payload["config"] = {"device": "cuda", "gradient_accumulation_steps": "40"}
    dist = distributed_facts_from_analysis(_log(payload))
    assert dist is not None and dist.micro_batch_tokens_per_rank == 12288
    assert "nanoGPT" in dist.micro_batch_tokens_source


def test_other_trainers_tokens_per_step_are_split_over_ranks_and_accumulation() -> None:
    payload = _analysis_payload()
    payload.update({"format": "llmc", "tokens_per_step": 524288})
    payload["config"] = {"device": "cuda", "gradient_accumulation_steps": "4"}
    dist = distributed_facts_from_analysis(_log(payload))
    assert dist is not None and dist.micro_batch_tokens_per_rank == 524288 // (8 * 4)
    unknown_world = copy.deepcopy(payload)
    unknown_world["distributed"]["world_size"] = None
    dist = distributed_facts_from_analysis(_log(unknown_world))
    assert dist is not None and isinstance(dist.micro_batch_tokens_per_rank, Unavailable)


def test_a_bench_payload_fires_the_distributed_rules_through_evaluate() -> None:
    payload = _bench_payload()
    payload["communication_fraction"] = 0.3
    payload["distributed"]["threads_per_rank"] = 2
    result = _bench(payload)
    facts = DiagnosisFacts(
        baseline=run_facts_from_bench(result), distributed=distributed_facts_from_bench(result)
    )
    ids = {finding.id for finding in evaluate(facts)}
    assert {"MA126", "MA131"} <= ids
    assert "MA127" not in ids  # 4.7% apart: within the threshold


def test_an_analysis_payload_fires_the_straggler_rule_through_evaluate() -> None:
    facts = DiagnosisFacts(distributed=distributed_facts_from_analysis(_log(_analysis_payload())))
    findings = {finding.id: finding for finding in evaluate(facts)}
    assert "Rank 3 is a straggler" in findings["MA127"].explanation
