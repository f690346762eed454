"""Is diagnose's recommended configuration the best one? An exhaustive sweep to compare (issue 16).

Sweeps the candidate grid of the default baseline: micro-batch x1/x2/x4/x8,
compile off/on, bf16 autocast off/on (threads only where they differ: on a
machine whose usable CPUs equal its physical cores there is nothing to sweep,
and this script says so). Every configuration is measured interleaved with the
baseline in one process (``mfu-advisor bench --variant ... --json``), like
diagnose's own experiments, so each figure is a speedup over the baseline at
the same moments of the machine.

Then it reads diagnose's recommendation (``--diagnose FILE``, a ``diagnose
--json`` output, or a fresh default diagnose): the combined fix when it
measured faster, else the leading verified "do", else the baseline; and prints
the sweep's figure for that configuration over the sweep's best (acceptance:
within 5%).

    python benchmarks/diagnose_vs_sweep.py [--diagnose FILE] [--budget 4] [--batches 1,2,4,8]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from diagnose_wall_time import ROOT, one_diagnosis

Config = tuple[int, bool, bool]
"""(micro-batch multiple, compile, bf16 autocast)."""


def bench(args: list[str], timeout_s: float) -> dict[str, Any] | None:
    argv = [sys.executable, "-m", "mfu_advisor", "bench", "--json", "--no-roofline", *args]
    try:
        done = subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def variant_args(config: Config, batch: int) -> list[str]:
    multiple, compiled, bf16 = config
    changes = []
    if multiple != 1:
        changes.append(f"batch_size={batch * multiple}")
    if compiled:
        changes.append("compile=True")
    if bf16:
        changes.append("dtype=bfloat16")
    return [f"--variant={c}" for c in changes]


def recommended(doc: dict[str, Any], batch: int) -> tuple[Config, str]:
    """diagnose's recommended configuration as a grid point, and where it came from."""
    combined = doc.get("combined") or {}
    overrides: dict[str, Any] = {}
    source = "the baseline (nothing verified)"
    if combined.get("verdict") == "faster":
        overrides, source = dict(combined["overrides"]), "the combined fix"
    else:
        for finding in doc["findings"]:
            if finding["kind"] == "do" and finding.get("verified_speedup") is not None:
                overrides = dict(finding.get("fix_options") or {})
                source = f"the leading do ({finding.get('experiment')})"
                break
    multiple = int(overrides.get("batch_size", batch)) // batch
    config = (multiple, overrides.get("compile") is True, overrides.get("dtype") == "bfloat16")
    return config, source


def label(config: Config) -> str:
    multiple, compiled, bf16 = config
    return (
        f"batch x{multiple}, compile {'on' if compiled else 'off'}, bf16 {'on' if bf16 else 'off'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--diagnose", type=Path, default=None, help="a diagnose --json output")
    parser.add_argument("--budget", type=float, default=4.0, help="measured seconds per config")
    parser.add_argument("--batches", default="1,2,4,8", help="micro-batch multiples")
    args = parser.parse_args()
    if args.diagnose is not None:
        doc = json.loads(args.diagnose.read_text())
    else:
        _, doc = one_diagnosis(None, [])
    base = doc["baseline"]
    batch = int(base["config"]["batch_size"])
    if base.get("dtype") != "float32" or base["config"].get("compile"):
        sys.exit("the sweep expects a float32 baseline without compile (the default preset)")
    hardware = doc.get("hardware") or {}
    cpu = hardware.get("cpu") or {}
    if cpu.get("physical_cores") == cpu.get("usable_cpus"):
        print("threads: physical cores equal usable CPUs here, nothing to sweep")
    multiples = [int(m) for m in args.batches.split(",")]
    grid: list[Config] = [
        (m, c, b) for m, c, b in itertools.product(multiples, (False, True), (False, True))
    ]
    results: dict[Config, tuple[float, float]] = {(1, False, False): (1.0, 0.0)}
    for config in grid:
        if config == (1, False, False):
            continue
        flags = [f"--batch_size={batch}", f"--budget={args.budget}", *variant_args(config, batch)]
        out = bench(flags, timeout_s=180.0)
        paired = (out or {}).get("paired") or {}
        if paired.get("speedup") is None:
            print(f"{label(config)}: no result", flush=True)
            continue
        results[config] = (paired["speedup"], paired.get("noise") or 0.0)
        print(
            f"{label(config)}: {paired['speedup']:.2f}x +-{paired.get('noise') or 0:.1%}",
            flush=True,
        )
    best = max(results, key=lambda c: results[c][0])
    pick, source = recommended(doc, batch)
    print(f"sweep best: {label(best)} {results[best][0]:.2f}x")
    if pick not in results:
        print(f"diagnose recommends {label(pick)} ({source}): not in the sweep")
        return
    ratio = results[pick][0] / results[best][0]
    verdict = "within 5%" if ratio >= 0.95 else "more than 5% below the best"
    print(
        f"diagnose recommends {label(pick)} ({source}): {results[pick][0]:.2f}x in the sweep, "
        f"{ratio:.3f} of the best ({verdict})"
    )


if __name__ == "__main__":
    main()
