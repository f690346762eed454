"""Results written by earlier versions, brought up to the current field names.

The one place that knows how older bench, analyze and diagnose payloads differ
from today's; each typed loader (``BenchResult.from_json``,
``LogAnalysis.from_json``, ``DiagnoseResult.from_json``) calls it before reading.
Fields are only ever added (docs/json.md), so an upgrade fills in what an older
version did not write, from what it did. Pure dict work: no imports from the layers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def upgrade_bench(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A bench payload with every field today's loader needs.

    - ``distributed.communication_split`` (added with ``--no-communication-split``): every
      earlier multi-rank bench measured blocks under no_sync(), so true.
    """
    doc = dict(payload)
    setup = doc.get("distributed")
    if isinstance(setup, Mapping) and "communication_split" not in setup:
        doc["distributed"] = {**setup, "communication_split": True}
    return doc


def upgrade_analysis(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An analyze payload with every field today's loader needs.

    - ``reported_mfu_placeholder`` (added with llm.c's -100% placeholders): older results
      said so only in the reason's wording for ``reported_mfu``.
    - ``reported_mfu_placeholder_lines``: not counted before; 0.
    - ``gpt_config`` and ``gpt_config_sources``: not worked out before; empty.
    - ``series_method``: before min/max buckets existed every step line was kept when
      ``series_every`` is 1, else the bucket's extremes.
    - ``distributed``: not analysed before; it loads as unavailable.
    """
    doc = dict(payload)
    reasons = doc.get("unavailable")
    reasons = reasons if isinstance(reasons, Mapping) else {}
    if "reported_mfu_placeholder" not in doc:
        doc["reported_mfu_placeholder"] = "placeholder" in str(reasons.get("reported_mfu", ""))
    doc.setdefault("reported_mfu_placeholder_lines", 0)
    doc.setdefault("gpt_config", {})
    doc.setdefault("gpt_config_sources", {})
    if "series_method" not in doc:
        every = doc.get("series_every")
        doc["series_method"] = "every step line" if every in (None, 1) else "min/max per bucket"
    return doc
