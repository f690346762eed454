"""Rules about torch.compile: off where it should help, on where it measured slower, its cost.
On a small CPU model it may gain nothing and compile for tens of seconds: a measurement decides."""

from __future__ import annotations

from mfu_advisor.probe.facts import TorchFacts
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Kind, Severity
from mfu_advisor.rules.measured import measured_draft
from mfu_advisor.rules.rule import Draft, family, wording
from mfu_advisor.units import percent

#: PyTorch 2.0 announcement: torch.compile trained 163 open-source models 43%
#: faster on average on an A100 with AMP (https://pytorch.org/get-started/pytorch-2.0/).
CUDA_COMPILE_EXPECTED = 1.43

#: A compile step counts as dominating the start of a run when it costs more
#: than this many steady steps...
COMPILE_STEPS_DOMINANT = 100
#: ... or, in a log, more than this share of the logged step time.
COMPILE_SHARE_DOMINANT = 0.10


def _compile_setting(facts: DiagnosisFacts) -> bool | None:
    if facts.baseline is not None:
        return facts.baseline.compile
    if facts.log is not None and isinstance(facts.log.compile, bool):
        return facts.log.compile
    return None


def _break_even(facts: DiagnosisFacts, speedup: float, compile_s: float | None) -> str:
    """ "It pays for its N s of compiling after about M steps." when computable."""
    run = facts.baseline
    if run is None or compile_s is None or speedup <= 1 or not isinstance(run.step_time_ms, float):
        return ""
    saved_s = run.step_time_ms / 1e3 * (1 - 1 / speedup)
    steps = compile_s / saved_s
    return f" It pays for its {compile_s:.0f} s of compiling after about {steps:.0f} steps."


def _compile_not_used(facts: DiagnosisFacts) -> Draft | None:
    if _compile_setting(facts) is not False:
        return None
    device = facts.run_device_type
    torch = facts.hardware.torch if facts.hardware is not None else None
    story = (
        "The run does not use torch.compile, which fuses element-wise operations into fewer "
        "kernels at the price of compiling first."
    )
    measured = facts.measured("compile")
    if measured is not None and measured.speedup is not None:
        cost = f" Its first step took {measured.compile_s:.0f} s." if measured.compile_s else ""
        return measured_draft(
            measured,
            subject="torch.compile",
            hypothesis=story + cost + _break_even(facts, measured.speedup, measured.compile_s),
            fix="--compile=True",
            fix_options={"compile": True},
            undo_fix="keep --compile=False",
        )
    failed = facts.attempted("compile")
    if failed is not None:
        return Draft(
            **wording("MA106", "failed", story=story, reason=failed.reason),
            kind=Kind.INFO,
            severity=Severity.LOW,
            experiment=failed.name,
        )
    if device != "cuda":
        return None
    if isinstance(torch, TorchFacts) and torch.compile_ready is False:
        return Draft(
            explanation=f"{story} torch.compile is not ready here: {torch.compile_note}.",
            fix=f"install what it needs ({torch.compile_note}), then --compile=True",
            expected_gain=f"{CUDA_COMPILE_EXPECTED:.2f}x on average (PyTorch 2.0, A100, AMP)",
        )
    return Draft(
        explanation=story,
        fix="--compile=True",
        fix_options={"compile": True},
        expected_gain=f"{CUDA_COMPILE_EXPECTED:.2f}x on average (PyTorch 2.0, A100, AMP)",
        expected_speedup=CUDA_COMPILE_EXPECTED,
    )


def _compile_slower(facts: DiagnosisFacts) -> Draft | None:
    if _compile_setting(facts) is not True:
        return None
    measured = facts.measured("no-compile")
    if measured is None:
        return None
    return measured_draft(
        measured,
        subject="compile off",
        hypothesis="The run uses torch.compile.",
        fix="--compile=False",
        fix_options={"compile": False},
        undo_fix="keep --compile=True",
        dont_title="Keep torch.compile: turning it off measured slower",
    )


def _compile_dominates(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    if log is not None and log.compile is True and isinstance(log.first_step_ms, float):
        steady = log.steady_step_time_ms
        share = log.warmup_time_fraction
        if (
            not isinstance(share, float)
            and isinstance(steady, float)
            and isinstance(log.steps, int)
        ):
            share = log.first_step_ms / (log.first_step_ms + steady * max(log.steps - 1, 0))
        if isinstance(share, float) and share >= COMPILE_SHARE_DOMINANT:
            return Draft(
                **wording("MA122", "log", first_s=log.first_step_ms / 1e3, share=percent(share)),
                evidence={"first_step_ms": log.first_step_ms, "warmup_share": share},
            )
    run = facts.baseline
    if run is None or not run.compile or not isinstance(run.compile_s, float):
        return None
    if not isinstance(run.step_time_ms, float) or run.step_time_ms <= 0:
        return None
    steps = run.compile_s / (run.step_time_ms / 1e3)
    if steps < COMPILE_STEPS_DOMINANT:
        return None
    return Draft(
        **wording("MA122", "run", compile_s=run.compile_s, steps=steps, step=run.step_time_ms),
        evidence={"compile_s": run.compile_s, "steps_equivalent": round(steps)},
    )


RULES = family(
    {"MA106": _compile_not_used, "MA107": _compile_slower, "MA122": _compile_dominates}, globals()
)
