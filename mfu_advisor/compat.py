"""Results written by earlier versions, brought up to the current field names.

The one place that knows how older bench and analyze payloads differ from today's; the
typed loaders call it before reading. Fields are only ever added (docs/json.md), so an
upgrade fills in what an older version did not write. Pure dict work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Fields added after results were first written, by class name: the generated schemas do not
#: require them (older results still validate); the upgrades below fill them in.
ADDED_LATER: dict[str, frozenset[str]] = {
    "LogAnalysis": frozenset(
        {
            "reported_mfu_placeholder",
            "reported_mfu_placeholder_lines",
            "gpt_config",
            "gpt_config_sources",
            "series_method",
            "distributed",
        }
    ),
    "DistributedSetup": frozenset({"communication_split"}),
}


def upgrade_bench(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A bench payload with every field today's loader needs."""
    doc = dict(payload)
    setup = doc.get("distributed")
    if isinstance(setup, Mapping):
        setup = dict(setup)
        # Before --no-communication-split every multi-rank bench measured under no_sync().
        setup.setdefault("communication_split", True)
        job = doc.get("job")
        if "world_size" not in setup and isinstance(job, Mapping):
            setup["world_size"] = job.get("world_size")
        doc["distributed"] = setup
    return doc


def upgrade_analysis(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An analyze payload with every field today's loader needs (what an older version did not
    count or work out is 0 or empty; multi-rank logs were not analysed)."""
    doc = dict(payload)
    reasons = doc.get("unavailable")
    reasons = reasons if isinstance(reasons, Mapping) else {}
    if "reported_mfu_placeholder" not in doc:  # llm.c's -100%: said only in the reason's words
        doc["reported_mfu_placeholder"] = "placeholder" in str(reasons.get("reported_mfu", ""))
    doc.setdefault("reported_mfu_placeholder_lines", 0)
    doc.setdefault("gpt_config", {})
    doc.setdefault("gpt_config_sources", {})
    if "series_method" not in doc:  # before min/max buckets: every line when series_every is 1
        every = doc.get("series_every")
        doc["series_method"] = "every step line" if every in (None, 1) else "min/max per bucket"
    if "distributed" not in doc:
        doc["distributed"] = None
        doc["unavailable"] = {**reasons, "distributed": "not analysed by the version that wrote it"}
    return doc
