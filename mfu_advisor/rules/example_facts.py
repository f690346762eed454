"""Fact sets for the rules' examples (expressions in mfu_advisor/data/rules.toml, read by
:func:`build`), starting from the facts of mfu_advisor/data/example_facts.toml."""

from __future__ import annotations

import ast
import dataclasses
import functools
import operator
from collections.abc import Callable
from typing import Any, TypeVar

from mfu_advisor.experiments.compare import verdict_of
from mfu_advisor.experiments.result import ExperimentResult, Status
from mfu_advisor.facts import Unavailable, dataclass_from_jsonable
from mfu_advisor.files import data_file
from mfu_advisor.probe.facts import (
    CpuFacts,
    GpuFacts,
    HardwareFacts,
    HostFacts,
    MemoryFacts,
    NvidiaFacts,
    TorchFacts,
    TorchSupport,
)
from mfu_advisor.probe.nvml_sampler import GpuUnderLoad
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.run_facts import (
    ConditionsFacts,
    DistributedFacts,
    JobFacts,
    JobGpuFacts,
    LogFacts,
    RunFacts,
)

T = TypeVar("T")


def _example(kind: type[T], section: str, key: str, /, **changes: Any) -> T:
    """The fact ``[section.key]`` of example_facts.toml as ``kind``, changed as given."""
    data = data_file("example_facts.toml")[section][key]
    missing = {key: Unavailable(why) for key, why in data.get("unavailable", {}).items()}
    missing |= dict.fromkeys(data.get("none", ()))
    loaded: Any = dataclass_from_jsonable(kind, data)
    changed: T = dataclasses.replace(loaded, **(missing | changes))
    return changed


#: The 2-core AMD EPYC (Zen 3) KVM guest: AVX2 + FMA, no native bf16, no SMT.
zen3_vm_cpu = functools.partial(_example, CpuFacts, "cpu", "zen3_vm")


#: A 12-core i7-1260P: 4 P-cores with SMT (CPUs 0-7) and 8 E-cores (CPUs 8-15).
alder_lake_cpu = functools.partial(_example, CpuFacts, "cpu", "alder_lake")


#: A 16-core Xeon with AMX and AVX-512 BF16 (native bf16), SMT on.
sapphire_rapids_cpu = functools.partial(_example, CpuFacts, "cpu", "sapphire_rapids")


#: A healthy, idle A100 SXM4 80GB as NVML reports it.
nvidia_facts = functools.partial(_example, NvidiaFacts, "nvidia", "a100")


def a100_gpu(nvidia: NvidiaFacts | None = None, *, usable: bool | Unavailable = True) -> GpuFacts:
    """An A100 on the PCI bus; ``usable`` says whether this torch build can drive it."""
    note = "torch sees it as cuda:0" if usable is True else "this torch is a cpu build"
    torch = TorchSupport(usable, "cuda" if usable is True else None, note)
    return _example(GpuFacts, "gpu", "a100", torch=torch, nvidia=nvidia or nvidia_facts())


def iris_xe_igpu() -> GpuFacts:
    """Alder Lake-P's Iris Xe (96 EUs), not usable by a CPU build of torch."""
    return _example(GpuFacts, "gpu", "iris_xe")


#: The CPU build of torch 2.13 with a working C++ compiler for torch.compile.
torch_facts = functools.partial(_example, TorchFacts, "torch", "cpu")


def machine(
    cpu: CpuFacts | None = None,
    gpus: tuple[GpuFacts, ...] = (),
    torch: TorchFacts | Unavailable | None = None,
    memory_total_bytes: int = 8 * 2**30,
) -> HardwareFacts:
    """A whole machine: the Zen 3 VM with no GPU unless told otherwise."""
    return HardwareFacts(
        source="example",
        host=HostFacts("example", "Linux", "6.1.0", "3.11.9"),
        cpu=cpu or zen3_vm_cpu(),
        memory=MemoryFacts(memory_total_bytes, memory_total_bytes // 2, None),
        gpus=gpus,
        nvml=Unavailable("not asked: no NVIDIA GPU on the PCI bus") if not gpus else "550.54.15",
        torch=torch if torch is not None else torch_facts(),
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


#: nanoGPT's README CPU config measured on the Zen 3 VM (bench cpu-small).
cpu_run = functools.partial(_example, RunFacts, "run", "cpu")


#: GPT-2 small on the A100 in bf16 with compile and fused AdamW: a well-set-up run.
cuda_run = functools.partial(_example, RunFacts, "run", "cuda")


#: tests/data/diagnose/nanogpt_cpu_300.log as the analyzer reads it (rounded).
nanogpt_cpu_log = functools.partial(_example, LogFacts, "log", "nanogpt_cpu")


#: ``bench --preset cpu-small --nproc-per-node 2`` on the Zen 3 VM: 2 ranks x 1 thread.
cpu_ddp = functools.partial(_example, DistributedFacts, "distributed", "cpu_ddp")


#: nanoGPT's GPT-2 (124M) under ``torchrun --nproc_per_node=8`` as read from its log.
ddp_log = functools.partial(_example, DistributedFacts, "distributed", "ddp_log")


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


#: A DiagnosisFacts from the parts given (hardware, baseline, log, experiments, distributed=...).
facts = DiagnosisFacts


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
    box = dataclasses.replace(a100_box(1), gpus=(a100_gpu(nvidia),))
    return facts(box, cuda_run(**run_changes))


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
    run = cuda_run if dist.device_type == "cuda" else cpu_run
    return DiagnosisFacts(
        hardware=hardware or machine(),
        baseline=run(**run_changes),
        experiments=experiments,
        distributed=dist,
    )


def ddp_log_on(
    hardware: HardwareFacts | None = None,
    *,
    log_changes: dict[str, Any] | None = None,
    **changes: Any,
) -> DiagnosisFacts:
    """A multi-rank GPU log (``ddp_log`` changed as given) diagnosed on ``hardware`` (the
    8 x A100 box unless told otherwise)."""
    dist = ddp_log(**changes)
    log = _example(LogFacts, "log", "gpt2_ddp", device=dist.device, **(log_changes or {}))
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
    load = _example(
        GpuUnderLoad, "gpu_load", "a100", sm_clock_mhz=clock, clock_event_reason_shares=shares
    )
    return on_a100(nvidia, gpu_under_load=load)


#: An A100-SXM4-40GB under a steady, compute-bound step (400 W limit, 1410 MHz boost).
job_gpu = functools.partial(_example, JobGpuFacts, "job_gpu", "a100")


def job(*gpus: JobGpuFacts, **changes: Any) -> DiagnosisFacts:
    """A job watched by ``mfu-advisor run`` on a 16-CPU host with these GPUs."""
    return DiagnosisFacts(job=_example(JobFacts, "job", "host", gpus=gpus, **changes))


def cpu_job(**changes: Any) -> DiagnosisFacts:
    """nanoGPT on an 8-core CPU, all cores busy."""
    return DiagnosisFacts(job=_example(JobFacts, "job", "cpu", **changes))


#: What an example's expression may call, by name: this module's builders and a few types.
BUILDERS: dict[str, Callable[..., Any]] = {
    name: value
    for name, value in globals().items()
    if name[0].islower()
    and (isinstance(value, functools.partial) or getattr(value, "__module__", None) == __name__)
} | {"Unavailable": Unavailable, "conditions": ConditionsFacts, "facts": DiagnosisFacts}

_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {ast.Mult: operator.mul, ast.Pow: operator.pow}


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
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _OPERATORS:
            return _OPERATORS[type(op)](_evaluate(left), _evaluate(right))
        case ast.Call(func=ast.Name(id=name), args=args, keywords=keywords) if name in BUILDERS:
            named = {k.arg: _evaluate(k.value) for k in keywords if k.arg}
            return BUILDERS[name](*(_evaluate(a) for a in args), **named)
    raise ValueError(f"not allowed in an example: {ast.unparse(node)!r}")
