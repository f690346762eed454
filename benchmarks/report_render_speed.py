"""Rendering a large report: the HTML of a 100,000-step analyze result, time and size.

Builds an analyze result with a 100,000-step series (step, loss, step time,
tokens/s, reported MFU; a few stalls and eval spikes), the way ``mfu-advisor
analyze --json`` would save it, then renders it the way ``mfu-advisor report
RESULT.json --html OUT`` does (JSON text -> Report -> HTML) several times and
prints the median time and the file size against the targets of issue 6
(< 2 s, < 2 MB), with Markdown, terminal and ``--redact`` timings beside it.

Usage: python benchmarks/report_render_speed.py [--steps 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report
from mfu_advisor.report.output import redact_report

TARGET_S = 2.0
TARGET_BYTES = 2_000_000


def analyze_result(steps: int, seed: int = 7) -> dict[str, Any]:
    """A saved analyze result of a long nanoGPT run, in issue 4's fields."""
    rng = random.Random(seed)
    series = []
    for step in range(steps):
        time_ms = 65.0 + rng.gauss(0, 1.5)
        if step == 0:
            time_ms = 1145.0  # first step: allocation and warm-up
        elif step % 2000 == 0:
            time_ms = 2400.0  # an eval step
        elif rng.random() < 1e-4:
            time_ms *= 20  # a data-loading stall
        loss = 4.3 * math.exp(-step / 20_000) + 1.2 + rng.gauss(0, 0.05)
        series.append(
            {
                "step": step,
                "loss": round(loss, 4),
                "step_time_ms": round(time_ms, 2),
                "tokens_per_s": round(768 / (time_ms / 1000), 1),
                "reported_mfu": None if step < 5 else 0.0002,
            }
        )
    return {
        "schema_version": 1,
        "command": "analyze",
        "tool": {"name": "mfu-advisor", "version": "0.1.0"},
        "created_at": "2025-06-02T09:14:07+00:00",
        "files": ["/home/ana/nanoGPT/out/train.log"],
        "format": "nanogpt",
        "format_confidence": 0.98,
        "steps": steps,
        "warmup_steps": 5,
        "steady_step_time_ms": 65.0,
        "tokens_per_step": 768,
        "flops_per_token": 5_187_072.0,
        "tokens_per_s": 11_815.4,
        "achieved_flops": 61.3e9,
        "reported_mfu": 0.0002,
        "reference": "A100 bf16 312 TFLOP/s (nanoGPT's fixed reference)",
        "mfu": {"value": 0.44, "denominator_flops": 139.1e9, "source": "measured here"},
        "eval_time_fraction": 0.036,
        "config": {"batch_size": "12", "block_size": "64", "n_layer": "4", "device": "cpu"},
        "series": series,
    }


def timed(function: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall time in seconds of ``repeat`` calls, and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    saved = json.dumps(analyze_result(args.steps))
    print(f"analyze result: {args.steps:,} steps, {len(saved) / 1e6:.1f} MB of JSON")

    def html_from_saved() -> str:
        return render(Report.from_json(json.loads(saved)), OutputFormat.HTML)

    report = Report.from_json(json.loads(saved))
    html_s, page = timed(html_from_saved, args.repeat)
    size = len(page.encode("utf-8"))
    markdown_s, _ = timed(lambda: render(report, OutputFormat.MARKDOWN), args.repeat)
    text_s, _ = timed(lambda: render(report, OutputFormat.TEXT, width=100), args.repeat)
    redact_s, _ = timed(lambda: render(redact_report(report), OutputFormat.HTML), args.repeat)
    load_s, _ = timed(lambda: Report.from_json(json.loads(saved)), args.repeat)

    print(
        f"HTML (load + render): {html_s:.3f} s (median of {args.repeat}), "
        f"{html_s / TARGET_S:.0%} of the {TARGET_S:g} s target"
    )
    print(
        f"HTML size:            {size / 1e6:.3f} MB, {size / TARGET_BYTES:.0%} of the 2 MB target"
    )
    print(f"  of which loading the saved JSON: {load_s:.3f} s")
    print(f"HTML with --redact:   {redact_s:.3f} s")
    print(f"Markdown:             {markdown_s:.3f} s")
    print(f"terminal text:        {text_s:.3f} s")
    verdict = "OK" if html_s < TARGET_S and size < TARGET_BYTES else "OVER TARGET"
    print(f"result: {verdict}")


if __name__ == "__main__":
    main()
