"""A whole report as a format-neutral :class:`Document`, sections chosen by what the payload holds.

A payload with ``findings``, ``experiments`` or ``verdict`` is a diagnosis;
one with ``cpu`` or ``gpus`` is a hardware probe; one with ``format`` and
``steps`` an analyzed log; one with ``step_time_ms`` or ``config`` and
``device`` a bench. The envelope's command decides only when the payload is
ambiguous, so a saved result renders the same whichever command made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mfu_advisor.report.content.analysis import analysis_blocks
from mfu_advisor.report.content.bench import bench_blocks
from mfu_advisor.report.content.blocks import (
    Document,
    KeyValues,
    Paragraph,
    Section,
    Tone,
)
from mfu_advisor.report.content.diagnose import diagnose_sections
from mfu_advisor.report.content.hardware import hardware_blocks
from mfu_advisor.report.content.job import job_sections, job_subtitle
from mfu_advisor.report.model import Report
from mfu_advisor.report.values import (
    Missing,
    cell,
    items,
    number,
    seconds,
    text,
)

TITLES = {
    "diagnose": "Diagnosis",
    "probe": "Hardware",
    "bench": "Calibrated run",
    "analyze": "Training log analysis",
    "run": "Your training job",
}


def payload_kind(payload: Mapping[str, Any], command: str = "") -> str:
    """Which section set fits a payload: "run", "diagnose", "probe", "analyze" or "bench"."""
    if "samples" in payload and "exit_code" in payload:
        return "run"
    if any(k in payload for k in ("findings", "experiments", "verdict")):
        return "diagnose"
    if "cpu" in payload or "gpus" in payload:
        return "probe"
    if "format" in payload and "steps" in payload:
        return "analyze"
    if "step_time_ms" in payload or ("config" in payload and "device" in payload):
        return "bench"
    return command if command in TITLES else "unknown"


def build_document(report: Report, *, detailed: bool = True) -> Document:
    """The report's sections; ``detailed=False`` (the terminal) keeps a diagnosis short and
    leaves out "Other facts" (the fields no section shows; ``--json`` has them)."""
    payload = report.payload
    kind = payload_kind(payload, report.command.value)
    if kind == "run":
        sections = job_sections(payload)
    elif kind == "diagnose":
        sections = diagnose_sections(payload, detailed=detailed)
    elif kind == "probe":
        sections = (Section("hardware", "Hardware", hardware_blocks(payload)),)
    elif kind == "analyze":
        sections = (Section("analysis", "Training log", analysis_blocks(payload)),)
    elif kind == "bench":
        sections = (Section("run", "Calibrated run", bench_blocks(payload)),)
    else:
        sections = (
            Section(
                "unknown",
                "Result",
                (Paragraph("This result holds no section this version can show.", Tone.MUTED),),
            ),
        )
    extra = other_facts(payload, kind) if detailed else None
    if extra is not None:
        sections = (*sections, Section("other", "Other facts", (extra,)))
    return Document(
        title=f"mfu-advisor · {TITLES.get(kind, report.command.value)}",
        subtitle=subtitle(payload, kind),
        sections=sections,
        meta=_meta(report),
        redacted=report.redacted,
    )


def subtitle(payload: Mapping[str, Any], kind: str) -> str:
    """One line under the title: the machine and run, or the log's format and files."""
    if kind == "run":
        return job_subtitle(payload)
    if kind == "diagnose":
        cpu = text(payload, "hardware.cpu.model")
        device = text(payload, "baseline.device")
        parts = [str(p) for p in (cpu, device) if not isinstance(p, Missing)]
        elapsed = number(payload, "elapsed_s")
        budget = number(payload, "budget_s")
        if not isinstance(elapsed, Missing):
            of_budget = "" if isinstance(budget, Missing) else f" of a {seconds(budget)} budget"
            parts.append(f"measured in {seconds(elapsed)}{of_budget}")
        mode = text(payload, "mode")
        if not isinstance(mode, Missing) and mode != "live":
            parts.append(f"mode: {mode}")
        return " · ".join(parts)
    if kind == "probe":
        return str(cell(text(payload, "cpu.model")))
    if kind == "analyze":
        name = text(payload, "format_title")
        shown = [str(cell(name if not isinstance(name, Missing) else text(payload, "format")))]
        for entry in items(payload, "files"):
            shown.append(str(entry.get("name", "?")) if isinstance(entry, Mapping) else str(entry))
        return " · ".join(shown)
    if kind == "bench":
        parts = [
            str(value)
            for value in (text(payload, k) for k in ("preset", "device", "dtype"))
            if not isinstance(value, Missing)
        ]
        world = number(payload, "distributed.world_size")
        backend = text(payload, "distributed.backend")
        if not isinstance(world, Missing):
            how = "" if isinstance(backend, Missing) else f" ({backend})"
            parts.append(f"{world:.0f} ranks{how}")
        return " · ".join(parts)
    return ""


def _meta(report: Report) -> tuple[tuple[str, str], ...]:
    rows = [
        ("tool", f"mfu-advisor {report.tool_version}"),
        ("created", report.created_at or "—"),
        ("schema version", str(report.schema_version)),
        ("command", report.command.value),
    ]
    if report.redacted:
        rows.append(("redacted", "host names, user names, home paths and serials removed"))
    return tuple(rows)


def _keys(names: str) -> frozenset[str]:
    """Payload keys written as a whitespace-separated list."""
    return frozenset(names.split())


#: Top-level payload keys each kind already shows (the rest go to "Other facts");
#: analyze's include those content/analysis.py reads.
SHOWN_KEYS: dict[str, frozenset[str]] = {
    "run": _keys(
        """
        command_line exit_code wall_s interrupted_by ended_by_signal output_lines stdout_bytes
        stderr_bytes log_file interval_s analysis summary samples findings notes
        """
    ),
    "diagnose": _keys(
        """
        hardware baseline analysis experiments findings verdict elapsed_s budget_s mode noise phases
        interrupted notes
        """
    ),
    "probe": _keys("source host cpu memory gpus nvml torch warnings"),
    "analyze": _keys(
        """
        format format_confidence files steps warmup_steps steady_step_time_ms tokens_per_step
        flops_per_token tokens_per_s achieved_flops reported_mfu reference mfu eval_time_fraction
        config series format_title format_variant first_step last_step step_time_source warmup
        tokens_per_step_source tokens_per_s_scope devices devices_source n_params
        flops_per_token_source achieved_flops_implied reference_flops reference_detail peak
        mfu_vs_reference mfu_from_reported evals jitter restarts restart_count runs loss missing
        notes distributed series_every log_interval_steps
        """
    ),
    "bench": _keys(
        """
        preset preset_source config device device_name dtype peak_dtype torch_version threads tf32
        adamw_impl data n_params flops_per_token effective_batch_tokens tokens_per_step warmup_steps
        warmup_step_ms compile_s warmup_s measured_s measured_steps stopped_by step_time_ms
        tokens_per_s achieved_flops mfu peak_memory_bytes peak_memory_kind loss_first loss_last
        gemm_shapes roofline notes series paired
        """
    ),
}


def other_facts(payload: Mapping[str, Any], kind: str) -> KeyValues | None:
    """Scalar fields no section shows (newer results, extra facts), so nothing is hidden."""
    shown = SHOWN_KEYS.get(kind, frozenset()) | {"unavailable"}
    rows: list[tuple[str, Any]] = []
    for key, value in payload.items():
        if key in shown:
            continue
        if isinstance(value, Mapping):
            for sub, item in value.items():
                if not isinstance(item, (Mapping, list)):
                    rows.append((f"{key}.{sub}", cell(item)))
        elif isinstance(value, list):
            rows.append((key, f"{len(value)} items (see the JSON)"))
        else:
            rows.append((key, cell(value)))
    return KeyValues(tuple(rows)) if rows else None
