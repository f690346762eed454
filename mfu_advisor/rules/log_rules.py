"""Rules read from a training log: evaluation share, per-step syncs, step-time jitter."""

from __future__ import annotations

from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.measured import nanogpt_flags
from mfu_advisor.rules.rule import Draft, family
from mfu_advisor.units import factor, percent

#: Evaluation is "a large share" above this fraction of wall time: beyond it the
#: run spends a noticeable part of its budget not training.
EVAL_SHARE_THRESHOLD = 0.05

#: The fix shrinks evaluation by this factor (eval_iters / 4, or eval_interval x 4).
EVAL_REDUCTION = 4

#: Step times "jitter" when the p90 step is this much slower than the median: a
#: steady loop on a quiet machine stays within a few percent.
JITTER_THRESHOLD = 0.3

#: Device types whose kernels run asynchronously, so that a .item() stalls the host.
ASYNC_DEVICES = ("cuda", "xpu", "mps")


def _eval_share(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    if log is None or not isinstance(log.eval_time_fraction, float):
        return None
    share = log.eval_time_fraction
    if share < EVAL_SHARE_THRESHOLD:
        return None
    settings = []
    options: dict[str, int] = {}
    if isinstance(log.eval_iters, int):
        settings.append(f"eval_iters={log.eval_iters}")
        options["eval_iters"] = max(1, log.eval_iters // EVAL_REDUCTION)
    if isinstance(log.eval_interval, int):
        settings.append(f"eval_interval={log.eval_interval}")
    if not options and isinstance(log.eval_interval, int):
        options["eval_interval"] = log.eval_interval * EVAL_REDUCTION
    fix = nanogpt_flags(options) or "evaluate less often or on fewer batches"
    if "eval_iters" in options and isinstance(log.eval_interval, int):
        fix += f" or --eval_interval={log.eval_interval * EVAL_REDUCTION}"
    # Wall time after the change: training (1 - share) plus a quarter of the evaluation.
    gain = 1 / ((1 - share) + share / EVAL_REDUCTION)
    told = f" ({', '.join(settings)})" if settings else ""
    return Draft(
        explanation=(
            f"Evaluation took {percent(share)} of the run's wall time{told}. Each evaluation "
            "runs eval_iters forward passes on train and val splits without training."
        ),
        fix=fix,
        expected_gain=f"{factor(gain)} wall time with a quarter of the evaluation",
        expected_speedup=gain,
        evidence={
            "eval_time_fraction": share,
            "eval_iters": log.eval_iters,
            "eval_interval": log.eval_interval,
        },
    )


def _log_interval(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    if log is None or log.log_interval != 1 or log.device_type not in ASYNC_DEVICES:
        return None
    return Draft(
        explanation=(
            "log_interval=1 logs every step, and nanoGPT's logging calls loss.item(), a "
            f"host-device sync point (train.py says so): on {log.device_type} the host stops "
            "queueing the next step's kernels until the GPU has finished this one."
        ),
        fix="--log_interval=10 (nanoGPT's default)",
        expected_gain="a few percent when the host's kernel launches are on the critical path",
        evidence={"log_interval": 1, "device": log.device},
    )


def _jitter(facts: DiagnosisFacts) -> Draft | None:
    log = facts.log
    if log is None or not isinstance(log.step_time_jitter, float):
        return None
    jitter = log.step_time_jitter
    if jitter < JITTER_THRESHOLD:
        return None
    median = log.steady_step_time_ms
    at = f" around a median of {median:.0f} ms" if isinstance(median, float) else ""
    return Draft(
        explanation=(
            f"One steady step in ten is at least {percent(jitter)} slower than the median"
            f"{at}. A steady "
            "training loop varies by a few percent; slow steps that come and go point to "
            "the input pipeline (batches read or decoded on the training thread) or to "
            "other processes competing for the CPU or disk."
        ),
        fix=(
            "load batches ahead: DataLoader(..., num_workers=4, pin_memory=True, "
            "persistent_workers=True); check `top` for competing processes"
        ),
        expected_gain="up to the jitter share of the step time",
        evidence={"step_time_jitter": jitter, "steady_step_time_ms": median},
    )


RULES = family({"MA119": _eval_share, "MA120": _log_interval, "MA121": _jitter}, globals())
