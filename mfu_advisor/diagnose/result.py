"""``DiagnoseResult``: the diagnose payload (docs/diagnose.md documents every field); its
hardware, baseline and analysis are the probe, bench and analyze payloads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mfu_advisor.bench.result import BenchResult
from mfu_advisor.experiments.result import ExperimentResult
from mfu_advisor.facts import Maybe, Unavailable, dataclass_from_jsonable, fields_to_json
from mfu_advisor.logs.result import LogAnalysis
from mfu_advisor.rules.finding import Finding

_NOT_MEASURED = Unavailable("not measured")


@dataclass(frozen=True)
class PhaseRecord:
    """One phase of the diagnosis and how long it took."""

    name: str
    """"probe", "analyze", "baseline", "baseline-aa" (the A/A comparison), "baseline-repeat",
    "experiment:<name>", "rules"."""
    started_s: float
    """Seconds after the diagnosis started."""
    elapsed_s: float
    status: str
    """"done", "failed", "skipped" or "interrupted"."""
    detail: str = ""


@dataclass(frozen=True)
class NoiseFacts:
    """How noisy this machine's measurements were: what every verdict is judged against."""

    baseline_runs_tokens_per_s: tuple[float, ...]
    """tokens/s of each of the baseline's own runs (the first, and any repeat around a
    variant run alone)."""
    baseline_tokens_per_s: Maybe[float]
    """Their mean."""
    run_to_run: Maybe[float]
    """Relative spread between the baseline's own runs ((max - min) / mean)."""
    assumed_run_to_run: float | None
    """The run-to-run noise assumed instead when the baseline ran only once; else None."""
    floor: float
    """No speedup's noise is below this."""
    interleaved_baseline_tokens_per_s: tuple[float, ...] = ()
    """tokens/s of the baseline arm in each interleaved variant's process, in run order;
    each shares its process with a different variant, so their spread is not run-to-run
    noise (interleaved speedups take their noise from their own pairs of blocks)."""
    other_cpu_share: Maybe[float] = _NOT_MEASURED
    """Share (0-1) of the machine's CPUs other processes kept busy during the bench runs."""
    other_cpu_share_max: Maybe[float] = _NOT_MEASURED
    """The same during the busiest run."""
    aa_speedup: Maybe[float] = _NOT_MEASURED
    """The A/A comparison: the baseline interleaved with itself in one process (should be 1)."""
    aa_noise: Maybe[float] = _NOT_MEASURED
    """Relative half-width of the A/A speedup's interval, from its own pairs of blocks."""
    aa_pairs: int | None = None
    """Pairs of blocks of the A/A comparison; None when it did not run."""
    measured_floor: Maybe[float] = _NOT_MEASURED
    """The measured noise floor: how far the A/A interval reaches from 1. No speedup's
    noise is below it."""
    between_runs: float | None = None
    """Between-run drift folded into every interleaved speedup's noise (in quadrature)."""


@dataclass(frozen=True)
class DiagnoseResult:
    """Everything ``mfu-advisor diagnose`` found; its JSON is the diagnose payload."""

    mode: str
    """"live" (probe, baseline, experiments here), "snapshot" (--root: the recorded machine's
    facts only) or "no-experiments"."""
    hardware: Maybe[Mapping[str, Any]]
    """The probe payload (``probe --json`` minus the envelope)."""
    baseline: Maybe[Mapping[str, Any]]
    """The bench payload of the first baseline run (``bench --json`` minus the envelope)."""
    analysis: Mapping[str, Any] | None
    """The analyze payload of --from-log's log; null without --from-log."""
    experiments: tuple[ExperimentResult, ...]
    findings: tuple[Finding, ...]
    """Ranked best first: verified speedup, then expected gain, then severity."""
    verdict: str
    """One paragraph: how close the run gets to this machine's measured peak, the biggest
    lever and its measured factor, and what not to do."""
    noise: NoiseFacts | None
    budget_s: float
    elapsed_s: float
    phases: tuple[PhaseRecord, ...]
    interrupted: bool = False
    """True when Ctrl-C ended the diagnosis early; what was measured until then is here."""
    notes: tuple[str, ...] = field(default=())
    combined: ExperimentResult | None = None
    """The combined fix: every verified change that can be combined, measured together
    interleaved with the baseline (``parts`` names them); skipped with the reason when the
    budget did not allow it; null with fewer than two such changes."""

    def to_json(self) -> dict[str, Any]:
        return fields_to_json(self)

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> DiagnoseResult:
        """A diagnose payload read back; its baseline and analysis must load as their own
        results (LoadError otherwise)."""
        result = dataclass_from_jsonable(cls, payload, "diagnose")
        result.baseline_result()
        result.analysis_result()
        return result

    def baseline_result(self) -> BenchResult | None:
        """The baseline as a typed bench result; None when it did not run."""
        if isinstance(self.baseline, Unavailable):
            return None
        return BenchResult.from_json(self.baseline)

    def analysis_result(self) -> LogAnalysis | None:
        """The --from-log analysis as a typed result; None without --from-log."""
        return None if self.analysis is None else LogAnalysis.from_json(self.analysis)
