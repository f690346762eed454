"""The analyzed-log part of a report, from an analyze payload (``mfu-advisor analyze --json``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mfu_advisor.report import values as v
from mfu_advisor.report.content.blocks import (
    Block,
    Figure,
    Headline,
    KeyValues,
    Paragraph,
    Table,
    Tone,
    present,
)
from mfu_advisor.report.content.run import (
    absent,
    config_block,
    mfu_chart,
    mfu_notes,
    mfu_table,
    notes_paragraph,
    run_headline,
    series_chart,
)
from mfu_advisor.report.values import Cell, Missing


def analysis_blocks(log: Mapping[str, Any], *, headline: bool = True) -> tuple[Block, ...]:
    """Everything an analyzed log says: the true MFU, what the log's MFU meant, its series."""
    explanation = explain_mfu(log)
    config = v.mapping(log, "config")
    return present(
        analysis_headline(log) if headline else None,
        Paragraph(explanation) if explanation else None,
        *(_missing_paragraph(m) for m in v.items(log, "missing") if isinstance(m, Mapping)),
        mfu_table(log),
        _log_facts(log),
        notes_paragraph(log, shown=mfu_notes(log)),
        *ranks_blocks(log),
        config_block(config, "Configuration found in the log") if config else None,
        series_chart(log, "Step time and loss over the log"),
        mfu_chart(log),
    )


def _missing_paragraph(missing: Mapping[str, Any]) -> Paragraph:
    figure = missing.get("figure") or "a figure"
    how = missing.get("how") or missing.get("reason") or ""
    return Paragraph(f"Missing {figure}: {how}", tone=Tone.WARN)


def _log_facts(log: Mapping[str, Any]) -> KeyValues:
    rows: list[tuple[str, Cell]] = [
        ("format", _format_cell(log)),
        ("files", _files(log)),
        ("step lines", _steps(log)),
        ("warm-up steps excluded", _warmup(log)),
        ("steady step time (median)", _sourced(log, "steady_step_time_ms", v.milliseconds)),
        ("tokens per step", _sourced(log, "tokens_per_step", v.count)),
        ("devices", v.with_detail(v.cell(v.lookup(log, "devices")), v.text(log, "devices_source"))),
        ("tokens/s", _tokens(log)),
        ("parameters", v.count(v.number(log, "n_params"))),
        ("FLOPs per token", _sourced(log, "flops_per_token", lambda x: v.si(x, "FLOP"))),
        ("achieved", _achieved(log)),
        ("peak divided by", _peak(log)),
        ("log's own MFU", _reported(log)),
        ("time in evaluation", _evals(log)),
        ("step-time jitter", _jitter(log)),
        ("restarts", _restarts(log)),
        ("loss", _loss(log)),
    ]
    return KeyValues(tuple(r for r in rows if not absent(r[1])), title="The log")


#: How the scopes read in a sentence.
_SCOPE_WORDS = {"per_rank": "per rank", "job": "the whole job", "unknown": "not known"}


def ranks_blocks(log: Mapping[str, Any]) -> tuple[Block, ...]:
    """The "Ranks" part: world size and its source, what the log's figures count, each rank's
    steady state, the job's figures and the straggler; nothing for a one-process log."""
    dist = v.mapping(log, "distributed")
    if not dist:
        return ()
    rows: list[tuple[str, Cell]] = [
        ("world size", _world(dist)),
        ("parallelism", _parallel(dist)),
        ("backend", v.cell(v.lookup(dist, "backend"))),
        ("job tokens/s", _sourced(dist, "job.tokens_per_s", v.rate)),
        ("job achieved", v.flops(v.number(dist, "job.achieved_flops"))),
        ("job peak", v.flops(v.number(dist, "job.peak_flops"))),
        ("job MFU", v.percent(v.number(dist, "job.mfu"))),
        ("straggler", _straggler(dist)),
    ]
    blocks: list[Block] = [
        KeyValues(tuple(r for r in rows if not absent(r[1])), title="Ranks"),
        Paragraph(scope_sentence(dist)),
    ]
    per_rank = [r for r in v.items(dist, "per_rank") if isinstance(r, Mapping)]
    if per_rank:
        blocks.append(
            Table(
                ("rank", "step lines", "steady step time", "tokens/s"),
                tuple(
                    (
                        v.cell(v.lookup(r, "rank")),
                        v.count(v.number(r, "steps")),
                        v.milliseconds(v.number(r, "steady_step_time_ms")),
                        v.rate(v.number(r, "tokens_per_s")),
                    )
                    for r in per_rank
                ),
                title="Per rank",
                numeric=(True, True, True, True),
            )
        )
    notes = [str(n) for n in v.items(dist, "notes")]
    if notes:
        blocks.append(Paragraph(" ".join(n.rstrip(".") + "." for n in notes)))
    return tuple(blocks)


def scope_sentence(dist: Mapping[str, Any]) -> str:
    """What the log's MFU and tokens/s count: "The log's MFU is per rank; its tokens/s ..."."""
    mfu = _SCOPE_WORDS.get(str(v.lookup(dist, "mfu_scope")), "not known")
    tokens = _SCOPE_WORDS.get(str(v.lookup(dist, "tokens_per_s_scope")), "not known")
    return (
        f"What the log's figures count: its MFU is {mfu}"
        + (" (or the log prints none)" if mfu == "not known" else "")
        + f"; its tokens/s are {tokens}."
    )


def _world(dist: Mapping[str, Any]) -> Cell:
    world = v.cell(v.lookup(dist, "world_size"))
    if isinstance(world, Missing):
        return world
    bound = v.lookup(dist, "world_size_lower_bound") is True
    return v.with_detail(f"at least {world}" if bound else world, v.text(dist, "world_size_source"))


def _parallel(dist: Mapping[str, Any]) -> Cell:
    kind = v.text(dist, "parallel")
    if isinstance(kind, Missing):
        return kind
    names = {
        "ddp": "DistributedDataParallel (DDP)",
        "fsdp": "FullyShardedDataParallel (FSDP)",
        "data_parallel": "torch.nn.DataParallel (one process)",
        "unknown": "not stated",
    }
    shown = names.get(kind, kind)
    ranks = [str(r) for r in v.items(dist, "ranks_seen")]
    if ranks:
        style = v.text(dist, "rank_prefix_style")
        by = f" ({style} prefixes)" if not isinstance(style, Missing) and style else ""
        shown += f"; lines of rank{'s' if len(ranks) > 1 else ''} {', '.join(ranks)}{by}"
    return shown


def _straggler(dist: Mapping[str, Any]) -> Cell:
    spread = v.number(dist, "straggler.spread")
    if isinstance(spread, Missing):
        return spread
    slowest = v.lookup(dist, "straggler.slowest_rank")
    median = v.lookup(dist, "straggler.median_rank")
    return f"rank {slowest} is {v.percent(spread)} slower than the median rank ({median})"


def _sourced(data: Mapping[str, Any], path: str, show: Callable[[Any], Cell]) -> Cell:
    """The number at ``path`` shown, with its ``<path>_source`` (``step_time_source``) beside."""
    source = "step_time_source" if path == "steady_step_time_ms" else f"{path}_source"
    return v.with_detail(show(v.number(data, path)), v.text(data, source))


def _files(log: Mapping[str, Any]) -> Cell:
    files = v.items(log, "files")
    if not files:
        return v.lookup(log, "files") if isinstance(v.lookup(log, "files"), Missing) else "none"
    shown = []
    for entry in files:
        if isinstance(entry, Mapping):
            name = str(entry.get("name", "?"))
            lines, steps = entry.get("lines"), entry.get("step_lines")
            if isinstance(lines, int) and isinstance(steps, int):
                unread = entry.get("lines_not_understood")
                not_understood = (
                    f", {unread:,} not understood" if isinstance(unread, int) and unread else ""
                )
                name += f" ({steps:,} step lines of {lines:,}{not_understood})"
            shown.append(name)
        else:
            shown.append(str(entry))
    return "; ".join(shown)


def _steps(log: Mapping[str, Any]) -> Cell:
    steps = v.count(v.number(log, "steps"))
    first, last = v.number(log, "first_step"), v.number(log, "last_step")
    if isinstance(steps, Missing) or isinstance(first, Missing) or isinstance(last, Missing):
        return steps
    return f"{steps} (steps {first:,.0f}-{last:,.0f})"


def _warmup(log: Mapping[str, Any]) -> Cell:
    steps = v.cell(v.lookup(log, "warmup_steps"))
    first = v.number(log, "warmup.first_step_time_ms")
    ratio = v.number(log, "warmup.first_over_steady")
    if isinstance(steps, Missing) or isinstance(first, Missing):
        return steps
    ratio_words = v.clause(v.factor(ratio), " = {} the steady step")
    return f"{steps} (first step {v.milliseconds(first)}{ratio_words})"


def _peak(log: Mapping[str, Any]) -> Cell:
    value = v.number(log, "peak.flops")
    if isinstance(value, Missing):
        return Missing(value.reason or str(v.text(log, "mfu.reason")))
    hardware = v.text(log, "peak.hardware")
    dtype = v.text(log, "peak.dtype")
    shown = f"{v.flops(value)}"
    if v.lookup(log, "peak.estimated") is True:
        shown += " (est.)"
    parts = [str(p) for p in (hardware, dtype) if not isinstance(p, Missing)]
    return f"{' '.join(parts)} {shown}" if parts else shown


def _evals(log: Mapping[str, Any]) -> Cell:
    share = v.percent(v.number(log, "eval_time_fraction"))
    evals = v.number(log, "evals.count")
    if isinstance(evals, Missing):
        return share
    evaluations = f"{evals:.0f} evaluation{'s' if evals != 1 else ''}"
    if isinstance(share, Missing):
        # The count is known even when their time is not: say both.
        return Missing(f"{share.reason}; {evaluations}" if share.reason else evaluations)
    return f"{share} of wall time ({evaluations})"


def _jitter(log: Mapping[str, Any]) -> Cell:
    cv = v.number(log, "jitter.cv")
    if isinstance(cv, Missing):
        if not cv.reason or cv.reason == "not in this result":
            return Missing("fewer than two steady step times") if v.mapping(log, "jitter") else cv
        return cv
    shown = f"CV {v.percent(cv)}"
    shown += v.clause(v.number(log, "jitter.p90_over_p50"), ", p90/p50 {:.2f}")
    stalls = v.number(log, "jitter.stalls")
    threshold = v.number(log, "jitter.stall_threshold_ms")
    if not isinstance(stalls, Missing):
        over = v.clause(v.milliseconds(threshold), " (steps over {})")
        shown += f", {stalls:.0f} stall{'s' if stalls != 1 else ''}{over if stalls else ''}"
    return shown


def _loss(log: Mapping[str, Any]) -> Cell:
    losses = v.numbers(log, "loss.first", "loss.last")
    if isinstance(losses, Missing):
        if losses.reason in ("", "not in this result") and v.mapping(log, "loss"):
            return Missing("the log prints no loss")
        return losses
    first, last = losses
    shown = f"{first:.4g} → {last:.4g}"
    shown += v.clause(v.text(log, "loss.trend"), " ({})")
    nan_steps = v.number(log, "loss.nan_steps")
    if not isinstance(nan_steps, Missing) and nan_steps:
        shown += f", {nan_steps:.0f} steps with a NaN loss"
    return shown


def _tokens(log: Mapping[str, Any]) -> Cell:
    tokens = v.rate(v.number(log, "tokens_per_s"))
    if not isinstance(tokens, Missing) and v.lookup(log, "tokens_per_s_scope") == "device":
        return f"{tokens} per device"
    return tokens


def _achieved(log: Mapping[str, Any]) -> Cell:
    achieved = v.flops(v.number(log, "achieved_flops"))
    if isinstance(achieved, Missing):
        return achieved
    devices = v.number(log, "devices")
    if isinstance(devices, Missing) or devices <= 1:
        return f"{achieved} per device"
    source = v.plain_text(log, "devices_source")
    return f"{achieved} per device ({devices:.0f} devices{': ' + source if source else ''})"


def _reported(log: Mapping[str, Any]) -> Cell:
    """The MFU the log printed, against what, and that recomputed from the log's figures."""
    reported = v.number(log, "reported_mfu")
    if isinstance(reported, Missing):
        if v.lookup(log, "reference_detail.kind") == "unknown":
            return Missing(v.plain_text(log, "reference_detail.note") or reported.reason)
        if reported.reason == "not in this result":
            return Missing("the log prints no MFU")
        return reported
    reference = v.plain_text(log, "reference")
    shown = f"{v.percent(reported)} " + (
        f"relative to {reference}" if reference else "(reference not known)"
    )
    recomputed = v.percent(v.number(log, "mfu_vs_reference.value"))
    return shown + v.clause(recomputed, "; recomputed from the log: {}")


def _restarts(log: Mapping[str, Any]) -> Cell:
    restarts = v.number(log, "restart_count")
    if isinstance(restarts, Missing) or not restarts:
        return "none" if not isinstance(restarts, Missing) else restarts
    runs = v.number(log, "runs")
    shown = f"{restarts:.0f} (the step number goes back" + v.clause(runs, "; {:.0f} runs") + ")"
    first = v.mapping(log, "restarts.0")
    if first:
        where = ":".join(p for p in (v.plain_text(first, "file"), v.plain_text(first, "line")) if p)
        kind = v.plain_text(first, "kind")
        shown += (
            f"; first {'at ' + where + ', ' if where else ''}step "
            f"{v.plain_text(first, 'from_step') or '?'} → {v.plain_text(first, 'to_step') or '?'}"
            + (f" ({kind})" if kind else "")
        )
    return shown


def analysis_headline(log: Mapping[str, Any]) -> Headline:
    """Steady step time first, then the run headline (FLOP/s, tokens/s, MFUs)."""
    base = run_headline(log).figures
    step = Figure(
        "steady step time", v.milliseconds(v.number(log, "steady_step_time_ms")), "median"
    )
    return Headline((step, *base))


def _format_cell(log: Mapping[str, Any]) -> Cell:
    name = v.text(log, "format_title")
    if isinstance(name, Missing):
        name = v.text(log, "format")
    variant = v.text(log, "format_variant")
    if not isinstance(name, Missing) and not isinstance(variant, Missing):
        name = f"{name} {variant}"
    confidence = v.number(log, "format_confidence")
    if isinstance(name, Missing) or isinstance(confidence, Missing):
        return name
    return f"{name} (confidence {v.percent(confidence)})"


def explain_mfu(log: Mapping[str, Any]) -> str:
    """What the log's MFU means in FLOP/s, and that on the hardware the run used.

    A clause whose figures the payload lacks is left out.
    """
    title = v.plain_text(log, "format_title") or v.plain_text(log, "format") or "The log"
    reported = v.number(log, "reported_mfu")
    implied = v.number(log, "achieved_flops_implied")
    reference_flops = v.number(log, "reference_flops")
    peak_flops = v.number(log, "peak.flops")
    hardware = v.plain_text(log, "peak.hardware")
    dtype = v.plain_text(log, "peak.dtype")
    of_peak = f"{dtype} peak" if dtype else "peak"
    parts: list[str] = []
    if (
        not isinstance(reported, Missing)
        and not isinstance(implied, Missing)
        and not isinstance(reference_flops, Missing)
    ):
        keyed = v.plain_text(log, "reference_detail.keyed_to")
        reference = v.plain_text(log, "reference") or str(v.flops(reference_flops))
        against = f"{article(keyed)}'s {v.flops(reference_flops)}" if keyed else reference
        sentence = f"{title}'s {v.percent(reported)} means {v.flops(implied)} against {against}"
        rescaled = v.number(log, "mfu_from_reported.value")
        if not isinstance(rescaled, Missing) and not isinstance(peak_flops, Missing):
            if hardware:
                sentence += (
                    f"; on your {hardware} that is about {v.percent(rescaled)} of its {of_peak}"
                )
            else:
                sentence += f"; that is about {v.percent(rescaled)} of the {of_peak} you gave"
            sentence += f" ({v.flops(peak_flops)})"
            if rescaled > 1:
                sentence += ", more than that peak, so the run cannot have used that hardware"
        elif isinstance(peak_flops, Missing):
            sentence += (
                "; give --hardware or --peak-tflops to see that on the hardware the run used"
            )
        parts.append(sentence + ".")
        if v.lookup(log, "reference_detail.applies_to_run") is False and keyed:
            parts.append(
                f"The run did not use {article(keyed)}, so the log's MFU compares it with "
                "other hardware."
            )
    elif v.lookup(log, "reference_detail.kind") == "unknown":
        note = v.plain_text(log, "reference_detail.note")
        if note:
            parts.append(note.rstrip(".") + ".")
    mfu = v.number(log, "mfu.value")
    achieved = v.number(log, "achieved_flops")
    if not isinstance(mfu, Missing) and not isinstance(achieved, Missing):
        whose = f"the {of_peak} of {hardware}." if hardware else f"the {of_peak} you gave."
        parts.append(
            f"Recomputed from the log: {v.flops(achieved)} per device, {v.percent(mfu)} of {whose}"
        )
    return " ".join(parts)


def article(name: str) -> str:
    """ "an A100", "an H100", "a GPU": names read letter by letter take "an" before a vowel."""
    if name.startswith(("its ", "the ")):
        return name
    return ("an " if name[:1].upper() in "AEFHILMNORSX8" else "a ") + name
