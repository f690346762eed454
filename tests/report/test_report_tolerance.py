"""Renderers never crash on a partial, older, newer or mangled result: "—" and a reason instead."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_fixtures import diagnose_document

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Command, Report

DOC = diagnose_document()


def _render_all(report: Report) -> dict[OutputFormat, str]:
    return {
        fmt: render(report, fmt, width=80, color=False)
        if fmt is OutputFormat.TEXT
        else render(report, fmt)
        for fmt in OutputFormat
    }


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data[:3]):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


PATHS = [p for p in _paths(DOC) if p[0] not in ("schema_version", "command", "tool")]
ODD_VALUES = st.sampled_from(
    [None, "", "text", "<script>x</script>", -1, 0, 1e308, True, [], {}, [None], {"value": None}]
)


def _set(doc: dict, path: tuple[Any, ...], value: Any, delete: bool) -> None:
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if delete and isinstance(target, dict):
        del target[path[-1]]
    else:
        # A copy: sampled_from hands out the same dict every time, and a later change may write
        # into it (a saved JSON file can never hold a cycle, which that would make).
        target[path[-1]] = copy.deepcopy(value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(PATHS), ODD_VALUES, st.booleans()), min_size=1, max_size=6
    )
)
def test_a_mangled_diagnose_result_still_renders_in_every_format(
    changes: list[tuple[tuple[Any, ...], Any, bool]],
) -> None:
    doc = copy.deepcopy(DOC)
    for path, value, delete in changes:
        try:
            _set(doc, path, value, delete)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced the parent
    outputs = _render_all(Report.from_json(doc))
    assert json.loads(outputs[OutputFormat.JSON])["command"] == "diagnose"


def test_an_empty_result_of_each_command_renders() -> None:
    for command in Command:
        outputs = _render_all(Report(command=command, payload={}))
        assert "mfu-advisor" in outputs[OutputFormat.MARKDOWN]


def test_null_values_show_a_dash_and_their_reason(diagnose_doc: dict) -> None:
    mfu = diagnose_doc["baseline"]["mfu"]
    mfu["device_peak"] = {
        "value": None,
        "denominator_flops": None,
        "source": None,
        "reason": "no datasheet peak for this CPU",
    }
    diagnose_doc["baseline"]["achieved_flops"] = None
    diagnose_doc["baseline"]["unavailable"] = {"achieved_flops": "no step was measured"}
    report = Report.from_json(diagnose_doc)
    text = render(report, OutputFormat.TEXT, width=120, color=False)
    assert "— (no datasheet peak for this CPU)" in text
    assert "— (no step was measured)" in text
    markdown = render(report, OutputFormat.MARKDOWN)
    assert "— _(no datasheet peak for this CPU)_" in markdown
    html = render(report, OutputFormat.HTML)
    assert '<span class="reason">(no step was measured)</span>' in html


def test_unknown_fields_of_a_newer_result_are_shown_not_dropped(diagnose_doc: dict) -> None:
    diagnose_doc["thermal_headroom_c"] = 12.5
    report = Report.from_json(diagnose_doc)
    assert "thermal_headroom_c" in render(report, OutputFormat.MARKDOWN)
    assert "thermal_headroom_c" in render(report, OutputFormat.HTML)
