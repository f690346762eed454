"""What the what-if variants (experiments/) and the rules (rules/) read of a bench run, a
training log, the measuring conditions and a watched job; built by rules/facts_json.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.probe.nvml_sampler import GpuUnderLoad

_NOT_GIVEN = Unavailable("not in the input")
_NOT_SAMPLED = Unavailable("not sampled: NVML samples CUDA runs only")


def _device_type(device: Maybe[str]) -> Maybe[str]:
    return device if isinstance(device, Unavailable) else device.split(":", 1)[0]


@dataclass(frozen=True)
class RunFacts:
    """The baseline bench run."""

    device: str
    """torch device string: "cpu", "cuda:0", "mps", ..."""
    dtype: str
    """"float32", "bfloat16" or "float16" (autocast)."""
    compile: bool
    batch_size: int
    block_size: int
    n_embd: int
    gradient_accumulation_steps: int
    threads: int
    """torch.get_num_threads() during the run."""
    tf32: bool
    adamw_impl: str
    """"fused", "foreach" or "forloop"."""
    cpu_affinity: Maybe[tuple[int, ...]] = _NOT_GIVEN
    step_time_ms: Maybe[float] = _NOT_GIVEN
    """Median optimizer-step time."""
    achieved_flops: Maybe[float] = _NOT_GIVEN
    """Model FLOP/s (6N + 12LHQT per token, PaLM appendix B)."""
    measured_peak_flops: Maybe[float] = _NOT_GIVEN
    """Best matmul FLOP/s measured on this machine for the run's dtype (the roofline)."""
    measured_peak_source: str = ""
    device_peak_flops: Maybe[float] = _NOT_GIVEN
    """Datasheet (or estimated) peak of the device and dtype, from the probe."""
    device_peak_source: str = ""
    compile_s: Maybe[float] = _NOT_GIVEN
    """Seconds of the first, compiling step when compile is on."""
    peak_memory_bytes: Maybe[int] = _NOT_GIVEN
    peak_memory_kind: str = ""
    gemm_flops_by_batch_multiple: Mapping[int, float] = field(default_factory=dict)
    """Roofline matmul FLOP/s over the model's GEMM shapes at 1x, 2x and 4x the micro-batch."""
    gpu_under_load: Maybe[GpuUnderLoad] = _NOT_SAMPLED
    """The run's GPU while its steps ran (NVML under load), when it ran on an NVIDIA GPU."""

    @property
    def device_type(self) -> str:
        """ "cpu", "cuda", "mps", "xpu": the device string without its index."""
        return self.device.split(":", 1)[0]

    @property
    def mfu_measured(self) -> Maybe[float]:
        """Achieved over measured-peak FLOP/s, as a fraction."""
        if isinstance(self.achieved_flops, Unavailable):
            return self.achieved_flops
        if isinstance(self.measured_peak_flops, Unavailable) or self.measured_peak_flops <= 0:
            return Unavailable("no matmul peak was measured")
        return self.achieved_flops / self.measured_peak_flops

    @property
    def effective_batch_tokens(self) -> int:
        """Tokens per optimizer step: batch x block x accumulation."""
        return self.batch_size * self.block_size * self.gradient_accumulation_steps


@dataclass(frozen=True)
class LogFacts:
    """An analyzed training log; nanoGPT names for the config."""

    format: str
    """"nanogpt", "llmc", "torchtitan", ..."""
    device: Maybe[str] = _NOT_GIVEN
    dtype: Maybe[str] = _NOT_GIVEN
    compile: Maybe[bool] = _NOT_GIVEN
    eval_interval: Maybe[int] = _NOT_GIVEN
    eval_iters: Maybe[int] = _NOT_GIVEN
    log_interval: Maybe[int] = _NOT_GIVEN
    steps: Maybe[int] = _NOT_GIVEN
    """Iteration lines read."""
    steady_step_time_ms: Maybe[float] = _NOT_GIVEN
    """Median step time after the warm-up steps."""
    first_step_ms: Maybe[float] = _NOT_GIVEN
    """The first iteration's time (compilation and allocation land here)."""
    warmup_steps: Maybe[int] = _NOT_GIVEN
    """Leading steps the analyzer set apart as warm-up or compile."""
    warmup_time_fraction: Maybe[float] = _NOT_GIVEN
    """Share of the logged step time spent in the warm-up steps."""
    achieved_flops: Maybe[float] = _NOT_GIVEN
    reported_mfu: Maybe[float] = _NOT_GIVEN
    """The MFU the trainer printed, as a fraction (0.0002 = 0.02%)."""
    reported_mfu_reference: Maybe[str] = _NOT_GIVEN
    """What the trainer divided by ("A100 bf16 312 TFLOP/s ..."), as the analyzer names it."""
    reported_mfu_placeholder: bool = False
    """True when every MFU the trainer printed was a placeholder (llm.c's -100%)."""
    reference_device: Maybe[str] = _NOT_GIVEN
    """The device the trainer's MFU reference belongs to ("A100"), as the analyzer read it."""
    reference_applies_to_run: Maybe[bool] = _NOT_GIVEN
    """False when the run did not use the reference device (nanoGPT on a CPU)."""
    reference_note: str = ""
    """The analyzer's sentence on how the trainer computes its MFU."""
    peak_flops: Maybe[float] = _NOT_GIVEN
    """The peak the analyzer divided by for the true MFU (this machine's, with --from-log)."""
    peak_source: str = ""
    true_mfu: Maybe[float] = _NOT_GIVEN
    """achieved_flops over ``peak_flops``: the analyzer's true MFU."""
    eval_time_fraction: Maybe[float] = _NOT_GIVEN
    """Share of wall time spent in evaluation."""
    step_time_jitter: Maybe[float] = _NOT_GIVEN
    """How far the p90 steady step time is above the median: p90 / p50 - 1."""

    @property
    def device_type(self) -> Maybe[str]:
        return _device_type(self.device)


@dataclass(frozen=True)
class ConditionsFacts:
    """How quiet the machine was while the runs were measured."""

    other_cpu_share: Maybe[float] = _NOT_GIVEN
    """Share (0-1) of the CPUs other processes kept busy during the bench runs (time average)."""
    other_cpu_share_max: Maybe[float] = _NOT_GIVEN
    """The same during the busiest run."""
    run_to_run: Maybe[float] = _NOT_GIVEN
    """Relative spread between the baseline runs ((max - min) / mean)."""


@dataclass(frozen=True)
class DistributedFacts:
    """A multi-rank (torch.distributed) run, from a multi-rank bench or an analyzed log."""

    source: str
    """"bench" (measured by ``bench --nproc-per-node``) or "log" (read from a training log)."""
    world_size: Maybe[int] = _NOT_GIVEN
    nnodes: Maybe[int] = _NOT_GIVEN
    nproc_per_node: Maybe[int] = _NOT_GIVEN
    """Ranks on this host (local ranks)."""
    device: Maybe[str] = _NOT_GIVEN
    """torch device of the ranks ("cpu", "cuda:0"), or the log's device."""
    backend: Maybe[str] = _NOT_GIVEN
    """torch.distributed backend: "gloo", "nccl", ..."""
    nccl_available: Maybe[bool] = _NOT_GIVEN
    """torch.distributed.is_nccl_available() in the ranks."""
    parallel: Maybe[str] = _NOT_GIVEN
    """"ddp", "fsdp", "data_parallel" (torch.nn.DataParallel) or "unknown"."""
    threads_per_rank: Maybe[int] = _NOT_GIVEN
    usable_cpus: Maybe[int] = _NOT_GIVEN
    """CPUs the launcher could use (affinity and cgroup quota)."""
    cpus_per_rank: Maybe[tuple[tuple[int, ...], ...]] = _NOT_GIVEN
    """CPUs each local rank was pinned to, in local-rank order."""
    bucket_cap_mb: Maybe[float] = _NOT_GIVEN
    """DDP's gradient bucket size during the run."""
    batch_size_per_rank: Maybe[int] = _NOT_GIVEN
    gradient_accumulation_steps_per_rank: Maybe[int] = _NOT_GIVEN
    micro_batch_tokens_per_rank: Maybe[int] = _NOT_GIVEN
    """Tokens in one rank's forward/backward: batch_size x block_size."""
    micro_batch_tokens_source: str = ""
    """How ``micro_batch_tokens_per_rank`` was obtained."""
    step_time_ms: Maybe[float] = _NOT_GIVEN
    """Median over ranks of the median step time with the all-reduce."""
    compute_step_time_ms: Maybe[float] = _NOT_GIVEN
    """Median over ranks of the median step time under ``no_sync()``."""
    communication_fraction: Maybe[float] = _NOT_GIVEN
    """Share of step time in the all-reduce (slowest-rank wait included): 1 - compute / step."""
    straggler_rank: Maybe[int] = _NOT_GIVEN
    """The slowest rank."""
    straggler_spread: Maybe[float] = _NOT_GIVEN
    """Slowest rank's step time over the median rank's, minus 1."""
    median_rank_step_ms: Maybe[float] = _NOT_GIVEN
    """The median rank's compute step (bench) or steady step (log)."""
    slowest_rank_step_ms: Maybe[float] = _NOT_GIVEN
    scaling_efficiency: Maybe[float] = _NOT_GIVEN
    """Job tokens/s over world_size x one process's tokens/s on the same per-rank config."""
    scaling_reference: str = ""
    """What the single-process reference ran ("1 process x 1 thread on CPU 0, batch_size 12")."""
    rank_cpus: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    """CPUs each rank was pinned to, by rank (a pinned bench)."""

    @property
    def multi_rank(self) -> bool:
        """True when more than one rank is known to take part."""
        return isinstance(self.world_size, int) and self.world_size > 1

    @property
    def device_type(self) -> Maybe[str]:
        """ "cpu", "cuda", ...: the device without its index."""
        return _device_type(self.device)

    @property
    def local_ranks(self) -> Maybe[int]:
        """Ranks on this host: nproc_per_node, else the world size on a single node."""
        if isinstance(self.nproc_per_node, int):
            return self.nproc_per_node
        if isinstance(self.world_size, int) and self.nnodes == 1:
            return self.world_size
        return Unavailable("ranks per node not known")


@dataclass(frozen=True)
class JobGpuFacts:
    """One NVIDIA GPU while the user's job ran (``mfu-advisor run``), from NVML samples."""

    index: int
    name: str
    used_by_job: Maybe[bool] = _NOT_GIVEN
    """True when one of the job's processes had a context on this GPU."""
    util_percent_median: Maybe[float] = _NOT_GIVEN
    """Median share of time a kernel ran (nvmlDeviceGetUtilizationRates), 0-100."""
    sm_clock_mhz_median: Maybe[float] = _NOT_GIVEN
    sm_clock_mhz_max: Maybe[float] = _NOT_GIVEN
    power_w_median: Maybe[float] = _NOT_GIVEN
    power_limit_w: Maybe[float] = _NOT_GIVEN
    temperature_c_max: Maybe[float] = _NOT_GIVEN
    memory_used_fraction_max: Maybe[float] = _NOT_GIVEN
    power_cap_share: Maybe[float] = _NOT_GIVEN
    """Share (0-1) of samples with the software power cap holding the clocks down."""
    thermal_share: Maybe[float] = _NOT_GIVEN
    """Share of samples with a thermal slowdown (software or hardware) active."""
    hw_slowdown_share: Maybe[float] = _NOT_GIVEN
    """Share of samples with the hardware slowdown or power-brake reason active."""


@dataclass(frozen=True)
class JobFacts:
    """The user's own training job as ``mfu-advisor run`` watched it: what the hardware did,
    over the samples after its first training step (all when no step line was recognised)."""

    exit_code: int
    wall_s: float
    samples: int
    """Samples in the steady window."""
    window_start_s: float
    """Seconds after the start at which the steady window begins."""
    usable_cpus: int
    job_cpu_cores_median: Maybe[float] = _NOT_GIVEN
    """The job's processes' CPU use in cores (1.0 = one core fully busy), median."""
    busiest_cpu_percent_median: Maybe[float] = _NOT_GIVEN
    """Median over samples of the busiest CPU's utilisation, 0-100."""
    machine_cpu_percent_median: Maybe[float] = _NOT_GIVEN
    job_threads_max: Maybe[int] = _NOT_GIVEN
    load_1min_median: Maybe[float] = _NOT_GIVEN
    memory_used_fraction_max: Maybe[float] = _NOT_GIVEN
    """Largest share of system memory in use."""
    job_memory_fraction_max: Maybe[float] = _NOT_GIVEN
    """Largest share of system memory the job's processes held (their RSS summed)."""
    gpus: tuple[JobGpuFacts, ...] = ()
    gpu_unavailable: str = ""
    """Why no GPU was sampled ("" when GPUs were sampled)."""

    @property
    def job_gpus(self) -> tuple[JobGpuFacts, ...]:
        """The GPUs the job ran on (when NVML cannot tell, every busy GPU)."""
        used = tuple(g for g in self.gpus if g.used_by_job is True)
        if used:
            return used
        return tuple(
            g
            for g in self.gpus
            if isinstance(g.used_by_job, Unavailable)
            and isinstance(g.util_percent_median, float)
            and g.util_percent_median > 0
        )
