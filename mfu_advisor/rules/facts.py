"""What the rules read: the machine, the baseline run, the analyzed log, the experiments
(each optional: ``diagnose --root`` has hardware only); the views are mfu_advisor/run_facts.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mfu_advisor.experiments.result import ExperimentResult, Status, Verdict
from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.run_facts import (
    ConditionsFacts,
    DistributedFacts,
    JobFacts,
    LogFacts,
    RunFacts,
)

if TYPE_CHECKING:
    from mfu_advisor.probe.facts import HardwareFacts


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

    def measured(self, *names: str) -> ExperimentResult | None:
        """Of the experiments named that ran, the one that decides the advice (the fastest beyond
        the noise, else one within it, else the least slow); None if none ran."""
        ran = [e for e in self.experiments if e.name in names and e.ok]
        order = (None, Verdict.SLOWER, Verdict.WITHIN_NOISE, Verdict.FASTER)
        return max(ran, key=lambda e: (order.index(e.verdict), e.speedup or 0.0), default=None)

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
