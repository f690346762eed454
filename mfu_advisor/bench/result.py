"""``BenchResult``: what one bench run measured; its JSON form is the ``bench`` payload
(docs/bench.md, docs/schemas/bench.schema.json)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from mfu_advisor.bench.denominators import MfuFigures
from mfu_advisor.bench.multi_rank import DistributedSetup, MultiRankFigures
from mfu_advisor.bench.paired import PairedComparison
from mfu_advisor.bench.roofline import GemmShape, Roofline
from mfu_advisor.bench.timing import StepTimeStats
from mfu_advisor.compat import upgrade_bench
from mfu_advisor.facts import Maybe, Unavailable, dataclass_from_jsonable, fields_to_json
from mfu_advisor.probe.nvml_sampler import GpuUnderLoad

NOT_SAMPLED = Unavailable("not sampled: NVML is sampled on CUDA GPUs only")

if TYPE_CHECKING:
    from mfu_advisor.json_schema import SchemaBuilder


@dataclass(frozen=True)
class BenchResult:
    """One calibrated GPT training run on this machine."""

    preset: str
    """The preset the configuration started from ("auto" already resolved)."""
    preset_source: str
    config: dict[str, Any]
    """Model and batch options actually used, under nanoGPT's train.py names."""
    device: str
    """"cpu", "cuda:0", ..."""
    device_name: str
    dtype: str
    """"float32", "bfloat16" or "float16" (the latter two under autocast)."""
    peak_dtype: str
    """The matmul precision the peaks are looked up for: fp32, tf32, bf16 or fp16."""
    torch_version: str
    threads: int
    """torch.get_num_threads() during the run."""
    cpu_affinity: Maybe[tuple[int, ...]]
    """Logical CPUs the process could run on."""
    tf32: bool
    adamw_impl: str
    """The AdamW implementation used: fused, foreach or forloop."""
    seed: int
    data: str
    """"synthetic" or the --data file path."""
    n_params: int
    """Parameters without position embeddings (nanoGPT's get_num_params)."""
    flops_per_token: float
    """Training FLOPs per token, 6N + 12 L H Q T (PaLM appendix B)."""
    effective_batch_tokens: int
    """batch_size x block_size x gradient_accumulation_steps: tokens per optimizer step."""
    warmup_steps: int
    """Warm-up steps run (compile step included), never in the statistics."""
    warmup_step_ms: tuple[float, ...]
    """Each warm-up step's duration in milliseconds, the first first."""
    compile_s: Maybe[float]
    """Duration of the first step when torch.compile is on (compilation plus one step)."""
    warmup_s: float
    """Warm-up steps' total seconds, the compile step excluded."""
    measured_s: float
    """Seconds of measured steps."""
    budget_s: float
    stopped_by: str
    """"budget", "ci" (mean known within +-2%), "max_steps" or "interrupted"."""
    step_time_ms: Maybe[StepTimeStats]
    tokens_per_s: Maybe[float]
    """Tokens per second at the median step: effective_batch_tokens / median step time."""
    achieved_flops: Maybe[float]
    """Model FLOP/s: tokens_per_s x flops_per_token."""
    mfu: MfuFigures
    peak_memory_bytes: Maybe[int]
    peak_memory_kind: str
    """What peak_memory_bytes measures (CUDA max allocated, or the process's peak RSS)."""
    loss_first: Maybe[float]
    """Loss of the first step (ln(vocab_size) for an untrained model)."""
    loss_last: Maybe[float]
    series: dict[str, Any]
    """Per-step columns, warm-up steps first: ``step``, ``step_time_ms``, ``loss``."""
    gemm_shapes: tuple[GemmShape, ...]
    """The linear-layer GEMMs of one forward pass at the run's micro-batch."""
    roofline: Maybe[Roofline]
    paired: PairedComparison | None = None
    """With ``--variant``: the variant measured interleaved with this run; null otherwise."""
    notes: tuple[str, ...] = field(default=())
    multi_rank: MultiRankFigures | None = None
    """With ``--nproc-per-node``: per-rank and job figures, at the top level in JSON."""
    distributed: DistributedSetup | None = None
    """With ``--nproc-per-node``: how the job was launched; absent from a plain run's JSON."""
    gpu_under_load: Maybe[GpuUnderLoad] = NOT_SAMPLED
    """CUDA: NVML's clocks, power and clock-event reasons during the measured steps."""

    def to_json(self) -> dict[str, Any]:
        doc = fields_to_json(self)
        multi = doc.pop("multi_rank")
        if multi is None:
            doc.pop("distributed")
        else:
            doc.update({k: v for k, v in multi.items() if k != "unavailable"})
            for key, reason in (multi.get("unavailable") or {}).items():
                doc.setdefault("unavailable", {})[key] = reason
        doc["gemm_shapes"] = [
            {"name": g.name, "m": g.m, "n": g.n, "k": g.k, "flops": g.flops}
            for g in self.gemm_shapes
        ]
        return doc

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> BenchResult:
        """A bench payload (``bench --json`` minus the envelope, or a saved one, brought up to
        date by compat.py) read back; LoadError when it is not a bench result."""
        doc = dict(upgrade_bench(payload))
        if isinstance(doc.get("distributed"), Mapping):
            # The multi-rank figures sit at the top level (see to_json): gather them back.
            reasons = doc.get("unavailable")
            reasons = reasons if isinstance(reasons, Mapping) else {}
            names = [f.name for f in fields(MultiRankFigures)]
            multi = {name: doc.get(name) for name in names if name in doc}
            multi["unavailable"] = {
                key: why for key, why in reasons.items() if key.split(".")[0] in names
            }
            doc["multi_rank"] = multi
        return dataclass_from_jsonable(cls, doc, "bench")

    @classmethod
    def json_schema(cls, builder: SchemaBuilder) -> dict[str, Any]:
        """The schema of :meth:`to_json`'s shape (multi-rank figures on top, GEMM FLOPs)."""
        schema = builder.fields_of(cls)
        properties = schema["properties"]
        del properties["multi_rank"]
        multi = builder.fields_of(MultiRankFigures)["properties"]
        figures = [k for k in multi if k != "unavailable"]
        properties.update({k: multi[k] for k in figures})
        properties["unavailable"] = properties.pop("unavailable")
        # A multi-rank result has all of its figures and its launch setup, or none.
        schema["dependentRequired"] = {
            "ranks": [*(k for k in figures if k != "ranks"), "distributed"]
        }
        shape = builder.fields_of(GemmShape)
        del shape["properties"]["batch_multiple"]
        shape["properties"]["flops"] = {"description": "2 x m x n x k.", "type": "number"}
        shape["required"] = ["name", "m", "n", "k", "flops"]
        properties["gemm_shapes"] = {**properties["gemm_shapes"], "items": shape}
        return schema
