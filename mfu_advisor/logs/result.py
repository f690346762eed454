"""The result of ``analyze``: frozen dataclasses that are the JSON payload (docs/analyze.md).

Units are in the field names; an ``Unavailable`` becomes ``null`` plus its reason in the
``unavailable`` object beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.mfu import MfuFigure


@dataclass(frozen=True)
class FileFacts:
    """One input: how much of it was read and understood."""

    name: str
    format: str
    lines: int
    step_lines: int
    lines_not_understood: int
    not_understood_examples: tuple[str, ...]
    """Up to five ``line: text`` examples of lines no rule of the format recognised."""
    long_lines_cut: int
    binary: bool
    """True when the input holds NUL bytes (probably not a text log)."""
    truncated: bool
    """True when a gzip stream ended early; the part before was analysed."""


@dataclass(frozen=True)
class SeriesPoint:
    """One step line, for charts."""

    step: float | None
    loss: float | None
    step_time_ms: float | None
    tokens_per_s: float | None
    reported_mfu: float | None
    """As the log printed it, as a fraction (0.166 for 16.6%)."""


@dataclass(frozen=True)
class WarmupFacts:
    """The steps at the start of each run that were slower than the steady state."""

    steps: int
    """Step lines excluded as warm-up (compilation, caches, allocator), all runs together."""
    first_step_time_ms: Maybe[float]
    """The first timed step of the first run."""
    first_over_steady: Maybe[float]
    """How many times slower than the steady median the first step was."""
    time_ms: Maybe[float]
    """Time of the warm-up steps beyond what steady steps would have taken."""
    wall_time_fraction: Maybe[float]
    """That extra time as a share of the estimated wall time of the logged steps."""
    method: str


@dataclass(frozen=True)
class EvalPoint:
    """One evaluation line."""

    file: str
    line: int
    step: float | None
    values: Mapping[str, float]
    time_ms: float | None
    """Stated by the log, or the slowdown of the step that ran it; None when unknown."""


@dataclass(frozen=True)
class EvalFacts:
    """Evaluations and the time they cost."""

    count: int
    time_ms: Maybe[float]
    """Total time spent evaluating (estimated for spike timing)."""
    time_fraction: Maybe[float]
    """Share of the wall time spent evaluating (same as ``eval_time_fraction``)."""
    method: str
    """"spike" (slowdown of the steps that ran one), "stated" (printed) or "untimed"."""
    points: tuple[EvalPoint, ...]
    """The first 1,000 evaluation lines."""


@dataclass(frozen=True)
class StallPoint:
    """A steady-state step much slower than the median."""

    step: float | None
    line: int
    file: str
    step_time_ms: float


@dataclass(frozen=True)
class JitterFacts:
    """How much steady-state step times vary."""

    cv: Maybe[float]
    """Standard deviation over mean of steady step times."""
    p50_ms: Maybe[float]
    p90_ms: Maybe[float]
    p90_over_p50: Maybe[float]
    stall_threshold_ms: Maybe[float]
    """Steps slower than this (3x the median) count as stalls."""
    stalls: int
    """Steady steps over the threshold (estimated from the sample on very long logs)."""
    worst: tuple[StallPoint, ...]
    """The slowest steady steps (up to five)."""
    steps_used: int
    """Steady step rows the figures come from."""


@dataclass(frozen=True)
class RestartFacts:
    """A point where the step number went back: a resumed or a second, concatenated run."""

    file: str
    line: int
    from_step: float | None
    to_step: float | None
    kind: str
    """"new run" (a run header came before it, or it restarts from step 0/1) or "resumed"."""


@dataclass(frozen=True)
class LossFacts:
    """The loss curve in brief."""

    first: Maybe[float]
    last: Maybe[float]
    min: Maybe[float]
    trend: str
    """"falling", "flat", "rising", "constant" (identical values: a stuck run) or "unknown"."""
    nan_steps: int
    """Step lines whose loss was nan or inf."""


@dataclass(frozen=True)
class ReferenceFacts:
    """What the log's own MFU was relative to (per device)."""

    label: Maybe[str]
    flops: Maybe[float]
    kind: str
    """"fixed", "table", "fallback", "printed", "inferred", "unknown" or "none"."""
    keyed_to: Maybe[str]
    """The device the reference peak belongs to ("A100")."""
    applies_to_run: Maybe[bool]
    """False when the run did not use that device (nanoGPT on a CPU)."""
    note: str


@dataclass(frozen=True)
class HardwareHints:
    """What the log says about the hardware it ran on."""

    device: Maybe[str]
    """"cpu", "cuda", "mps", "xpu"."""
    gpu_names: tuple[str, ...]
    printed_peak_flops: Maybe[float]
    precision: Maybe[str]
    devices: Maybe[int]
    evidence: tuple[str, ...]
    """``file:line: text`` of the lines the hints come from (up to 20)."""


@dataclass(frozen=True)
class PeakChoice:
    """The peak the true MFU divides by."""

    hardware: Maybe[str]
    hardware_source: str
    """"--hardware", "--peak-tflops", "named in the log", "this machine (probe)" or "none"."""
    kind: Maybe[str]
    """"gpu" or "cpu"."""
    dtype: Maybe[str]
    dtype_source: str
    flops: Maybe[float]
    """Per-device dense peak in FLOP/s."""
    source: str
    """Citation of the peak (datasheet, formula, the user)."""
    estimated: bool


@dataclass(frozen=True)
class MissingFigure:
    """A figure the analysis could not give, and how the user can supply it."""

    figure: str
    reason: str
    how: str


@dataclass(frozen=True)
class RankFigures:
    """One rank's steady state, from the lines with its rank prefix."""

    rank: int
    steps: int
    """Step lines with this rank's prefix."""
    steady_step_time_ms: Maybe[float]
    """Median of the rank's steady steps (its own warm-up, evaluation and pause steps excluded)."""
    tokens_per_s: Maybe[float]
    """Tokens/s of this rank alone."""
    tokens_per_s_source: str


@dataclass(frozen=True)
class JobFigures:
    """The whole job: every rank together."""

    tokens_per_s: Maybe[float]
    tokens_per_s_source: str
    achieved_flops: Maybe[float]
    """Model FLOP/s of the job: per-rank FLOP/s x world size."""
    peak_flops: Maybe[float]
    """Per-device peak x world size."""
    mfu: Maybe[float]
    """achieved_flops / peak_flops, a fraction."""


@dataclass(frozen=True)
class StragglerFacts:
    """How much slower the slowest rank's steady steps are than the median rank's."""

    slowest_rank: int
    slowest_rank_step_time_ms: float
    median_rank: int
    """The median rank by steady step time (the lower of the two middle ones for an even count)."""
    median_rank_step_time_ms: float
    spread: float
    """slowest / median - 1."""


@dataclass(frozen=True)
class DistributedFacts:
    """A multi-process (or multi-GPU) run: world size, what the log's figures count, per rank."""

    world_size: Maybe[int]
    world_size_source: str
    world_size_lower_bound: bool
    """True when the world size is only the highest rank prefix seen + 1."""
    ranks_seen: tuple[int, ...]
    """Ranks whose prefixes appear on lines (empty when the lines carry none)."""
    rank_prefixed: bool
    rank_prefix_style: str
    """"torchrun", "torchrun (default role)", "srun --label", "rank N:", "[rank N]" or ""."""
    parallel: str
    """"ddp", "fsdp", "data_parallel" (torch.nn.DataParallel) or "unknown"."""
    parallel_evidence: str
    backend: Maybe[str]
    mfu_scope: str
    """What the log's printed MFU measures: "per_rank", "job" or "unknown"."""
    tokens_per_s_scope: str
    """What the analysis' tokens_per_s measures: "per_rank", "job" or "unknown"."""
    per_rank: tuple[RankFigures, ...]
    job: JobFigures
    straggler: StragglerFacts | Unavailable
    notes: tuple[str, ...]


@dataclass(frozen=True)
class LogAnalysis:
    """Everything ``mfu-advisor analyze`` found in a training log (the ``--json`` payload)."""

    format: str
    format_title: str
    format_variant: str
    format_confidence: float
    format_scores: Mapping[str, float]
    files: tuple[FileFacts, ...]
    steps: int
    """Step lines read, all inputs together."""
    first_step: Maybe[float]
    last_step: Maybe[float]
    iterations_covered: Maybe[int]
    """Training iterations spanned by the step lines (a line every 10 iterations spans 10)."""
    log_interval_steps: Maybe[int]
    steady_step_time_ms: Maybe[float]
    """Median time of a step in the steady state (warm-up, evaluation and pause steps excluded)."""
    step_time_source: str
    warmup_steps: int
    warmup: WarmupFacts
    tokens_per_step: Maybe[float]
    tokens_per_step_source: str
    tokens_per_s: Maybe[float]
    tokens_per_s_scope: str
    """"run" (all devices together) or "device" (per device, as torchtitan prints it)."""
    tokens_per_s_source: str
    devices: Maybe[int]
    devices_source: str
    flops_per_token: Maybe[float]
    flops_per_token_source: str
    n_params: Maybe[int]
    flops_per_token_trainer: Maybe[float]
    """The trainer's own FLOPs-per-token figure when its formula differs from nanoGPT's."""
    achieved_flops: Maybe[float]
    """Model FLOP/s per device in the steady state."""
    achieved_flops_source: str
    achieved_flops_total: Maybe[float]
    """Model FLOP/s of all devices together."""
    reported_mfu: Maybe[float]
    """Median over steady steps of the MFU the log printed, a fraction (placeholders excluded)."""
    reported_mfu_last: Maybe[float]
    reported_mfu_source: str
    reported_mfu_placeholder: bool
    """True when every MFU the log printed is a placeholder (``-100%``), not a measurement."""
    reported_mfu_placeholder_lines: int
    """Step lines whose printed MFU is such a placeholder (some are normal for nanoGPT)."""
    reference: Maybe[str]
    """What the log's MFU was relative to ("A100 bf16 312 TFLOP/s (...)")."""
    reference_flops: Maybe[float]
    reference_detail: ReferenceFacts
    achieved_flops_implied: Maybe[float]
    """Per-device FLOP/s the log's own MFU stands for: reported_mfu x reference_flops."""
    peak: PeakChoice
    mfu: MfuFigure
    """The true MFU: achieved_flops over the chosen hardware's peak for the chosen dtype."""
    mfu_vs_reference: MfuFigure
    """achieved_flops over the log's reference peak: recomputes the log's own MFU."""
    mfu_from_reported: MfuFigure
    """The log's MFU rescaled to the chosen hardware: achieved_flops_implied over its peak."""
    eval_time_fraction: Maybe[float]
    evals: EvalFacts
    jitter: JitterFacts
    restarts: tuple[RestartFacts, ...]
    restart_count: int
    runs: int
    loss: LossFacts
    config: Mapping[str, Any]
    """Key/values the log states (and ``--set`` overrides), with nanoGPT's names if they exist."""
    config_sources: Mapping[str, str]
    gpt_config: Mapping[str, Any]
    """The run's configuration under nanoGPT's names, known defaults filled in (empty for
    trainers without a GPT-2-like config)."""
    gpt_config_sources: Mapping[str, str]
    summary: Mapping[str, Any]
    """End-of-run figures the trainer printed (train_runtime, time per iteration, ...)."""
    hardware_hints: HardwareHints
    series: tuple[SeriesPoint, ...]
    """Step lines for the charts, in order: all, or min/max per bucket (``series_method``)."""
    series_every: int
    """Step lines per series bucket (1 = every step line is in the series)."""
    series_method: str
    """How the series was chosen: "every step line" or "min/max per bucket"."""
    sampled: bool
    """True when percentiles come from an evenly spaced sample (very long logs)."""
    missing: tuple[MissingFigure, ...]
    notes: tuple[str, ...]
    distributed: DistributedFacts | Unavailable
    """The multi-process view; unavailable (null) when the log shows one process."""
    tokens_per_s_scope_known: bool = True
    """False when the trainer does not say whether its tokens/s count one device or the job."""
    scope_note: str = ""
    """How this trainer's tokens/s and MFU count devices, with the source (logs/formats)."""

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> LogAnalysis:
        """A saved analyze payload read back, upgraded first (compat.py); LoadError if not one."""
        from mfu_advisor.compat import upgrade_analysis
        from mfu_advisor.facts import dataclass_from_jsonable

        return dataclass_from_jsonable(cls, upgrade_analysis(payload), "analysis")
