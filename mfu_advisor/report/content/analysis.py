"""The analyzed-log part of a report, from an analyze payload (``mfu-advisor analyze --json``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.report.content.blocks import (
    Block,
    Figure,
    Headline,
    KeyValues,
    Paragraph,
    Table,
    Tone,
)
from mfu_advisor.report.content.run import (
    absent,
    config_block,
    mfu_chart,
    mfu_table,
    notes_paragraph,
    run_headline,
    series_chart,
)
from mfu_advisor.report.values import (
    Cell,
    Missing,
    cell,
    count,
    flops,
    items,
    lookup,
    mapping,
    milliseconds,
    number,
    numbers,
    percent,
    rate,
    si,
    text,
    with_detail,
)


def analysis_blocks(log: Mapping[str, Any], *, headline: bool = True) -> tuple[Block, ...]:
    """Everything an analyzed log says: the true MFU, what the log's MFU meant, its series."""
    blocks: list[Block] = [analysis_headline(log)] if headline else []
    explanation = reconcile_sentence(log)
    if explanation:
        blocks.append(Paragraph(explanation))
    for missing in items(log, "missing"):
        if isinstance(missing, Mapping):
            figure = missing.get("figure") or "a figure"
            how = missing.get("how") or missing.get("reason") or ""
            blocks.append(Paragraph(f"Missing {figure}: {how}", tone=Tone.WARN))
    blocks.append(mfu_table(log))
    rows: list[tuple[str, Cell]] = [
        ("format", _format_cell(log)),
        ("files", _files(log)),
        ("step lines", _steps(log)),
        ("warm-up steps excluded", _warmup(log)),
        (
            "steady step time (median)",
            _with_source(milliseconds(number(log, "steady_step_time_ms")), log, "step_time_source"),
        ),
        (
            "tokens per step",
            _with_source(count(number(log, "tokens_per_step")), log, "tokens_per_step_source"),
        ),
        ("devices", _with_source(cell(lookup(log, "devices")), log, "devices_source")),
        ("tokens/s", rate(number(log, "tokens_per_s"))),
        ("parameters", count(number(log, "n_params"))),
        (
            "FLOPs per token",
            _with_source(si(number(log, "flops_per_token"), "FLOP"), log, "flops_per_token_source"),
        ),
        ("achieved", flops(number(log, "achieved_flops"))),
        ("peak divided by", _peak(log)),
        ("time in evaluation", _evals(log)),
        ("step-time jitter", _jitter(log)),
        ("restarts", cell(lookup(log, "restart_count"))),
        ("loss", _loss(log)),
    ]
    blocks.append(KeyValues(tuple(r for r in rows if not absent(r[1])), title="The log"))
    notes = notes_paragraph(log)
    if notes:
        blocks.append(notes)
    blocks.extend(ranks_blocks(log))
    config = mapping(log, "config")
    if config:
        blocks.append(config_block(config, "Configuration found in the log"))
    chart = series_chart(log, "Step time and loss over the log")
    if chart:
        blocks.append(chart)
    blocks.append(mfu_chart(log))
    return tuple(blocks)


#: How the scopes read in a sentence.
_SCOPE_WORDS = {"per_rank": "per rank", "job": "the whole job", "unknown": "not known"}


def ranks_blocks(log: Mapping[str, Any]) -> tuple[Block, ...]:
    """The "Ranks" part: world size and its source, what the log's figures count, each rank's
    steady state, the job's figures and the straggler; nothing for a one-process log."""
    dist = mapping(log, "distributed")
    if not dist:
        return ()
    rows: list[tuple[str, Cell]] = [
        ("world size", _world(dist)),
        ("parallelism", _parallel(dist)),
        ("backend", cell(lookup(dist, "backend"))),
        (
            "job tokens/s",
            _with_source(rate(number(dist, "job.tokens_per_s")), dist, "job.tokens_per_s_source"),
        ),
        ("job achieved", flops(number(dist, "job.achieved_flops"))),
        ("job peak", flops(number(dist, "job.peak_flops"))),
        ("job MFU", percent(number(dist, "job.mfu"))),
        ("straggler", _straggler(dist)),
    ]
    blocks: list[Block] = [
        KeyValues(tuple(r for r in rows if not absent(r[1])), title="Ranks"),
        Paragraph(scope_sentence(dist)),
    ]
    per_rank = [r for r in items(dist, "per_rank") if isinstance(r, Mapping)]
    if per_rank:
        blocks.append(
            Table(
                ("rank", "step lines", "steady step time", "tokens/s"),
                tuple(
                    (
                        cell(lookup(r, "rank")),
                        count(number(r, "steps")),
                        milliseconds(number(r, "steady_step_time_ms")),
                        rate(number(r, "tokens_per_s")),
                    )
                    for r in per_rank
                ),
                title="Per rank",
                numeric=(True, True, True, True),
            )
        )
    notes = [str(n) for n in items(dist, "notes")]
    if notes:
        blocks.append(Paragraph(" ".join(n.rstrip(".") + "." for n in notes)))
    return tuple(blocks)


def scope_sentence(dist: Mapping[str, Any]) -> str:
    """What the log's MFU and tokens/s count: "The log's MFU is per rank; its tokens/s ..."."""
    mfu = _SCOPE_WORDS.get(str(lookup(dist, "mfu_scope")), "not known")
    tokens = _SCOPE_WORDS.get(str(lookup(dist, "tokens_per_s_scope")), "not known")
    return (
        f"What the log's figures count: its MFU is {mfu}"
        + (" (or the log prints none)" if mfu == "not known" else "")
        + f"; its tokens/s are {tokens}."
    )


def _world(dist: Mapping[str, Any]) -> Cell:
    world = cell(lookup(dist, "world_size"))
    if isinstance(world, Missing):
        return world
    shown = f"{world}"
    if lookup(dist, "world_size_lower_bound") is True:
        shown = f"at least {world}"
    return with_detail(shown, text(dist, "world_size_source"))


def _parallel(dist: Mapping[str, Any]) -> Cell:
    kind = text(dist, "parallel")
    if isinstance(kind, Missing):
        return kind
    names = {
        "ddp": "DistributedDataParallel (DDP)",
        "fsdp": "FullyShardedDataParallel (FSDP)",
        "data_parallel": "torch.nn.DataParallel (one process)",
        "unknown": "not stated",
    }
    shown = names.get(kind, kind)
    ranks = [str(r) for r in items(dist, "ranks_seen")]
    if ranks:
        style = text(dist, "rank_prefix_style")
        by = f" ({style} prefixes)" if not isinstance(style, Missing) and style else ""
        shown += f"; lines of rank{'s' if len(ranks) > 1 else ''} {', '.join(ranks)}{by}"
    return shown


def _straggler(dist: Mapping[str, Any]) -> Cell:
    spread = number(dist, "straggler.spread")
    if isinstance(spread, Missing):
        return spread
    slowest = lookup(dist, "straggler.slowest_rank")
    median = lookup(dist, "straggler.median_rank")
    return f"rank {slowest} is {percent(spread)} slower than the median rank ({median})"


def _with_source(value: Cell, log: Mapping[str, Any], key: str) -> Cell:
    return with_detail(value, text(log, key))


def _files(log: Mapping[str, Any]) -> Cell:
    files = items(log, "files")
    if not files:
        return lookup(log, "files") if isinstance(lookup(log, "files"), Missing) else "none"
    shown = []
    for entry in files:
        if isinstance(entry, Mapping):
            name = str(entry.get("name", "?"))
            lines, steps = entry.get("lines"), entry.get("step_lines")
            if isinstance(lines, int) and isinstance(steps, int):
                name += f" ({steps:,} step lines of {lines:,})"
            shown.append(name)
        else:
            shown.append(str(entry))
    return "; ".join(shown)


def _steps(log: Mapping[str, Any]) -> Cell:
    steps = count(number(log, "steps"))
    first, last = number(log, "first_step"), number(log, "last_step")
    if isinstance(steps, Missing) or isinstance(first, Missing) or isinstance(last, Missing):
        return steps
    return f"{steps} (steps {first:,.0f}-{last:,.0f})"


def _warmup(log: Mapping[str, Any]) -> Cell:
    steps = cell(lookup(log, "warmup_steps"))
    first = number(log, "warmup.first_step_time_ms")
    ratio = number(log, "warmup.first_over_steady")
    if isinstance(steps, Missing) or isinstance(first, Missing):
        return steps
    shown = f"{steps} (first step {milliseconds(first)}"
    shown += f", {ratio:.0f}x the steady step)" if not isinstance(ratio, Missing) else ")"
    return shown


def _peak(log: Mapping[str, Any]) -> Cell:
    value = number(log, "peak.flops")
    if isinstance(value, Missing):
        return Missing(value.reason or str(text(log, "mfu.reason")))
    hardware = text(log, "peak.hardware")
    dtype = text(log, "peak.dtype")
    shown = f"{flops(value)}"
    if lookup(log, "peak.estimated") is True:
        shown += " (est.)"
    parts = [str(p) for p in (hardware, dtype) if not isinstance(p, Missing)]
    return f"{' '.join(parts)} {shown}" if parts else shown


def _evals(log: Mapping[str, Any]) -> Cell:
    share = percent(number(log, "eval_time_fraction"))
    evals = number(log, "evals.count")
    if isinstance(share, Missing) or isinstance(evals, Missing):
        return share
    return f"{share} ({evals:.0f} evaluations)"


def _jitter(log: Mapping[str, Any]) -> Cell:
    cv = number(log, "jitter.cv")
    if isinstance(cv, Missing):
        return cv
    shown = f"CV {cv:.0%}"
    ratio = number(log, "jitter.p90_over_p50")
    stalls = number(log, "jitter.stalls")
    if not isinstance(ratio, Missing):
        shown += f", p90/p50 {ratio:.2f}"
    if not isinstance(stalls, Missing):
        shown += f", {stalls:.0f} stalls"
    return shown


def _loss(log: Mapping[str, Any]) -> Cell:
    losses = numbers(log, "loss.first", "loss.last")
    if isinstance(losses, Missing):
        return losses
    first, last = losses
    shown = f"{first:.4g} → {last:.4g}"
    trend = text(log, "loss.trend")
    return f"{shown} ({trend})" if not isinstance(trend, Missing) else shown


def analysis_headline(log: Mapping[str, Any]) -> Headline:
    """Steady step time first, then the run headline (FLOP/s, tokens/s, MFUs)."""
    base = run_headline(log).figures
    step = Figure("steady step time", milliseconds(number(log, "steady_step_time_ms")), "median")
    return Headline((step, *base))


def _format_cell(log: Mapping[str, Any]) -> Cell:
    name = text(log, "format_title")
    if isinstance(name, Missing):
        name = text(log, "format")
    variant = text(log, "format_variant")
    if not isinstance(name, Missing) and not isinstance(variant, Missing):
        name = f"{name} {variant}"
    confidence = number(log, "format_confidence")
    if isinstance(name, Missing) or isinstance(confidence, Missing):
        return name
    return f"{name} (confidence {confidence:.0%})"


def reconcile_sentence(log: Mapping[str, Any]) -> str:
    """ "The log's own MFU, 0.02%, is relative to an A100...; the run achieves ... which is 44%"."""
    reported = number(log, "reported_mfu")
    reference = text(log, "reference")
    if isinstance(reported, Missing) or isinstance(reference, Missing):
        return ""
    sentence = f"The log's own MFU, {percent(reported)}, is relative to {reference}."
    achieved = number(log, "achieved_flops")
    true_mfu = number(log, "mfu.value")
    if not isinstance(achieved, Missing):
        sentence += f" The run achieves {flops(achieved)}"
        if not isinstance(true_mfu, Missing):
            source = text(log, "mfu.source")
            against = f" against the {source}" if not isinstance(source, Missing) else ""
            sentence += f", which is {percent(true_mfu)}{against}"
        sentence += "."
    return sentence
