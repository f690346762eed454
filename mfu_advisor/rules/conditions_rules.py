"""Rules about the measurement itself: a machine busy with other work while it was measured."""

from __future__ import annotations

from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Kind, Severity
from mfu_advisor.rules.rule import Draft, Example, Rule
from mfu_advisor.run_facts import ConditionsFacts
from mfu_advisor.units import percent

#: Other processes' share of the CPUs, during the busiest run, from which the
#: machine counts as busy: a quarter of a 2-CPU machine is half a core taken from
#: a 2-thread run, and every parallel operation waits for the delayed thread.
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
    parts.append(
        "Every speedup here carries that noise, so only large effects can be told apart; "
        "the training run itself is slowed the same way while they run."
    )
    return Draft(
        explanation=" ".join(parts),
        fix="stop or pause the other jobs (`top` shows them), or rerun on an idle machine",
        evidence={"other_cpu_share": share, "other_cpu_share_max": peak, "run_to_run": spread},
    )


MACHINE_BUSY = Rule(
    id="MA125",
    symbol="machine-busy",
    title="Other processes were competing for the CPUs during the measurements",
    kind=Kind.INFO,
    severity=Severity.HIGH,
    description=(
        "Measured around every bench run: the CPU time other processes used (from "
        f"/proc/stat), fires from {percent(BUSY_CPU_SHARE)} of the machine during a run; or "
        f"baseline runs that differ by {percent(BUSY_RUN_TO_RUN)} or more."
    ),
    fix_template="stop the other jobs, or rerun on an idle machine",
    predicate=_busy,
    fires_on=(
        Example(
            "another job took 45% of the 2 CPUs; baselines 66% apart",
            lambda: ex.here(conditions=ConditionsFacts(0.3, 0.45, 0.66)),
        ),
    ),
    quiet_on=(
        Example(
            "a quiet machine: 2% taken, baselines 3% apart",
            lambda: ex.here(conditions=ConditionsFacts(0.01, 0.02, 0.03)),
        ),
        Example("a recorded machine (nothing measured)", lambda: ex.facts(ex.machine())),
    ),
)

RULES: tuple[Rule, ...] = (MACHINE_BUSY,)
