"""SVG charts: escaped labels, honest scales, spikes that stay visible."""

from __future__ import annotations

import itertools
import math
import re

import pytest
from report_fixtures import run_document

from mfu_advisor.report.charts.bars import draw_mfu, draw_speedups
from mfu_advisor.report.charts.roofline import draw_roofline, gemm_intensity
from mfu_advisor.report.charts.scale import LogScale, log_ticks, nice_ticks
from mfu_advisor.report.charts.series_chart import draw_series
from mfu_advisor.report.charts.svg import Svg, path_data
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report


def test_text_and_attributes_in_svg_are_escaped() -> None:
    svg = Svg(100, 50, 'a "title" <b>')
    svg.text(1, 2, "</svg><script>alert(1)</script>")
    svg.rect(0, 0, 5, 5, 'c" onload="x', title="<t>")
    out = str(svg.markup())
    assert "<script>" not in out and out.count("</svg>") == 1
    assert "&lt;script&gt;" in out and 'class="c&#34; onload=&#34;x"' in out
    assert "style=" not in out and "xmlns" not in out


def test_a_gap_in_the_data_breaks_the_line() -> None:
    assert path_data([(0, 0), (1, 1), None, (2, 2)]) == "M0.0 0.0L1.0 1.0M2.0 2.0"


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    ticks = nice_ticks(1.02, 4.33, 4)
    assert ticks[0] <= 1.02 and ticks[-1] >= 4.33
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and steps.pop() in (0.5, 1.0)


def test_log_ticks_add_2_and_5_on_a_short_range() -> None:
    assert log_ticks(30e9, 400e9) == [50e9, 100e9, 200e9]
    assert log_ticks(1, 10_000) == [1, 10, 100, 1_000, 10_000]


def test_mfu_bars_share_one_zero_to_hundred_percent_axis() -> None:
    svg = str(
        draw_mfu(
            {
                "bars": [
                    {"label": "measured matmul peak", "value": 0.4376, "detail": "139 GFLOP/s"},
                    {"label": "A100 reference", "value": 0.000195, "detail": "312 TFLOP/s"},
                    {"label": "device peak", "value": None, "reason": "no peak known for this GPU"},
                ]
            },
            "MFU",
        )
    )
    widths = [float(w) for w in re.findall(r'<rect[^>]*width="([\d.]+)"', svg)]
    assert len(widths) == 2
    assert widths[0] / (720 - 210 - 120) == pytest.approx(0.4376, abs=0.01)
    assert widths[1] == 2.0  # a visible sliver, not a zero-width bar
    assert "— no peak known for this GPU" in svg
    assert ">100%<" in svg  # the axis ends at 100%


def test_speedups_are_drawn_on_a_log_axis_with_noise_whiskers() -> None:
    svg = str(
        draw_speedups(
            {
                "bars": [
                    {"label": "batch-x4", "speedup": 1.42, "noise": 0.035, "tone": "good"},
                    {"label": "autocast-bf16", "speedup": 0.0625, "noise": 0.06, "tone": "bad"},
                ]
            },
            "What-if",
        )
    )
    assert "bar-good" in svg and "bar-bad" in svg
    assert "1.42x faster" in svg and "16x slower" in svg
    assert ">1/16<" in svg and ">1x<" in svg
    assert svg.count('class="whisker"') == 6  # a line and two caps per bar


def test_log_scale_makes_halving_as_long_as_doubling() -> None:
    x = LogScale(0.25, 4.0, 0, 400)
    assert math.isclose(x(1.0) - x(0.5), x(2.0) - x(1.0))


def test_step_time_spikes_above_the_cap_are_marked_not_hidden() -> None:
    rows = [{"step": i, "step_time_ms": 65.0 + (i % 5)} for i in range(300)]
    rows[0]["step_time_ms"] = 1145.0  # compile / first step
    rows[250]["step_time_ms"] = 2400.0  # an eval step
    svg = str(
        draw_series({"series": rows, "steady_step_time_ms": 66.0, "warmup_steps": 5}, "Step time")
    )
    assert svg.count('class="spike"') == 2
    assert "2 above the axis, up to 2.4k (step 250)" in svg
    assert "dashed: steady median 66" in svg
    assert "warmup" in svg


def test_series_chart_has_a_loss_panel_when_the_log_has_loss() -> None:
    rows = [{"step": i, "loss": 4.0 - i / 100, "step_time_ms": 65.0} for i in range(100)]
    svg = str(draw_series({"series": rows}, "Step time and loss"))
    assert ">loss<" in svg and ">step time (ms)<" in svg
    assert draw_series({"series": [{"step": 1, "other": 2}]}, "x") is None


def test_a_100000_step_series_is_drawn_with_at_most_2000_points_per_line() -> None:
    rows = {
        "step": list(range(100_000)),
        "step_time_ms": [65.0 + (i % 13) for i in range(100_000)],
        "loss": [4.0 - i * 2e-5 for i in range(100_000)],
    }
    svg = str(draw_series({"series": rows}, "long"))
    for path in re.findall(r'<path d="([^"]+)"', svg):
        assert path.count("L") + path.count("M") <= 2_000


def test_gemm_intensity_counts_each_operand_once() -> None:
    # 1024^3 fp32: 2*1024^3 FLOPs over 3 * 1024^2 * 4 bytes
    assert math.isclose(gemm_intensity(1024, 1024, 1024, 4), 2 * 1024 / 12)


def test_roofline_with_a_sweep_and_bandwidth_draws_the_memory_roof() -> None:
    data = {
        "achieved_flops": 60.9e9,
        "measured_peak_flops": 139e9,
        "device_peak_flops": 156.5e9,
        "memory_bandwidth_bytes_per_s": 20.1e9,
        "sweep": [
            {
                "dtype": "fp32",
                "name": "square",
                "m": 512,
                "n": 512,
                "k": 512,
                "flops": 139e9,
                "group": "square",
            },
            {
                "dtype": "fp32",
                "name": "attn.qkv",
                "m": 768,
                "n": 384,
                "k": 128,
                "flops": 131e9,
                "group": "model x1",
            },
        ],
    }
    svg = str(draw_roofline(data, "Roofline"))
    assert "ceiling-memory" in svg and "ceiling-measured" in svg and "ceiling-device" in svg
    assert svg.count("sweep-point") >= 2 and "your run 60.9G" in svg


def test_roofline_without_a_sweep_is_a_ladder_of_ceilings() -> None:
    svg = str(
        draw_roofline(
            {"achieved_flops": 60.9e9, "measured_peak_flops": 139e9, "device_peak_flops": 156.5e9},
            "Roofline",
        )
    )
    assert "43.8% of the line above" in svg and "88.8% of the line above" in svg
    assert draw_roofline({"achieved_flops": None}, "Roofline") is None


def test_a_run_result_whose_sample_times_are_not_a_list_renders_without_its_chart() -> None:
    # Found by rendering mangled saved results: "t_s": 2.5 raised a TypeError in the chart.
    doc = run_document()
    assert "Utilisation while the job ran" in render(Report.from_json(doc), OutputFormat.HTML)
    doc["samples"]["t_s"] = 2.5
    page = render(Report.from_json(doc), OutputFormat.HTML)
    assert "Utilisation while the job ran" not in page and "Your job" in page
