"""Multi-rank logs: rank prefixes, world size, what the figures count, per-rank and job figures."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from log_helpers import LOGS, analyze_log, as_json, log_path

from mfu_advisor.cli import cli
from mfu_advisor.facts import Unavailable
from mfu_advisor.logs.launch import read_launch
from mfu_advisor.logs.peak import HardwareRequest
from mfu_advisor.logs.pipeline import analyze_inputs
from mfu_advisor.logs.ranks import detect_style
from mfu_advisor.logs.result import DistributedFacts, LogAnalysis

#: nanoGPT's shakespeare-char header with exact parameter counts (n_layer 6, n_embd 384,
#: vocab 65, block 256, no bias): 6N + 12 L H Q T = 70,958,592 FLOPs per token.
HEADER = [
    "Overriding: n_layer = 6",
    "Overriding: n_head = 6",
    "Overriding: n_embd = 384",
    "Overriding: block_size = 256",
    "tokens per iteration will be: 16,384",
    "found vocab_size = 65 (inside data/shakespeare_char/meta.pkl)",
    "number of parameters: 10.65M",
    "num decayed parameter tensors: 26, with 10,740,096 parameters",
    "num non-decayed parameter tensors: 13, with 4,992 parameters",
]
FLOPS_PER_TOKEN = 70_958_592

PREFIXES: dict[str, Callable[[int], str]] = {
    "torchrun": lambda r: f"[rank{r}]:",
    "torchrun (default role)": lambda r: f"[default{r}]:",
    "srun --label": lambda r: f"{r}: ",
    "rank N:": lambda r: f"rank {r}: ",
}


def interleaved(
    times_ms: Sequence[float], prefix: Callable[[int], str], *, iters: int = 30
) -> list[str]:
    """A nanoGPT train.py log of ``len(times_ms)`` ranks, one line each per iteration, rank
    ``r`` taking ``times_ms[r]`` (+0..2 ms) per iteration after a 2 s first one; every rank
    prints the header (torchrun --tee without --local-ranks-filter)."""
    lines = [prefix(r) + h for h in HEADER for r in range(len(times_ms))]
    for it in range(iters):
        for rank, base in enumerate(times_ms):
            took = 2000.0 if it == 0 else base + it % 3
            lines.append(f"{prefix(rank)}iter {it}: loss {4 - it * 0.01:.4f}, time {took:.2f}ms")
    return lines


def analyze_lines(
    tmp_path: Path,
    lines: Sequence[str],
    *,
    peak_tflops: float | None = None,
    world_size: int | None = None,
) -> LogAnalysis:
    path = tmp_path / "run.log"
    path.write_text("\n".join(lines) + "\n")
    request = HardwareRequest(peak_tflops=peak_tflops)
    return analyze_inputs([str(path)], request=request, world_size=world_size)


def dist(result: LogAnalysis) -> DistributedFacts:
    assert isinstance(result.distributed, DistributedFacts), result.distributed
    return result.distributed


# -- rank prefixes --------------------------------------------------------------------------


def test_two_interleaved_ranks_are_analysed_separately(tmp_path: Path) -> None:
    result = analyze_lines(tmp_path, interleaved([100.0, 120.0], PREFIXES["torchrun"]))
    facts = dist(result)
    # The main analysis is rank 0's alone: 30 step lines, its own warm-up, its own median.
    assert result.steps == 30 and result.warmup_steps == 1 and result.restart_count == 0
    assert result.steady_step_time_ms == pytest.approx(101.0)
    assert facts.ranks_seen == (0, 1) and facts.rank_prefixed
    assert facts.rank_prefix_style == "torchrun" and facts.parallel == "ddp"
    assert facts.world_size == 2 and facts.world_size_lower_bound
    assert "[rank0]..[rank1]" in facts.world_size_source
    assert [r.rank for r in facts.per_rank] == [0, 1]
    assert [r.steps for r in facts.per_rank] == [30, 30]
    assert [r.steady_step_time_ms for r in facts.per_rank] == [101.0, 121.0]
    # Tokens per iteration count both ranks: each rank does half in its own step time.
    assert facts.per_rank[0].tokens_per_s == pytest.approx(16384 / 2 / 0.101)
    assert facts.per_rank[1].tokens_per_s == pytest.approx(16384 / 2 / 0.121)
    assert facts.job.tokens_per_s == pytest.approx(16384 / 0.101)
    assert not isinstance(facts.straggler, Unavailable)
    assert facts.straggler.slowest_rank == 1 and facts.straggler.median_rank == 0
    assert facts.straggler.spread == pytest.approx(121.0 / 101.0 - 1)


def test_four_ranks_one_slow_gives_the_straggler_spread(tmp_path: Path) -> None:
    times = [200.0, 200.0, 260.0, 200.0]
    result = analyze_lines(
        tmp_path, interleaved(times, PREFIXES["srun --label"]), peak_tflops=100.0
    )
    facts = dist(result)
    assert facts.ranks_seen == (0, 1, 2, 3) and facts.world_size == 4
    medians = [r.steady_step_time_ms for r in facts.per_rank]
    assert medians == [201.0, 201.0, 261.0, 201.0]
    assert not isinstance(facts.straggler, Unavailable)
    assert facts.straggler.slowest_rank == 2
    assert facts.straggler.spread == pytest.approx(261.0 / statistics.median_low(medians) - 1)
    # Job figures: per-rank FLOP/s x 4 against 4 x the per-device peak.
    per_rank_flops = FLOPS_PER_TOKEN * 16384 / 0.201 / 4
    assert result.achieved_flops == pytest.approx(per_rank_flops)
    assert facts.job.achieved_flops == pytest.approx(4 * per_rank_flops)
    assert facts.job.peak_flops == pytest.approx(4 * 100e12)
    assert facts.job.mfu == pytest.approx(per_rank_flops / 100e12)


@pytest.mark.parametrize("style", sorted(PREFIXES))
def test_every_prefix_style_is_stripped_and_read(tmp_path: Path, style: str) -> None:
    result = analyze_lines(tmp_path, interleaved([100.0, 150.0, 100.0], PREFIXES[style]))
    facts = dist(result)
    assert result.format == "nanogpt"
    assert facts.rank_prefix_style == style and facts.ranks_seen == (0, 1, 2)
    assert [r.steady_step_time_ms for r in facts.per_rank] == [101.0, 151.0, 101.0]
    assert not isinstance(facts.straggler, Unavailable)
    assert facts.straggler.spread == pytest.approx(151.0 / 101.0 - 1)
    assert result.files[0].lines_not_understood == 0


def test_rank_zero_only_prefix_gives_the_unprefixed_figures(tmp_path: Path) -> None:
    lines = (LOGS / "nanogpt_cpu_300.log").read_text().splitlines()
    (tmp_path / "plain").mkdir()
    (tmp_path / "prefixed").mkdir()
    plain = analyze_lines(tmp_path / "plain", lines, peak_tflops=1.0)
    prefixed = analyze_lines(
        tmp_path / "prefixed", [f"[rank0]:{line}" for line in lines], peak_tflops=1.0
    )
    left, right = as_json(plain), as_json(prefixed)
    for document in (left, right):
        for key in ("created_at", "distributed"):
            document.pop(key)
        document["unavailable"].pop("distributed", None)
    # Every figure is the same; only the folder name in file references differs.
    shown = json.dumps(right).replace(str(tmp_path / "prefixed"), str(tmp_path / "plain"))
    assert json.loads(shown) == left
    facts = dist(prefixed)
    assert facts.ranks_seen == (0,) and facts.per_rank[0].steps == 301
    assert isinstance(facts.straggler, Unavailable)
    assert plain.distributed == Unavailable("the log shows one process")


def test_numbered_step_lines_are_not_taken_for_srun_labels() -> None:
    lines = [f"{i}: loss {3 - i * 0.01:.3f}, 412.3 ms" for i in range(40)]
    assert detect_style(lines) is None
    assert detect_style([f"{i % 4}: {line}" for i, line in enumerate(lines)]) is not None


# -- world size and what the figures mean -----------------------------------------------------


def test_nanogpt_ddp_log_with_a_torchrun_line_gives_job_and_per_rank_figures() -> None:
    result = analyze_log("nanogpt_ddp4_torchrun.log", peak_tflops=312)
    facts = dist(result)
    assert facts.world_size == 4 and not facts.world_size_lower_bound
    assert facts.world_size_source == "the pasted torchrun command (--nproc_per_node=4)"
    assert facts.parallel == "ddp" and facts.per_rank == ()
    assert facts.mfu_scope == "per_rank" and facts.tokens_per_s_scope == "job"
    assert any("per rank" in note for note in facts.notes)
    step_s = 0.050625  # the steady median of the log's own iteration times
    assert result.steady_step_time_ms == pytest.approx(step_s * 1000)
    # 'tokens per iteration will be: 65,536' = 1 micro-step x 4 ranks x 64 x 256: the job's.
    assert facts.job.tokens_per_s == pytest.approx(65536 / step_s)
    per_rank_flops = FLOPS_PER_TOKEN * 65536 / 4 / step_s
    assert result.achieved_flops == pytest.approx(per_rank_flops)
    assert facts.job.achieved_flops == pytest.approx(4 * per_rank_flops)
    assert facts.job.peak_flops == pytest.approx(4 * 312e12)
    # The printed mfu is per rank: it matches one rank's FLOP/s over one A100.
    assert result.reported_mfu == pytest.approx(per_rank_flops / 312e12, rel=0.01)
    assert facts.job.mfu == pytest.approx(per_rank_flops / 312e12)


def test_world_size_option_overrides_the_log() -> None:
    result = analyze_inputs(
        [log_path("nanogpt_ddp4_torchrun.log")],
        request=HardwareRequest(peak_tflops=312),
        world_size=8,
    )
    facts = dist(result)
    assert result.devices == 8 and result.devices_source == "--world-size"
    assert facts.world_size == 8 and facts.world_size_source == "--world-size"
    assert result.achieved_flops == pytest.approx(FLOPS_PER_TOKEN * 65536 / 8 / 0.050625)


def test_world_size_option_on_the_command_line() -> None:
    args = ["analyze", log_path("nanogpt_cpu_300.log"), "--world-size", "2", "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["distributed"]["world_size"] == 2
    assert document["distributed"]["world_size_source"] == "--world-size"
    bad = CliRunner().invoke(cli, ["analyze", log_path("nanogpt_cpu_300.log"), "--world-size", "0"])
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    ("name", "world", "source"),
    [
        ("megatron_args.log", 16, "arguments: world_size"),
        ("nanochat_h100x8_new.log", 8, "micro-batch / rank"),
        ("nanogpt_gpt2_8gpu_warnings.log", 8, "inferred"),
        ("torchtitan_3.log", 4, "global batch / local batch"),
        ("torchtitan_2rank_interleaved.log", 2, "global batch / local batch"),
    ],
)
def test_fixture_world_sizes(name: str, world: int, source: str) -> None:
    facts = dist(analyze_log(name))
    assert facts.world_size == world and source in facts.world_size_source


@pytest.mark.parametrize(
    "name", ["llmc_1.log", "nanogpt_cpu_300.log", "hf_trainer_1.log", "generic_custom_loop.log"]
)
def test_one_process_logs_have_no_distributed_section(name: str) -> None:
    document = as_json(analyze_log(name))
    assert document["distributed"] is None
    assert document["unavailable"]["distributed"] == "the log shows one process"


@pytest.mark.parametrize(
    ("name", "mfu_scope", "tokens_scope"),
    [
        ("nanogpt_ddp4_torchrun.log", "per_rank", "job"),
        ("nanochat_h100x8_new.log", "job", "job"),
        ("torchtitan_3.log", "per_rank", "per_rank"),
        ("megatron_args.log", "unknown", "job"),
    ],
)
def test_scopes_per_trainer(name: str, mfu_scope: str, tokens_scope: str) -> None:
    facts = dist(analyze_log(name))
    assert (facts.mfu_scope, facts.tokens_per_s_scope) == (mfu_scope, tokens_scope)


def test_torchtitan_interleaved_ranks_sum_their_tokens() -> None:
    result = analyze_log("torchtitan_2rank_interleaved.log", peak_tflops=989)
    facts = dist(result)
    assert facts.parallel == "fsdp" and facts.ranks_seen == (0, 1)
    assert [r.steady_step_time_ms for r in facts.per_rank] == [
        pytest.approx(1400.0),
        pytest.approx(1540.0),
    ]
    assert [r.tokens_per_s for r in facts.per_rank] == [5851.0, 5319.0]
    assert facts.job.tokens_per_s == pytest.approx(5851.0 + 5319.0)
    assert facts.job.achieved_flops == pytest.approx(2 * 281.91e12)
    assert not isinstance(facts.straggler, Unavailable)
    assert facts.straggler.spread == pytest.approx(0.10)


@pytest.mark.parametrize("cut_rank", [0, 1])
def test_a_cut_last_line_loses_its_numbers_whichever_rank_printed_it(
    tmp_path: Path, cut_rank: int
) -> None:
    # A copy of a log still being written: its last line, rank ``cut_rank``'s step 20, is cut
    # inside its tps ("5,319" -> "5,"). Every rank's figures stay those of the whole lines.
    lines = Path(log_path("torchtitan_2rank_interleaved.log")).read_text().splitlines()
    end = next(
        i
        for i, line in enumerate(lines)
        if line.startswith(f"[rank{cut_rank}]") and "step: 20" in line
    )
    kept = lines[: end + 1]
    tps = "5,851" if cut_rank == 0 else "5,319"
    kept[-1] = kept[-1][: kept[-1].index(f"tps: {tps}") + len("tps: 5,")]
    path = tmp_path / "still_writing.log"
    path.write_text("\n".join(kept))  # no line break after the cut line
    facts = dist(analyze_inputs([str(path)], request=HardwareRequest(peak_tflops=989)))
    assert [r.rank for r in facts.per_rank] == [0, 1]
    assert [r.tokens_per_s for r in facts.per_rank] == [5851.0, 5319.0]
    assert facts.job.tokens_per_s == pytest.approx(5851.0 + 5319.0)


def test_llmc_scopes_and_one_process() -> None:
    result = analyze_log("llmc_1.log")
    assert isinstance(result.distributed, Unavailable)
    result = analyze_inputs([log_path("llmc_1.log")], world_size=4)
    facts = dist(result)
    assert facts.world_size == 4
    assert (facts.mfu_scope, facts.tokens_per_s_scope) == ("per_rank", "job")


# -- parallelism and backend ------------------------------------------------------------------


def nanogpt_with(tmp_path: Path, *extra: str) -> DistributedFacts:
    lines = [*extra, *HEADER]
    lines += [f"iter {i}: loss 3.0000, time {100 + i % 3:.2f}ms" for i in range(20)]
    return dist(analyze_lines(tmp_path, lines))


def test_data_parallel_is_detected_from_the_printed_model(tmp_path: Path) -> None:
    facts = nanogpt_with(tmp_path, "DataParallel(", "  (module): GPT(", "  )", ")")
    assert facts.parallel == "data_parallel"
    assert any("DistributedDataParallel" in note for note in facts.notes)


def test_data_parallel_from_hf_example_scripts_line(tmp_path: Path) -> None:
    line = (
        "05/10/2024 10:00:00 - WARNING - __main__ - Process rank: 0, device: cuda:0, n_gpu: 2, "
        "distributed training: False, 16-bits training: True"
    )
    facts = nanogpt_with(tmp_path, line)
    assert facts.parallel == "data_parallel" and facts.world_size == 2


def test_ddp_fsdp_and_backend(tmp_path: Path) -> None:
    ddp = nanogpt_with(
        tmp_path, "DistributedDataParallel(", "host:123:123 [0] NCCL INFO Bootstrap : Using eth0"
    )
    assert ddp.parallel == "ddp" and ddp.backend == "nccl"
    fsdp = nanogpt_with(tmp_path, "FullyShardedDataParallel(", "Overriding: backend = gloo")
    assert fsdp.parallel == "fsdp" and fsdp.backend == "gloo"


@pytest.mark.parametrize(
    ("line", "world"),
    [
        ("torchrun --nproc-per-node 8 --nnodes 2 train.py", 16),
        ("$ torchrun --standalone --nproc_per_node=8 train.py", 8),
        ("python -m torch.distributed.run --nproc_per_node=4 train.py", 4),
        ("WORLD_SIZE=6 RANK=0 python train.py", 6),
        ("World size: 3", 3),
        ("# $ torchrun --standalone --nproc_per_node=8 train.py config/train_gpt2.py", None),
        ("torchrun --nnodes=1:4 --nproc_per_node=8 train.py", None),
        ("torchrun --nproc_per_node=gpu train.py", None),
    ],
)
def test_launch_lines(line: str, world: int | None) -> None:
    assert read_launch([line]).world_size == world


# -- rendering ---------------------------------------------------------------------------------


def test_reports_show_the_ranks_part(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    path.write_text("\n".join(interleaved([100.0, 130.0], PREFIXES["torchrun"])) + "\n")
    text = CliRunner().invoke(cli, ["analyze", str(path), "--peak-tflops", "100"])
    assert text.exit_code == 0, text.output
    assert "Ranks" in text.output and "world size" in text.output
    assert "rank 1" in text.output and "slower than the median rank" in text.output
    markdown = CliRunner().invoke(cli, ["analyze", str(path), "--markdown"])
    assert markdown.exit_code == 0, markdown.output
    assert "Ranks" in markdown.output and "Per rank" in markdown.output
    assert "131.0 ms" in markdown.output or "131 ms" in markdown.output
    html = tmp_path / "report.html"
    done = CliRunner().invoke(cli, ["analyze", str(path), "--html", str(html)])
    assert done.exit_code == 0, done.output
    assert "Per rank" in html.read_text()


def test_one_process_report_has_no_ranks_part() -> None:
    result = CliRunner().invoke(cli, ["analyze", log_path("nanogpt_cpu_300.log")])
    assert result.exit_code == 0 and "Ranks" not in result.output
