"""Fact sets for the rules' examples: runs, logs, jobs and experiments on the example machines.

Each rule's examples (mfu_advisor/data/rules.toml) are expressions over the
builders here, read by :func:`build`. The numbers are those of real machines
where one is named (the 2-core Zen 3 VM this project is developed on; an A100
SXM4 80GB), rounded.
"""

from __future__ import annotations

import ast
import dataclasses
import operator
from collections.abc import Callable
from typing import Any

from mfu_advisor.experiments.compare import verdict_of
from mfu_advisor.experiments.result import ExperimentResult, Status
from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import CpuFacts, HardwareFacts, NvidiaFacts
from mfu_advisor.rules.example_machines import (
    a100_gpu,
    machine,
    nvidia_facts,
    sapphire_rapids_cpu,
    torch_facts,
)

# The rules' examples reach every example machine through this module (``ex.``).
from mfu_advisor.rules.example_machines import alder_lake_cpu as alder_lake_cpu
from mfu_advisor.rules.example_machines import iris_xe_igpu as iris_xe_igpu
from mfu_advisor.rules.example_machines import zen3_vm_cpu as zen3_vm_cpu
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.run_facts import (
    ConditionsFacts,
    DistributedFacts,
    GpuLoadFacts,
    JobFacts,
    JobGpuFacts,
    LogFacts,
    RankFacts,
    RunFacts,
)

#: nanoGPT's README CPU config (Shakespeare characters) and GPT-2 small (124M): micro-batch
#: and model shape, nanoGPT's names.
_NANOGPT_README_CPU: dict[str, Any] = {
    "batch_size": 12,
    "block_size": 64,
    "n_layer": 4,
    "n_head": 4,
    "n_embd": 128,
    "vocab_size": 65,
}
_GPT2_SMALL: dict[str, Any] = {
    "batch_size": 16,
    "block_size": 1024,
    "n_layer": 12,
    "n_head": 12,
    "n_embd": 768,
    "vocab_size": 50304,
}


def cpu_run(**changes: Any) -> RunFacts:
    """nanoGPT's README CPU config measured on the Zen 3 VM (bench cpu-small)."""
    base = RunFacts(
        device="cpu",
        device_name="AMD EPYC",
        dtype="float32",
        compile=False,
        **_NANOGPT_README_CPU,
        gradient_accumulation_steps=1,
        threads=2,
        tf32=False,
        adamw_impl="foreach",
        cpu_affinity=(0, 1),
        tokens_per_s=12300.0,
        step_time_ms=62.3,
        achieved_flops=63.7e9,
        measured_peak_flops=139e9,
        measured_peak_source="best fp32 matmul measured on this machine (square 512x512x512)",
        device_peak_flops=157e9,
        device_peak_source="example: 2 cores x 32 FP32 FLOP/cycle x 2.45 GHz (estimated)",
        compile_s=Unavailable("compile is off"),
        peak_memory_bytes=420 * 2**20,
        peak_memory_kind="peak resident set size of the process",
        gemm_flops_by_batch_multiple={1: 127e9, 2: 126e9, 4: 110e9},
    )
    return dataclasses.replace(base, **changes)


def cuda_run(**changes: Any) -> RunFacts:
    """GPT-2 small on the A100 in bf16 with compile and fused AdamW: a well-set-up run."""
    base = cpu_run(
        device="cuda:0",
        device_name="NVIDIA A100-SXM4-80GB",
        dtype="bfloat16",
        compile=True,
        **_GPT2_SMALL,
        threads=16,
        tf32=True,
        adamw_impl="fused",
        tokens_per_s=160000.0,
        step_time_ms=102.4,
        achieved_flops=1.33e15 / 10,
        measured_peak_flops=280e12,
        measured_peak_source="best bf16 matmul measured on this machine",
        device_peak_flops=312e12,
        compile_s=55.0,
        peak_memory_bytes=30 * 2**30,
        peak_memory_kind="torch.cuda.max_memory_allocated",
        gemm_flops_by_batch_multiple={1: 230e12, 2: 240e12, 4: 245e12},
    )
    return dataclasses.replace(base, **changes)


def nanogpt_cpu_log(**changes: Any) -> LogFacts:
    """tests/data/diagnose/nanogpt_cpu_300.log as the analyzer reads it (rounded)."""
    base = LogFacts(
        format="nanogpt",
        config={
            "device": "cpu",
            "compile": "False",
            "eval_iters": "20",
            "log_interval": "1",
            "block_size": "64",
            "batch_size": "12",
            "n_layer": "4",
            "n_head": "4",
            "n_embd": "128",
            "max_iters": "300",
        },
        device="cpu",
        dtype=Unavailable("nanoGPT ignores dtype on a CPU"),
        compile=False,
        batch_size=12,
        block_size=64,
        gradient_accumulation_steps=1,
        eval_interval=250,
        eval_iters=20,
        log_interval=1,
        steps=301,
        tokens_per_step=768,
        steady_step_time_ms=66.3,
        first_step_ms=1145.0,
        warmup_steps=5,
        warmup_time_fraction=0.06,
        tokens_per_s=11580.0,
        achieved_flops=60.1e9,
        flops_per_token=5.19e6,
        reported_mfu=0.0002,
        reported_mfu_reference="A100 bf16 312 TFLOP/s (nanoGPT's fixed reference)",
        eval_time_fraction=0.094,
        step_time_jitter=0.19,
    )
    return dataclasses.replace(base, **changes)


def experiment(
    name: str,
    speedup: float | None,
    noise: float = 0.04,
    *,
    status: Status | str = Status.OK,
    reason: str | None = None,
    **changes: Any,
) -> ExperimentResult:
    """A finished experiment; its verdict follows from ``speedup`` and ``noise``."""
    ran = status == Status.OK and speedup is not None
    base = ExperimentResult(
        name=name,
        change=changes.pop("change", f"{name} (example)"),
        status=Status(status),
        reason=reason,
        speedup=speedup if ran else None,
        noise=noise if ran else None,
        verdict=verdict_of(speedup, noise) if ran and speedup is not None else None,
        tokens_per_s=12300.0 * speedup if ran and speedup is not None else None,
    )
    return dataclasses.replace(base, **changes)


def facts(
    hardware: HardwareFacts | None = None,
    baseline: RunFacts | None = None,
    log: LogFacts | None = None,
    experiments: tuple[ExperimentResult, ...] = (),
    distributed: DistributedFacts | None = None,
) -> DiagnosisFacts:
    """A DiagnosisFacts from the parts given."""
    return DiagnosisFacts(
        hardware=hardware,
        baseline=baseline,
        log=log,
        experiments=experiments,
        distributed=distributed,
    )


def here(
    *experiments: ExperimentResult, conditions: ConditionsFacts | None = None, **run_changes: Any
) -> DiagnosisFacts:
    """The Zen 3 VM with the cpu-small baseline (and the experiments given)."""
    return DiagnosisFacts(
        hardware=machine(),
        baseline=cpu_run(**run_changes),
        experiments=experiments,
        conditions=conditions,
    )


def on_cpu(cpu: CpuFacts, *, cpus: int | None = None, **run_changes: Any) -> DiagnosisFacts:
    """A machine with this CPU and no GPU, running the cpu-small baseline (changed as given);
    ``cpus`` pins the run to CPUs 0 .. cpus-1."""
    if cpus is not None:
        run_changes["cpu_affinity"] = tuple(range(cpus))
    return facts(machine(cpu=cpu), cpu_run(**run_changes))


def on_a100(nvidia: NvidiaFacts | None = None, **run_changes: Any) -> DiagnosisFacts:
    """An A100 box (optionally with NVML facts changed) running the GPT-2 baseline."""
    box = machine(
        cpu=sapphire_rapids_cpu(),
        gpus=(a100_gpu(nvidia),),
        torch=torch_facts(
            version="2.13.0+cu126", flavour="cuda", cuda_version="12.6", devices=("cpu", "cuda:0")
        ),
    )
    return facts(box, cuda_run(**run_changes))


def _cpu_rank(rank: int, step_ms: float, compute_ms: float) -> RankFacts:
    return RankFacts(
        rank=rank,
        local_rank=rank,
        host="example",
        device="cpu",
        cpus=(rank,),
        threads=1,
        step_time_ms=step_ms,
        compute_step_time_ms=compute_ms,
        tokens_per_s=768 / step_ms * 1000,
        communication_fraction=1 - compute_ms / step_ms,
    )


def cpu_ddp(**changes: Any) -> DistributedFacts:
    """``bench --preset cpu-small --nproc-per-node 2`` on the Zen 3 VM: 2 ranks x 1 thread,
    gloo, each rank pinned to its own CPU (the figures of docs' spec example, rounded)."""
    base = DistributedFacts(
        source="bench",
        world_size=2,
        world_size_source="the bench (--nproc-per-node)",
        nnodes=1,
        nproc_per_node=2,
        device="cpu",
        backend="gloo",
        nccl_available=False,
        parallel="ddp",
        threads_per_rank=1,
        usable_cpus=2,
        cpus_per_rank=((0,), (1,)),
        bucket_cap_mb=25.0,
        batch_size_per_rank=12,
        block_size=64,
        gradient_accumulation_steps_per_rank=1,
        micro_batch_tokens_per_rank=768,
        micro_batch_tokens_source="the bench's per-rank batch_size x block_size",
        step_time_ms=95.2,
        compute_step_time_ms=80.2,
        communication_fraction=0.16,
        straggler_rank=1,
        straggler_spread=0.047,
        median_rank_step_ms=80.2,
        slowest_rank_step_ms=84.0,
        scaling_efficiency=0.897,
        scaling_reference_tokens_per_s=9000.0,
        scaling_reference="1 process x 1 thread on CPU 0, batch_size 12",
        job_tokens_per_s=16150.0,
        job_mfu=0.534,
        mfu_scope="job",
        tokens_per_s_scope="job",
        ranks=(_cpu_rank(0, 95.1, 80.2), _cpu_rank(1, 95.3, 84.0)),
    )
    return dataclasses.replace(base, **changes)


def ddp_here(
    *experiments: ExperimentResult,
    distributed: DistributedFacts | None = None,
    hardware: HardwareFacts | None = None,
    **run_changes: Any,
) -> DiagnosisFacts:
    """The Zen 3 VM with a 2-rank cpu-small bench (per-rank baseline: 1 thread each); on
    ``hardware`` with a GPU run when ``distributed`` is on CUDA (the GPT-2 baseline per rank)."""
    dist = distributed or cpu_ddp()
    threads = dist.threads_per_rank if isinstance(dist.threads_per_rank, int) else 1
    run_changes.setdefault("threads", threads)
    run_changes.setdefault("tokens_per_s", dist.job_tokens_per_s)
    run = cuda_run if dist.device_type == "cuda" else cpu_run
    return DiagnosisFacts(
        hardware=hardware or machine(),
        baseline=run(**run_changes),
        experiments=experiments,
        distributed=dist,
    )


def a100_box(gpus: int = 8) -> HardwareFacts:
    """A Sapphire Rapids host with ``gpus`` A100 80GB and a CUDA build of torch."""
    devices = ("cpu", *(f"cuda:{i}" for i in range(gpus)))
    return machine(
        cpu=sapphire_rapids_cpu(),
        gpus=tuple(a100_gpu(nvidia_facts(index=i)) for i in range(gpus)),
        torch=torch_facts(
            version="2.13.0+cu126", flavour="cuda", cuda_version="12.6", devices=devices
        ),
    )


def ddp_log(**changes: Any) -> DistributedFacts:
    """nanoGPT's GPT-2 (124M) config under ``torchrun --standalone --nproc_per_node=8`` as the
    analyzer reads the log: DDP over NCCL, batch_size 12 x block_size 1024 per rank."""
    base = DistributedFacts(
        source="log",
        world_size=8,
        world_size_source="the pasted torchrun command (--nproc_per_node=8)",
        device="cuda",
        backend="nccl",
        nccl_available=Unavailable("a log does not say"),
        parallel="ddp",
        batch_size_per_rank=12,
        block_size=1024,
        micro_batch_tokens_per_rank=12288,
        micro_batch_tokens_source="batch_size 12 x block_size 1024",
        straggler_rank=3,
        straggler_spread=0.02,
        median_rank_step_ms=395.0,
        slowest_rank_step_ms=403.0,
        job_tokens_per_s=8 * 12 * 1024 * 5 / 0.403,
        mfu_scope="per_rank",
        tokens_per_s_scope="job",
        ranks=tuple(RankFacts(rank=r, step_time_ms=403.0 if r == 3 else 395.0) for r in range(8)),
    )
    return dataclasses.replace(base, **changes)


def ddp_log_on(
    hardware: HardwareFacts | None = None,
    *,
    log_changes: dict[str, Any] | None = None,
    **changes: Any,
) -> DiagnosisFacts:
    """A multi-rank GPU log (``ddp_log`` changed as given) diagnosed on ``hardware`` (the
    8 x A100 box unless told otherwise)."""
    dist = ddp_log(**changes)
    # nanoGPT's config/train_gpt2.py: eval_interval 1000, eval_iters 200, log_interval 10,
    # gradient_accumulation_steps 5 * 8 (the total over ranks), compile on.
    settings: dict[str, Any] = {
        "device": dist.device,
        "config": {"device": "cuda", "batch_size": "12", "block_size": "1024"},
        "dtype": "bfloat16",
        "compile": True,
        "batch_size": 12,
        "block_size": 1024,
        "gradient_accumulation_steps": 40,
        "eval_interval": 1000,
        "eval_iters": 200,
        "log_interval": 10,
        "tokens_per_step": 491520,
        "steady_step_time_ms": 403.0,
        "first_step_ms": 45000.0,
        "warmup_time_fraction": 0.01,
        "eval_time_fraction": 0.02,
        "step_time_jitter": 0.02,
        "tokens_per_s": 491520 / 0.403,
        "reported_mfu": 0.41,
    }
    settings.update(log_changes or {})
    log = nanogpt_cpu_log(**settings)
    return facts(hardware or a100_box(), log=log, distributed=dist)


def recorded(**nvidia_changes: Any) -> DiagnosisFacts:
    """The A100 box with no run (``diagnose --root``), its NVML facts changed as given."""
    return facts(on_a100(nvidia_facts(**nvidia_changes)).hardware)


def a100_under_load(
    shares: dict[str, float], clock: float, *, idle_reasons: bool = False
) -> DiagnosisFacts:
    """The A100 box with a cuda:0 run whose GPU was sampled while its steps ran (``shares``:
    clock-event reason -> share of samples; ``clock`` the median SM clock in MHz)."""
    nvidia = nvidia_facts(clock_event_reasons=("sw_power_cap",) if idle_reasons else ())
    load = GpuLoadFacts(
        samples=240,
        sm_clock_mhz=clock,
        power_draw_w=399.0,
        power_limit_w=400.0,
        temperature_c=71.0,
        utilization_gpu_percent=100.0,
        reason_shares=shares,
    )
    return on_a100(nvidia, gpu_under_load=load)


def job_gpu(**changes: Any) -> JobGpuFacts:
    """An A100-SXM4-40GB under a steady, compute-bound step (400 W limit, 1410 MHz boost)."""
    base = JobGpuFacts(
        index=0,
        name="NVIDIA A100-SXM4-40GB",
        used_by_job=True,
        util_percent_median=97.0,
        sm_clock_mhz_median=1410.0,
        sm_clock_mhz_max=1410.0,
        power_w_median=310.0,
        power_limit_w=400.0,
        temperature_c_max=64.0,
        memory_used_fraction_max=0.62,
        power_cap_share=0.0,
        thermal_share=0.0,
        hw_slowdown_share=0.0,
    )
    return dataclasses.replace(base, **changes)


def job(*gpus: JobGpuFacts, **changes: Any) -> DiagnosisFacts:
    """A job watched by ``mfu-advisor run`` on a 16-CPU host with these GPUs."""
    base = JobFacts(
        exit_code=0,
        wall_s=300.0,
        samples=560,
        window_start_s=20.0,
        usable_cpus=16,
        job_cpu_cores_median=1.1,
        busiest_cpu_percent_median=70.0,
        machine_cpu_percent_median=9.0,
        job_threads_max=40,
        load_1min_median=2.0,
        memory_used_fraction_max=0.35,
        gpus=gpus,
    )
    return DiagnosisFacts(job=dataclasses.replace(base, **changes))


def cpu_job(**changes: Any) -> DiagnosisFacts:
    """nanoGPT on an 8-core CPU, all cores busy."""
    values: dict[str, Any] = {
        "usable_cpus": 8,
        "job_cpu_cores_median": 7.6,
        "busiest_cpu_percent_median": 99.0,
        "machine_cpu_percent_median": 95.0,
        "job_threads_max": 9,
        "load_1min_median": 8.1,
        "gpu_unavailable": "NVML could not start: NVML: NVIDIA driver not loaded",
    }
    return job(**(values | changes))


#: What an example's expression may call, by name.
BUILDERS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        a100_box, a100_gpu, a100_under_load, alder_lake_cpu, cpu_ddp, cpu_job, cpu_run,
        ddp_here, ddp_log_on, experiment, facts, here, iris_xe_igpu, job, job_gpu, machine,
        nanogpt_cpu_log, nvidia_facts, on_a100, on_cpu, recorded, sapphire_rapids_cpu,
        zen3_vm_cpu, Unavailable,
    )
} | {"conditions": ConditionsFacts}  # fmt: skip

_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def build(expression: str) -> DiagnosisFacts:
    """The fact set an example's expression names ("here(dtype='bfloat16')"): calls of
    :data:`BUILDERS` on literals and arithmetic, nothing else."""
    result = _evaluate(ast.parse(expression, mode="eval").body)
    if not isinstance(result, DiagnosisFacts):
        raise ValueError(f"example {expression!r} is not a fact set")
    return result


def _evaluate(node: ast.expr) -> Any:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Tuple(elts=items) | ast.List(elts=items):
            return tuple(_evaluate(item) for item in items)
        case ast.Dict(keys=keys, values=values):
            return {_evaluate(k): _evaluate(v) for k, v in zip(keys, values, strict=True) if k}
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return -_evaluate(operand)
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _OPERATORS:
            return _OPERATORS[type(op)](_evaluate(left), _evaluate(right))
        case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords) if name in BUILDERS:
            named = {k.arg: _evaluate(k.value) for k in keywords if k.arg}
            return BUILDERS[name](*(_evaluate(a) for a in args), **named)
    raise ValueError(f"not allowed in an example: {ast.unparse(node)!r}")
