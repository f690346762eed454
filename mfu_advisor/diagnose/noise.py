"""What the diagnosis's verdicts are judged against: the machine's load and the baseline's spread.

- The baseline's **run-to-run** noise comes from its own runs only (the first,
  and the repeats around variants run alone): each a fresh process measuring
  the baseline and nothing else. The baseline arm of an interleaved variant's
  process is reported too, but apart: it shares its process with a different
  variant each time (on the development VM, 9,000 tokens/s beside bf16 and
  12,500 beside a compiled model, against 10,700 alone), so its spread is not
  run-to-run noise, and an interleaved speedup does not need it: its noise
  comes from its own pairs of blocks.
- The **A/A floor**: the baseline interleaved with itself in one process
  (diagnose/orchestrate.py ``aa_check``). Its speedup should be 1; how far its
  interval reaches from 1 is the smallest effect this machine can tell from
  noise, and no speedup's noise is below it.
- **Load**: the share of the CPUs other processes used while the bench runs
  were measured (diagnose/contention.py), weighted by each run's wall time.

Pure Python.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

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

_ONCE = "the baseline ran once in a process of its own"
_NO_AA = Unavailable("the A/A comparison (the baseline against itself) did not run")


def own_estimate(own_runs: Sequence[RunMeasure]) -> BaselineEstimate | None:
    """The baseline over its own runs; None before any."""
    return baseline_estimate(own_runs) if own_runs else None


def bracket(
    own_runs: Sequence[RunMeasure], runs_before: int, overall: BaselineEstimate | None
) -> BaselineEstimate | None:
    """The baseline a variant run alone is compared with (A B A).

    The baseline's own runs just before and just after it, with the run-to-run
    spread of all its own runs when there are more than those two.
    """
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
    """The measured noise floor (compare.aa_floor), never below NOISE_FLOOR; None when
    the A/A comparison was too disturbed to give one (:data:`AA_USABLE_NOISE`)."""


#: An A/A comparison noisier than this gives no floor: a burst of other work hit its
#: few pairs (on the development VM, once, 0.67x +-66,000% over 3 pairs while other
#: processes kept 41% of the CPUs busy), and it says nothing about the variants measured
#: at other moments, which keep their own pairs' noise. The same cap as a single step's
#: assumed noise (compare.SINGLE_STEP_NOISE).
AA_USABLE_NOISE = SINGLE_STEP_NOISE


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


def _floor_json(aa: AAFloor | None) -> float | Unavailable:
    if aa is None:
        return _NO_AA
    if aa.floor is None:
        return Unavailable(
            f"the A/A comparison was too noisy for a floor (over +-{AA_USABLE_NOISE:.0%}): "
            "other work disturbed its pairs"
        )
    return round(aa.floor, 4)


def conditions(
    cpu_shares: Sequence[tuple[float, float]], overall: BaselineEstimate | None
) -> ConditionsFacts:
    """How busy the machine was during the bench runs (share, wall seconds), and the spread."""
    unmeasured = Unavailable("no bench run was measured")
    share: float | Unavailable = unmeasured
    peak: float | Unavailable = unmeasured
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
        aa_noise=round(aa.noise, 4)
        if aa is not None and aa.noise is not None
        else Unavailable("one pair gives no interval")
        if aa is not None
        else _NO_AA,
        aa_pairs=aa.pairs if aa is not None else None,
        measured_floor=_floor_json(aa),
        between_runs=BETWEEN_RUNS,
    )
