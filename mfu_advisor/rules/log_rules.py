"""Rules read from a training log: evaluation share, per-step syncs, step-time jitter."""

from __future__ import annotations

from mfu_advisor.rules import example_facts as ex
from mfu_advisor.rules.facts import DiagnosisFacts
from mfu_advisor.rules.finding import Kind, Severity
from mfu_advisor.rules.rule import Draft, Example, Rule
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
    fix = (
        " ".join(f"--{k}={v}" for k, v in options.items())
        or "evaluate less often or on fewer batches"
    )
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


EVAL_SHARE = Rule(
    id="MA119",
    symbol="eval-share-large",
    title="Evaluation takes a large share of wall time",
    kind=Kind.DO,
    severity=Severity.MEDIUM,
    description=(
        f"Fires when evaluation takes at least {percent(EVAL_SHARE_THRESHOLD)} of the log's "
        "wall time. nanoGPT evaluates eval_iters batches of each split every eval_interval "
        f"steps; the fix cuts evaluation {EVAL_REDUCTION}x."
    ),
    fix_template="--eval_iters=<fewer> or --eval_interval=<larger>",
    predicate=_eval_share,
    fires_on=(
        Example(
            "the nanoGPT CPU log: 9.4% in evaluation", lambda: ex.facts(log=ex.nanogpt_cpu_log())
        ),
    ),
    quiet_on=(
        Example(
            "a log with 2% in evaluation",
            lambda: ex.facts(log=ex.nanogpt_cpu_log(eval_time_fraction=0.02)),
        ),
        Example("no log", lambda: ex.here()),
    ),
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


LOG_INTERVAL_SYNC = Rule(
    id="MA120",
    symbol="log-interval-sync",
    title="log_interval=1 forces a device sync every step",
    kind=Kind.DO,
    severity=Severity.LOW,
    description=(
        "Fires on a log from an asynchronous device (CUDA, XPU, MPS) with log_interval=1: "
        "every logged step calls loss.item() and waits for the device."
    ),
    fix_template="--log_interval=10",
    predicate=_log_interval,
    fires_on=(
        Example(
            "a CUDA nanoGPT log with log_interval=1",
            lambda: ex.facts(log=ex.nanogpt_cpu_log(device="cuda")),
        ),
    ),
    quiet_on=(
        Example("the CPU log (no async device)", lambda: ex.facts(log=ex.nanogpt_cpu_log())),
        Example(
            "a CUDA log with log_interval=10",
            lambda: ex.facts(log=ex.nanogpt_cpu_log(device="cuda", log_interval=10)),
        ),
    ),
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


DATA_LOADING_JITTER = Rule(
    id="MA121",
    symbol="data-loading-jitter",
    title="Data loading visible in step-time jitter",
    kind=Kind.INFO,
    severity=Severity.MEDIUM,
    description=(
        f"Fires when the log's p90 steady step time is at least {percent(JITTER_THRESHOLD)} "
        "above the median step time."
    ),
    fix_template="a DataLoader with workers and pinned memory",
    predicate=_jitter,
    fires_on=(
        Example(
            "a log whose p90 step is 60% above the median",
            lambda: ex.facts(log=ex.nanogpt_cpu_log(step_time_jitter=0.6)),
        ),
    ),
    quiet_on=(
        Example("the nanoGPT CPU log (p90 19% above)", lambda: ex.facts(log=ex.nanogpt_cpu_log())),
    ),
)

RULES: tuple[Rule, ...] = (EVAL_SHARE, LOG_INTERVAL_SYNC, DATA_LOADING_JITTER)
