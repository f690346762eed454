"""What the rules read: the machine, the baseline run, the analyzed log, the experiments.

Every part is optional: ``diagnose --root SNAPSHOT`` has hardware only,
``--from-log`` adds a log, a live diagnose adds the baseline and experiments.
The run, the log and the conditions are the views of mfu_advisor/run_facts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mfu_advisor.experiments.result import ExperimentResult, Status, Verdict
from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.run_facts import ConditionsFacts, DistributedFacts, LogFacts, RunFacts

if TYPE_CHECKING:
    from mfu_advisor.probe.facts import HardwareFacts


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
    """The user's own training job as ``mfu-advisor run`` watched it: what the hardware did.

    Figures are over the job's steady window: the samples taken after its first
    training step was printed (all samples when no step line was recognised).
    """

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


@dataclass(frozen=True)
class DiagnosisFacts:
    """Everything the rules may read; each part may be missing."""

    hardware: HardwareFacts | None = None
    baseline: RunFacts | None = None
    log: LogFacts | None = None
    experiments: tuple[ExperimentResult, ...] = ()
    conditions: ConditionsFacts | None = None
    distributed: DistributedFacts | None = None
    """The multi-rank run (bench ``--nproc-per-node`` or a multi-rank log); None for one process."""
    job: JobFacts | None = None
    """The user's own job as ``mfu-advisor run`` watched it; None elsewhere."""

    def experiment(self, name: str) -> ExperimentResult | None:
        """The experiment called ``name``, whatever its status; None when it was not planned."""
        for result in self.experiments:
            if result.name == name:
                return result
        return None

    def measured(self, *names: str) -> ExperimentResult | None:
        """Of the experiments named that ran, the one that decides the advice; None if none ran.

        The fastest of those faster beyond the noise; else one within the noise
        (no measurable effect); else, when all measured slower, the least slow.
        """
        ran = [e for e in self.experiments if e.name in names and e.ok]
        if not ran:
            return None
        for verdict in (Verdict.FASTER, Verdict.WITHIN_NOISE, Verdict.SLOWER):
            matching = [e for e in ran if e.verdict is verdict]
            if matching:
                return max(matching, key=lambda e: e.speedup or 0.0)
        return max(ran, key=lambda e: e.speedup or 0.0)

    def attempted(self, *names: str) -> ExperimentResult | None:
        """The first of the experiments named that failed (ran but measured nothing)."""
        for result in self.experiments:
            if result.name in names and result.status is Status.FAILED:
                return result
        return None

    @property
    def multi_rank_bench(self) -> bool:
        """True when the baseline was measured by a multi-rank bench (its threads are per rank)."""
        dist = self.distributed
        return dist is not None and dist.source == "bench" and dist.multi_rank

    @property
    def run_device_type(self) -> Maybe[str]:
        """The device type of the run being diagnosed: the baseline's, else the log's."""
        if self.baseline is not None:
            return self.baseline.device_type
        if self.log is not None:
            return self.log.device_type
        return Unavailable("no run: neither a baseline nor a log")
