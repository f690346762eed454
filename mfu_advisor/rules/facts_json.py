"""Reading the bench and analyze JSON payloads into the rules' views (RunFacts, LogFacts).

The payloads are the documented interfaces of the other layers
(docs/bench.md, docs/analyze.md). A field that is missing or null becomes an
``Unavailable`` carrying the payload's own reason when it gives one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.facts import Maybe, Unavailable
from mfu_advisor.rules.facts import LogFacts, RunFacts


def _reason(payload: Mapping[str, Any], key: str) -> str:
    reasons = payload.get("unavailable")
    if isinstance(reasons, Mapping) and isinstance(reasons.get(key), str):
        return str(reasons[key])
    return f"{key} not in the result"


def _number(payload: Mapping[str, Any], key: str) -> Maybe[float]:
    value = payload.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return Unavailable(_reason(payload, key))


def _integer(payload: Mapping[str, Any], key: str) -> Maybe[int]:
    value = payload.get(key)
    if isinstance(value, bool):
        return Unavailable(f"{key} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return Unavailable(_reason(payload, key))


def _boolean(value: Any) -> Maybe[bool]:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return Unavailable("not stated")


def _mapping(payload: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = payload.get(key)
    return value if isinstance(value, Mapping) else {}


def gemm_rates(roofline: Mapping[str, Any], dtype: str) -> dict[int, float]:
    """Measured FLOP/s over the model's GEMM shapes per batch multiple (FLOP-weighted).

    The rate at multiple m is the shapes' total FLOPs over their total time at
    their measured rates: the matmul rate a forward pass would see.
    """
    dtypes = _mapping(roofline, "dtypes")
    entry = dtypes.get(dtype)
    if not isinstance(entry, Mapping):
        return {}
    flops_by: dict[int, float] = {}
    time_by: dict[int, float] = {}
    for point in entry.get("model_shapes") or ():
        if not isinstance(point, Mapping):
            continue
        rate = point.get("flops_per_s")
        try:
            multiple = int(point["batch_multiple"])
            work = 2.0 * int(point["m"]) * int(point["n"]) * int(point["k"])
        except (KeyError, TypeError, ValueError):
            continue
        if not isinstance(rate, (int, float)) or rate <= 0:
            continue
        flops_by[multiple] = flops_by.get(multiple, 0.0) + work
        time_by[multiple] = time_by.get(multiple, 0.0) + work / rate
    return {m: flops_by[m] / time_by[m] for m in sorted(flops_by) if time_by[m] > 0}


def run_facts_from_bench(payload: Mapping[str, Any]) -> RunFacts:
    """The rules' view of a bench payload (``mfu-advisor bench --json`` minus the envelope)."""
    config = _mapping(payload, "config")
    stats = _mapping(payload, "step_time_ms")
    mfu = _mapping(payload, "mfu")
    measured = _mapping(mfu, "measured_peak")
    device_peak = _mapping(mfu, "device_peak")
    roofline = _mapping(payload, "roofline")
    affinity = payload.get("cpu_affinity")
    compile_s = _number(payload, "compile_s")
    memory = _integer(payload, "peak_memory_bytes")
    median = stats.get("median")
    return RunFacts(
        device=str(payload.get("device") or config.get("device") or "cpu"),
        device_name=str(payload.get("device_name") or ""),
        dtype=str(payload.get("dtype") or config.get("dtype") or "float32"),
        compile=bool(config.get("compile")),
        batch_size=int(config.get("batch_size") or 1),
        block_size=int(config.get("block_size") or 1),
        n_layer=int(config.get("n_layer") or 1),
        n_head=int(config.get("n_head") or 1),
        n_embd=int(config.get("n_embd") or 1),
        vocab_size=int(config.get("vocab_size") or 1),
        gradient_accumulation_steps=int(config.get("gradient_accumulation_steps") or 1),
        threads=int(payload.get("threads") or 1),
        tf32=bool(payload.get("tf32")),
        adamw_impl=str(payload.get("adamw_impl") or "unknown"),
        cpu_affinity=(
            tuple(int(c) for c in affinity)
            if isinstance(affinity, list)
            else Unavailable(_reason(payload, "cpu_affinity"))
        ),
        tokens_per_s=_number(payload, "tokens_per_s"),
        step_time_ms=(
            float(median)
            if isinstance(median, (int, float))
            else Unavailable(_reason(payload, "step_time_ms"))
        ),
        achieved_flops=_number(payload, "achieved_flops"),
        measured_peak_flops=_number(measured, "denominator_flops"),
        measured_peak_source=str(measured.get("source") or measured.get("reason") or ""),
        device_peak_flops=_number(device_peak, "denominator_flops"),
        device_peak_source=str(device_peak.get("source") or device_peak.get("reason") or ""),
        compile_s=compile_s,
        peak_memory_bytes=memory,
        peak_memory_kind=str(payload.get("peak_memory_kind") or ""),
        gemm_flops_by_batch_multiple=gemm_rates(roofline, str(payload.get("peak_dtype") or "fp32")),
    )


def log_facts_from_analysis(payload: Mapping[str, Any]) -> LogFacts:
    """The rules' view of an analyze payload (``mfu-advisor analyze --json`` minus the envelope)."""
    config = _mapping(payload, "config")
    hints = _mapping(payload, "hardware_hints")
    warmup = _mapping(payload, "warmup")
    jitter = _mapping(payload, "jitter")
    reference = _mapping(payload, "reference_detail")
    peak = _mapping(payload, "peak")
    mfu = _mapping(payload, "mfu")
    device = config.get("device") or hints.get("device")
    reported_reason = _reason(payload, "reported_mfu")
    return LogFacts(
        format=str(payload.get("format") or "unknown"),
        config={str(k): str(v) for k, v in config.items()},
        device=str(device) if device else Unavailable("the log does not name the device"),
        dtype=str(config["dtype"]) if config.get("dtype") else Unavailable("not stated"),
        compile=_boolean(config.get("compile")),
        batch_size=_integer(config, "batch_size"),
        block_size=_integer(config, "block_size"),
        gradient_accumulation_steps=_integer(config, "gradient_accumulation_steps"),
        eval_interval=_integer(config, "eval_interval"),
        eval_iters=_integer(config, "eval_iters"),
        log_interval=_integer(config, "log_interval"),
        steps=_integer(payload, "steps"),
        tokens_per_step=_integer(payload, "tokens_per_step"),
        steady_step_time_ms=_number(payload, "steady_step_time_ms"),
        first_step_ms=_number(warmup, "first_step_time_ms"),
        warmup_steps=_integer(payload, "warmup_steps"),
        warmup_time_fraction=_number(warmup, "wall_time_fraction"),
        tokens_per_s=_number(payload, "tokens_per_s"),
        achieved_flops=_number(payload, "achieved_flops"),
        flops_per_token=_number(payload, "flops_per_token"),
        reported_mfu=_number(payload, "reported_mfu"),
        reported_mfu_reference=(
            str(payload["reference"]) if payload.get("reference") else Unavailable("none")
        ),
        reported_mfu_placeholder=_placeholder(payload, reported_reason),
        reference_device=(
            str(reference["keyed_to"]) if reference.get("keyed_to") else Unavailable("unknown")
        ),
        reference_applies_to_run=_boolean(reference.get("applies_to_run")),
        reference_note=str(reference.get("note") or ""),
        peak_flops=_number(peak, "flops"),
        peak_source=str(peak.get("source") or ""),
        true_mfu=_number(mfu, "value"),
        eval_time_fraction=_number(payload, "eval_time_fraction"),
        step_time_jitter=_jitter(jitter),
    )


def _placeholder(payload: Mapping[str, Any], reported_reason: str) -> bool:
    """The analyzer's ``reported_mfu_placeholder`` field: every MFU the trainer printed was a
    placeholder (llm.c's -100%). Results saved before the field existed said so only in the
    reason's wording, which is read then."""
    flag = payload.get("reported_mfu_placeholder")
    if isinstance(flag, bool):
        return flag
    return "placeholder" in reported_reason


def _jitter(jitter: Mapping[str, Any]) -> Maybe[float]:
    """How far the p90 steady step time is above the median: p90 / p50 - 1."""
    ratio = jitter.get("p90_over_p50")
    if isinstance(ratio, (int, float)) and not isinstance(ratio, bool):
        return float(ratio) - 1.0
    cv = jitter.get("cv")
    if isinstance(cv, (int, float)) and not isinstance(cv, bool):
        # For a normal sample the p90 lies 1.2816 standard deviations above the median.
        return 1.2816 * float(cv)
    return Unavailable("the log's step times were not analysed for jitter")
