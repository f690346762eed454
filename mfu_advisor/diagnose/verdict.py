"""The one-paragraph verdict: how far from the peak, the biggest lever, what not to do."""

from __future__ import annotations

from collections.abc import Sequence

from mfu_advisor.bench.denominators import PEAK_TOLERANCE
from mfu_advisor.diagnose.noise import AAFloor
from mfu_advisor.experiments.compare import overlap
from mfu_advisor.experiments.outcome import fix_flags
from mfu_advisor.experiments.result import ExperimentResult, Method, Status, Verdict
from mfu_advisor.rules.conditions_rules import BUSY_RUN_TO_RUN
from mfu_advisor.rules.finding import Finding, Kind
from mfu_advisor.run_facts import LogFacts, RunFacts
from mfu_advisor.units import factor, flops, percent, plus_minus, slower


def _reach(run: RunFacts | None, log: LogFacts | None) -> str:
    """The first sentence: the run's share of the measured peak."""
    if run is not None and isinstance(run.mfu_measured, float):
        assert isinstance(run.achieved_flops, float) and isinstance(run.measured_peak_flops, float)
        sentence = (
            f"Your run reaches {percent(run.mfu_measured)} of what this machine can do: "
            f"{flops(run.achieved_flops)} of the {flops(run.measured_peak_flops)} "
            f"{run.dtype} matmul peak measured here"
        )
    elif log is not None and isinstance(log.true_mfu, float):
        sentence = f"Your logged run reaches {percent(log.true_mfu)} of {log.peak_source}"
    elif run is not None:
        return "The baseline run measured no matmul peak to compare with."
    else:
        return "No run was measured here, so there is no MFU to give."
    if log is not None and isinstance(log.reported_mfu, float) and log.format == "nanogpt":
        sentence += (
            f" (nanoGPT prints {percent(log.reported_mfu)} because it divides by an A100's "
            "312 TFLOP/s)"
        )
    return sentence + "."


def _peak_check(run: RunFacts | None, log: LogFacts | None) -> str:
    """Say plainly when the device's peak is below what was measured or achieved here (a
    CPU estimate from a VM's too-low clock): MFU against it is overstated."""
    if run is not None:
        device, measured = run.device_peak_flops, run.measured_peak_flops
        if (
            isinstance(device, float)
            and isinstance(measured, float)
            and measured > device * PEAK_TOLERANCE
        ):
            estimated = "estimated" in run.device_peak_source.lower()
            kind = "datasheet-style estimate" if estimated else "datasheet peak"
            why = (
                "the clock used for it is too low"
                if estimated
                else "this device runs faster than the figure used"
            )
            return (
                f"The {kind} of this device's {run.dtype} peak ({flops(device)}) is below what "
                f"was measured here ({flops(measured)}), so {why}; MFU against the measured "
                "peak is the trustworthy one."
            )
    if log is not None and isinstance(log.true_mfu, float) and log.true_mfu > 1:
        return (
            f"The logged run's {percent(log.true_mfu)} is above 100%, which no run can reach: "
            f"the peak it is divided by ({log.peak_source}) is too low for that hardware, so "
            "read the logged throughput, not that MFU."
        )
    return ""


def _both(experiment: ExperimentResult | None) -> str:
    """What separate fresh processes measured too, when they confirmed the change."""
    if experiment is None or experiment.separate_speedup is None:
        return ""
    separate = (
        f"{factor(experiment.separate_speedup)} ({plus_minus(experiment.separate_noise or 0)})"
    )
    if experiment.interleaved_speedup is not None:
        inside = factor(experiment.interleaved_speedup)
        spread = plus_minus(experiment.interleaved_noise or 0)
        return (
            f"; in separate fresh processes, as in your own runs, {separate}, which counts: "
            f"in one process with the baseline it measured {inside} ({spread})"
        )
    return f"; confirmed in separate fresh processes: {separate}"


def _measured(finding: Finding, experiments: dict[str, ExperimentResult]) -> str:
    """ "batch_size 12 -> 48 measured 1.12x tokens/s (+-5.0%)" """
    assert finding.verified_speedup is not None
    experiment = experiments.get(finding.experiment or "")
    change = experiment.change if experiment is not None else finding.fix
    noise = f" ({plus_minus(finding.noise)})" if finding.noise is not None else ""
    measured = factor(finding.verified_speedup)
    return f"{change} measured {measured} tokens/s{noise}{_both(experiment)}"


def _tied(top: Finding, other: Finding) -> bool:
    """True when two measured speedups' intervals overlap (neither is surely the larger)."""
    assert top.verified_speedup is not None and other.verified_speedup is not None
    return overlap(
        (top.verified_speedup, top.noise or 0.0), (other.verified_speedup, other.noise or 0.0)
    )


def _lever(findings: Sequence[Finding], experiments: dict[str, ExperimentResult]) -> str:
    verified = [f for f in findings if f.kind is Kind.DO and f.verified_speedup is not None]
    if verified:
        top = verified[0]
        tied = [f for f in verified[1:] if f.experiment != top.experiment and _tied(top, f)]
        if tied:
            leaders = [top, *tied]
            listed = "; ".join(f"{_measured(f, experiments)} ({f.fix})" for f in leaders)
            return (
                f"The biggest levers are tied, their intervals overlap, so either may lead "
                f"on another run: {listed}."
            )
        return (
            f"The biggest lever is {top.title.split(':')[0].lower()}: "
            f"{_measured(top, experiments)} ({top.fix})."
        )
    ran = any(e.status is Status.OK for e in experiments.values())
    sentence = "No change measured faster beyond the noise."
    if not ran:
        sentence = "No change was measured here (no experiments ran)."
    expected = [f for f in findings if f.kind is Kind.DO and f.expected_speedup is not None]
    if expected:
        best = expected[0]
        sentence += f" The most promising change not yet verified: {best.fix} ({best.title})."
    return sentence


def _combined(combined: ExperimentResult | None) -> str:
    """The combined fix first: what applying every verified change together measured."""
    if combined is None:
        return ""
    count = len(combined.parts)
    if not combined.ok:
        return (
            f"The {count} verified changes were not measured together "
            f"({combined.reason or 'no result'}): their gains need not add up."
        )
    assert combined.speedup is not None and combined.noise is not None
    measured = (
        f"{factor(combined.speedup)} tokens/s ({plus_minus(combined.noise)}) ({combined.change})"
    )
    flags = fix_flags(combined.overrides)
    if combined.verdict is Verdict.FASTER:
        return f"Apply these {count} changes together, {flags}: measured {measured}."
    if combined.verdict is Verdict.SLOWER:
        return (
            f"Don't apply the {count} verified changes together ({flags}): measured {measured}; "
            "apply the biggest lever alone."
        )
    return (
        f"The {count} verified changes together ({flags}) measured {measured}, within the "
        "noise: apply the biggest lever alone."
    )


def _floor(aa: AAFloor | None) -> str:
    """The measured noise floor: the baseline against itself."""
    if aa is None:
        return ""
    if aa.floor is None:
        spread = f" ({plus_minus(aa.noise)})" if aa.noise is not None else ""
        return (
            f"The baseline measured against itself gave {factor(aa.speedup)}{spread}: other work "
            "disturbed that comparison, so it sets no noise floor here."
        )
    return (
        f"Noise floor: the baseline measured against itself gave {factor(aa.speedup)}, so no "
        f"effect under {percent(aa.floor)} is told from noise here; each interval also counts "
        "the drift between runs."
    )


def _donts(findings: Sequence[Finding], experiments: dict[str, ExperimentResult]) -> str:
    parts = [
        f"{experiments[f.experiment].change if f.experiment in experiments else f.title} "
        f"measured {slower(f.verified_speedup)}"
        for f in findings
        if f.kind is Kind.DONT and f.verified_speedup is not None
    ]
    return f"Don't: {'; '.join(parts)}." if parts else ""


def _neutral(experiments: dict[str, ExperimentResult]) -> str:
    parts = []
    for e in experiments.values():
        if e.verdict is Verdict.WITHIN_NOISE and e.speedup is not None and e.noise is not None:
            parts.append(f"{e.name} {factor(e.speedup)} ({plus_minus(e.noise)})")
        elif e.status is Status.FAILED and e.reason:
            parts.append(f"{e.name} failed: {e.reason}")
    return f"No measurable effect or no result: {'; '.join(parts)}." if parts else ""


def _busy(run_to_run: float | None, experiments: Sequence[ExperimentResult]) -> str:
    if run_to_run is None or run_to_run < BUSY_RUN_TO_RUN:
        return ""
    sentence = (
        f"The baseline's measurements differed by {percent(run_to_run)} from one run to "
        "the next: something else was competing for this machine"
    )
    if any(e.method is Method.INTERLEAVED for e in experiments):
        return sentence + (
            ". The variants measured interleaved with the baseline cancel most of that; "
            "each interval shows what remains, and an idle machine gives finer verdicts."
        )
    return sentence + (
        ", so only large effects could be told from the noise; rerun on an idle machine "
        "for finer verdicts."
    )


def verdict(
    run: RunFacts | None,
    log: LogFacts | None,
    findings: Sequence[Finding],
    experiments: Sequence[ExperimentResult],
    run_to_run: float | None = None,
    *,
    aa: AAFloor | None = None,
    combined: ExperimentResult | None = None,
) -> str:
    """The verdict paragraph for the ranked ``findings``; ``run_to_run`` is the spread between
    the baseline's runs (a large one says the machine was busy), ``combined`` the combined fix,
    which the advice leads with."""
    named = {e.name: e for e in experiments}
    sentences = [_reach(run, log), _peak_check(run, log), _combined(combined)]
    sentences += [_lever(findings, named), _donts(findings, named), _neutral(named)]
    sentences += [_busy(run_to_run, experiments), _floor(aa)]
    return " ".join(s for s in sentences if s)
