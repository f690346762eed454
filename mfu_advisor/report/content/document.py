"""A whole report as a :class:`Document`, sections chosen by what the payload holds."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from mfu_advisor.files import data_file
from mfu_advisor.report import values as v
from mfu_advisor.report.content.analysis import analysis_blocks
from mfu_advisor.report.content.bench import bench_blocks
from mfu_advisor.report.content.blocks import Block, Document, KeyValues, Paragraph, Section, Tone
from mfu_advisor.report.content.diagnose import diagnose_sections
from mfu_advisor.report.content.hardware import hardware_blocks
from mfu_advisor.report.content.job import job_sections, job_subtitle
from mfu_advisor.report.model import Report
from mfu_advisor.report.values import Missing

TITLES = {
    "diagnose": "Diagnosis",
    "probe": "Hardware",
    "bench": "Calibrated run",
    "analyze": "Training log analysis",
    "run": "Your training job",
}

#: kind -> (anchor, title, builder) of the results shown as one section.
ONE_SECTION: dict[str, tuple[str, str, Callable[[Mapping[str, Any]], tuple[Block, ...]]]] = {
    "probe": ("hardware", "Hardware", hardware_blocks),
    "analyze": ("analysis", "Training log", analysis_blocks),
    "bench": ("run", "Calibrated run", bench_blocks),
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
    elif kind in ONE_SECTION:
        anchor, title, blocks = ONE_SECTION[kind]
        sections = (Section(anchor, title, blocks(payload)),)
    else:
        unknown = Paragraph("This result holds no section this version can show.", Tone.MUTED)
        sections = (Section("unknown", "Result", (unknown,)),)
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
        cpu = v.text(payload, "hardware.cpu.model")
        device = v.text(payload, "baseline.device")
        parts = [str(p) for p in (cpu, device) if not isinstance(p, Missing)]
        elapsed = v.number(payload, "elapsed_s")
        budget = v.number(payload, "budget_s")
        if not isinstance(elapsed, Missing):
            of_budget = v.clause(v.seconds(budget), " of a {} budget")
            parts.append(f"measured in {v.seconds(elapsed)}{of_budget}")
        mode = v.text(payload, "mode")
        if not isinstance(mode, Missing) and mode != "live":
            parts.append(f"mode: {mode}")
        return " · ".join(parts)
    if kind == "probe":
        return str(v.cell(v.text(payload, "cpu.model")))
    if kind == "analyze":
        name = v.text(payload, "format_title")
        shown = [str(v.cell(name if not isinstance(name, Missing) else v.text(payload, "format")))]
        for entry in v.items(payload, "files"):
            shown.append(str(entry.get("name", "?")) if isinstance(entry, Mapping) else str(entry))
        return " · ".join(shown)
    if kind == "bench":
        parts = [
            str(value)
            for value in (v.text(payload, k) for k in ("preset", "device", "dtype"))
            if not isinstance(value, Missing)
        ]
        world = v.number(payload, "distributed.world_size")
        backend = v.text(payload, "distributed.backend")
        if not isinstance(world, Missing):
            parts.append(f"{world:.0f} ranks" + v.clause(backend, " ({})"))
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


@functools.cache
def shown_keys() -> dict[str, frozenset[str]]:
    """Top-level payload keys each kind already shows (data/report_shown_keys.toml, read once)."""
    shown = data_file("report_shown_keys.toml")["shown"]
    return {kind: frozenset(keys) for kind, keys in shown.items()}


def other_facts(payload: Mapping[str, Any], kind: str) -> KeyValues | None:
    """Scalar fields no section shows (newer results, extra facts), so nothing is hidden."""
    shown = shown_keys().get(kind, frozenset()) | {"unavailable"}
    rows: list[tuple[str, Any]] = []
    for key, value in payload.items():
        if key in shown:
            continue
        if isinstance(value, Mapping):
            for sub, item in value.items():
                if not isinstance(item, (Mapping, list)):
                    rows.append((f"{key}.{sub}", v.cell(item)))
        elif isinstance(value, list):
            rows.append((key, f"{len(value)} items (see the JSON)"))
        else:
            rows.append((key, v.cell(value)))
    return KeyValues(tuple(rows)) if rows else None
