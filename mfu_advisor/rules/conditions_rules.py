"""Rules about the measurement itself: a machine busy with other work while it was measured."""

from __future__ import annotations

from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.units import percent

#: Other processes' share of the CPUs, during the busiest run, from which the machine is busy:
#: half a core taken from a 2-thread run, and every parallel operation waits for it.
BUSY_CPU_SHARE = 0.25

#: Baseline runs that differ by more than this mean the machine was busy: a quiet
#: machine repeats the bench within a few percent (benchmarks/bench_repeatability.py).
BUSY_RUN_TO_RUN = 0.15


def _busy(facts: DiagnosisFacts) -> Draft | None:
    conditions = facts.conditions
    if conditions is None:
        return None
    share, peak = conditions.other_cpu_share, conditions.other_cpu_share_max
    spread = conditions.run_to_run
    busy_cpus = isinstance(peak, float) and peak >= BUSY_CPU_SHARE
    busy_runs = isinstance(spread, float) and spread >= BUSY_RUN_TO_RUN
    if not busy_cpus and not busy_runs:
        return None
    parts = []
    if isinstance(peak, float) and isinstance(share, float) and peak > 0:
        parts.append(
            f"Other processes kept {percent(share)} of this machine's CPUs busy while the "
            f"runs were measured ({percent(peak)} during the busiest run)."
        )
    if isinstance(spread, float):
        parts.append(f"The two baseline runs differed by {percent(spread)}.")
    return Draft(
        **wording("MA125", found="".join(f"{part} " for part in parts)),
        evidence={"other_cpu_share": share, "other_cpu_share_max": peak, "run_to_run": spread},
    )


RULES = family({"MA125": _busy}, globals())
