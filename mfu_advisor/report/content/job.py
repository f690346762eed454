"""The ``run`` result's sections: the job, what to change, its log, the hardware while it ran."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.report import values as v
from mfu_advisor.report.content.analysis import analysis_blocks
from mfu_advisor.report.content.blocks import (
    Block,
    Chart,
    Figure,
    Findings,
    Headline,
    KeyValues,
    Paragraph,
    Section,
    Table,
    Tone,
    present,
)
from mfu_advisor.report.content.findings import findings_blocks
from mfu_advisor.report.values import Cell, Missing


def job_sections(payload: Mapping[str, Any]) -> tuple[Section, ...]:
    """Every section of a ``run`` result, most useful first."""
    nothing = "Nothing to change: no rule found a bottleneck in the log or the samples."
    found = tuple(f for f in findings_blocks(payload) if f.items)
    sections = [
        Section("job", "Your job", _job_blocks(payload)),
        Section("findings", "Findings", found or (Findings("What to change", (), nothing),)),
        Section("hardware-while-running", "The hardware while it ran", _hardware(payload)),
    ]
    analysis = v.mapping(payload, "analysis")
    if analysis:
        sections.append(Section("analysis", "Its training log", analysis_blocks(analysis)))
    return tuple(sections)


def job_subtitle(payload: Mapping[str, Any]) -> str:
    """``python train.py · exit code 0 · 5m 02s``."""
    command = " ".join(str(part) for part in v.items(payload, "command_line"))
    if len(command) > 80:
        command = command[:77] + "..."
    parts = [command or "?"]
    parts.append(v.clause(v.number(payload, "exit_code"), "exit code {:.0f}"))
    parts.append(v.clause(v.seconds(v.number(payload, "wall_s")), "{}"))
    return " · ".join(p for p in parts if p)


def _job_blocks(payload: Mapping[str, Any]) -> tuple[Block, ...]:
    analysis = v.mapping(payload, "analysis")
    mfu = v.number(analysis, "mfu.value")
    source = v.text(analysis, "mfu.source")
    figures = [
        Figure("tokens/s", _short(v.rate(v.number(analysis, "tokens_per_s")), analysis)),
        Figure(
            "MFU",
            _short(v.percent(mfu), analysis),
            "" if isinstance(source, Missing) or isinstance(mfu, Missing) else source,
        ),
    ]
    figures.extend(_utilisation_figures(payload))
    blocks: list[Block] = [Headline(tuple(figures)), Paragraph(_ending(payload))]
    for note in v.items(payload, "notes"):
        blocks.append(Paragraph(str(note), tone=Tone.WARN))
    return tuple(blocks)


def _short(value: Cell, analysis: Mapping[str, Any]) -> Cell:
    """A headline value, with a short reason when missing (the log section has the long one)."""
    if not isinstance(value, Missing):
        return value
    if not analysis:
        return Missing("no training steps recognised in the output")
    return Missing("see the training log section")


def _utilisation_figures(payload: Mapping[str, Any]) -> list[Figure]:
    summary = v.mapping(payload, "summary")
    figures = []
    for gpu in v.items(summary, "gpus"):
        if isinstance(gpu, Mapping) and gpu.get("used_by_job") is not False:
            util = v.number(gpu, "util_percent_median")
            if not isinstance(util, Missing):
                figures.append(
                    Figure(
                        f"GPU {gpu.get('index')} busy", v.percent(util / 100), "median over the job"
                    )
                )
    cores = v.number(summary, "job_cpu_cores_median")
    if not isinstance(cores, Missing):
        of = v.clause(v.number(summary, "usable_cpus"), " of {:.0f}")
        figures.append(Figure("CPU cores used", f"{cores:.1f}{of}", "median over the job"))
    return figures


def _ending(payload: Mapping[str, Any]) -> str:
    code = v.number(payload, "exit_code")
    wall = v.number(payload, "wall_s")
    how = "ran" if isinstance(wall, Missing) else f"ran {v.seconds(wall)}"
    interrupted = v.text(payload, "interrupted_by")
    if not isinstance(interrupted, Missing):
        return f"The job {how} and was stopped by {interrupted} (forwarded to its processes)."
    if isinstance(code, Missing):
        return f"The job {how}."
    if code == 0:
        return f"The job {how} and exited with code 0."
    signal_name = v.text(payload, "ended_by_signal")
    by = "" if isinstance(signal_name, Missing) else f" ({signal_name})"
    return f"The job {how} and failed with exit code {code:.0f}{by}."


def _hardware(payload: Mapping[str, Any]) -> tuple[Block, ...]:
    summary = v.mapping(payload, "summary")
    start = v.number(summary, "window_start_s")
    if not isinstance(start, Missing) and start > 0:
        window = f"from the first training step, {v.seconds(start)} after the start"
    elif v.mapping(payload, "analysis"):
        window = "all samples (the first training step came before the first look)"
    else:
        window = "all samples (no training step was recognised)"
    samples_count = v.number(payload, "samples.count")
    interval = v.number(payload, "interval_s")
    rows: list[tuple[str, Cell]] = [
        (
            "samples",
            f"{samples_count:.0f} every {interval:g} s"
            if not isinstance(samples_count, Missing) and not isinstance(interval, Missing)
            else v.cell(None),
        ),
        ("steady window", window),
        ("usable CPUs", v.cell(summary.get("usable_cpus"))),
        (
            "job CPU use (median)",
            v.templated(v.number(summary, "job_cpu_cores_median"), "{:.2f} cores"),
        ),
        ("busiest core (median)", v.utilisation(v.number(summary, "busiest_cpu_percent_median"))),
        ("all CPUs (median)", v.utilisation(v.number(summary, "machine_cpu_percent_median"))),
        ("job threads (max)", v.cell(summary.get("job_threads_max"))),
        ("load average (median)", v.templated(v.number(summary, "load_1min_median"), "{:.1f}")),
        ("system memory in use (max)", v.percent(v.number(summary, "memory_used_fraction_max"))),
    ]
    reason = v.text(summary, "gpu_unavailable")
    if not isinstance(reason, Missing) and reason:
        rows.append(("GPUs", f"not sampled: {reason}"))
    samples = v.mapping(payload, "samples")
    chart = Chart(
        "utilisation",
        "Utilisation while the job ran",
        {"samples": samples, "window_start_s": summary.get("window_start_s")},
        caption="GPU utilisation (or the job's CPU cores) at each sample; the line "
        "marks the first training step.",
    )
    return present(KeyValues(tuple(rows)), _gpu_table(summary), chart if samples else None)


def _gpu_table(summary: Mapping[str, Any]) -> Table | None:
    gpus = [g for g in v.items(summary, "gpus") if isinstance(g, Mapping)]
    if not gpus:
        return None
    rows = []
    for gpu in gpus:
        used = gpu.get("used_by_job")
        rows.append(
            (
                f"{gpu.get('index')} {gpu.get('name', '')}".strip(),
                "yes" if used is True else ("no" if used is False else v.cell(None)),
                v.utilisation(v.number(gpu, "util_percent_median")),
                v.templated(v.number(gpu, "sm_clock_mhz_median"), "{:.0f} MHz"),
                v.power_of_limit(gpu, "power_w_median", "power_limit_w"),
                v.templated(v.number(gpu, "temperature_c_max"), "{:.0f} °C"),
                v.percent(v.number(gpu, "memory_used_fraction_max")),
                _reasons(gpu),
            )
        )
    return Table(
        (
            "GPU",
            "job on it",
            "busy (median)",
            "SM clock (median)",
            "power / limit",
            "temperature (max)",
            "memory (max)",
            "clocks held down by",
        ),
        tuple(rows),
        numeric=(False, False, True, True, True, True, True, False),
    )


def _reasons(gpu: Mapping[str, Any]) -> Cell:
    parts = []
    for key, label in (
        ("power_cap_share", "power cap"),
        ("thermal_share", "thermal"),
        ("hw_slowdown_share", "hardware slowdown"),
    ):
        share = v.number(gpu, key)
        if not isinstance(share, Missing) and share > 0:
            parts.append(f"{label} {v.percent(share)}")
    if parts:
        return ", ".join(parts)
    share = v.number(gpu, "power_cap_share")
    return "nothing" if not isinstance(share, Missing) else v.cell(None)
