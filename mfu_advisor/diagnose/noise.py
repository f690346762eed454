"""What the verdicts are judged against (docs/diagnose.md, "Noise and verdicts"): the baseline's
own run-to-run spread, the A/A floor, and the CPU share other processes used (Linux only)."""

from __future__ import annotations

import dataclasses
import os
import resource
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mfu_advisor.bench.paired import PairedComparison
from mfu_advisor.diagnose.result import NoiseFacts
from mfu_advisor.experiments.compare import (
    ASSUMED_RUN_TO_RUN,
    BETWEEN_RUNS,
    NOISE_FLOOR,
    SINGLE_STEP_NOISE,
    BaselineEstimate,
    RunMeasure,
    aa_floor,
    baseline_estimate,
)
from mfu_advisor.facts import Unavailable
from mfu_advisor.run_facts import ConditionsFacts

PROC_STAT = Path("/proc/stat")

#: Fields of /proc/stat's "cpu" line that count as busy (proc(5)): user, nice,
#: system, irq, softirq. idle, iowait and steal are not.
_BUSY_FIELDS = (0, 1, 2, 5, 6)

#: An A/A comparison noisier than this gives no floor: a burst of other work hit its
#: few pairs (on the development VM, once, 0.67x +-66,000% over 3 pairs while other
#: processes kept 41% of the CPUs busy). The same cap as a single step's assumed noise.
AA_USABLE_NOISE = SINGLE_STEP_NOISE

_ONCE = "the baseline ran once in a process of its own"
_NO_AA = Unavailable("the A/A comparison (the baseline against itself) did not run")


@dataclass(frozen=True)
class CpuSample:
    """A reading of the machine's and our own CPU time, in seconds."""

    machine_busy_s: float
    ours_s: float


def sample(stat_path: Path = PROC_STAT) -> CpuSample | None:
    """The machine's busy CPU seconds and ours (this process, finished children); None off Linux."""
    try:
        ticks = [int(v) for v in stat_path.read_text(encoding="ascii").splitlines()[0].split()[1:]]
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
    busy = sum(ticks[i] for i in _BUSY_FIELDS if i < len(ticks)) / hz
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    ours = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    return CpuSample(busy, ours)


def others_share(
    before: CpuSample | None, after: CpuSample | None, wall_s: float, cpus: int
) -> float | None:
    """Share (0-1) of the machine's CPUs other processes kept busy between two samples."""
    if before is None or after is None or wall_s <= 0 or cpus <= 0:
        return None
    others = (after.machine_busy_s - before.machine_busy_s) - (after.ours_s - before.ours_s)
    return min(1.0, max(0.0, others / (wall_s * cpus)))


def own_estimate(own_runs: Sequence[RunMeasure]) -> BaselineEstimate | None:
    """The baseline over its own runs; None before any."""
    return baseline_estimate(own_runs) if own_runs else None


def bracket(
    own_runs: Sequence[RunMeasure], runs_before: int, overall: BaselineEstimate | None
) -> BaselineEstimate | None:
    """The baseline a variant run alone is compared with (A B A): its own runs just before
    and after it, with the run-to-run spread of all its own runs when there are more."""
    around = list(own_runs[max(0, runs_before - 1) :][:2])
    if not around or overall is None:
        return overall
    near = baseline_estimate(around)
    spread = overall.run_to_run if overall.run_to_run is not None else near.run_to_run
    return dataclasses.replace(near, run_to_run=spread)


@dataclass(frozen=True)
class AAFloor:
    """What the A/A comparison (the baseline against itself, interleaved) measured."""

    speedup: float
    noise: float | None
    """From its own pairs; None with a single pair."""
    pairs: int
    floor: float | None
    """The measured noise floor, never below NOISE_FLOOR; None when the comparison was
    too disturbed to give one (noise over :data:`AA_USABLE_NOISE`)."""


def aa_of(paired: PairedComparison | None) -> AAFloor | None:
    """The A/A figures of the baseline-against-itself run; None when it measured none."""
    if paired is None or isinstance(paired.speedup, Unavailable) or paired.speedup <= 0:
        return None
    noise = paired.noise if isinstance(paired.noise, float) else None
    usable = noise is not None and noise <= AA_USABLE_NOISE
    floor = max(aa_floor(paired.speedup, noise), NOISE_FLOOR) if usable else None
    return AAFloor(paired.speedup, noise, paired.pairs, floor)


def floor_of(aa: AAFloor | None) -> float:
    """The noise floor every speedup gets: the measured A/A floor, else NOISE_FLOOR."""
    return aa.floor if aa is not None and aa.floor is not None else NOISE_FLOOR


def conditions(
    cpu_shares: Sequence[tuple[float, float]], overall: BaselineEstimate | None
) -> ConditionsFacts:
    """How busy the machine was during the bench runs (share, wall seconds), and the spread."""
    share: float | Unavailable = Unavailable("no bench run was measured")
    peak = share
    wall = sum(elapsed for _, elapsed in cpu_shares)
    if cpu_shares and wall > 0:
        share = round(sum(s * e for s, e in cpu_shares) / wall, 4)
        peak = round(max(s for s, _ in cpu_shares), 4)
    spread = overall.run_to_run if overall is not None else None
    return ConditionsFacts(
        other_cpu_share=share,
        other_cpu_share_max=peak,
        run_to_run=spread if spread is not None else Unavailable(_ONCE),
    )


def noise_facts(
    overall: BaselineEstimate | None,
    interleaved_arms: Sequence[RunMeasure],
    facts: ConditionsFacts,
    aa: AAFloor | None = None,
) -> NoiseFacts | None:
    """The diagnose payload's ``noise``; None when the baseline was never measured."""
    if overall is None and not interleaved_arms:
        return None
    measured = overall.run_to_run if overall is not None else None
    aa_noise: float | Unavailable = _NO_AA
    floor: float | Unavailable = _NO_AA
    if aa is not None:
        one_pair = Unavailable("one pair gives no interval")
        aa_noise = round(aa.noise, 4) if aa.noise is not None else one_pair
        floor = (
            round(aa.floor, 4)
            if aa.floor is not None
            else Unavailable(
                f"the A/A comparison was too noisy for a floor (over +-{AA_USABLE_NOISE:.0%}): "
                "other work disturbed its pairs"
            )
        )
    return NoiseFacts(
        other_cpu_share=facts.other_cpu_share,
        other_cpu_share_max=facts.other_cpu_share_max,
        baseline_runs_tokens_per_s=tuple(round(v, 1) for v in overall.runs_tokens_per_s)
        if overall is not None
        else (),
        interleaved_baseline_tokens_per_s=tuple(round(m.tokens_per_s, 1) for m in interleaved_arms),
        baseline_tokens_per_s=round(overall.tokens_per_s, 1)
        if overall is not None
        else Unavailable("the baseline's own run measured nothing"),
        run_to_run=round(measured, 4) if measured is not None else Unavailable(_ONCE),
        assumed_run_to_run=ASSUMED_RUN_TO_RUN if measured is None else None,
        floor=NOISE_FLOOR,
        aa_speedup=round(aa.speedup, 4) if aa is not None else _NO_AA,
        aa_noise=aa_noise,
        aa_pairs=aa.pairs if aa is not None else None,
        measured_floor=floor,
        between_runs=BETWEEN_RUNS,
    )
