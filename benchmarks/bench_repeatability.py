"""Repeatability of the bench: three cpu-small runs, each in its own process, and their CV.

Each run is ``python -m mfu_advisor.bench --preset cpu-small --device cpu --json
--no-roofline`` with the default budget (or --budget), in a fresh process as
diagnose runs it. Prints each run's tokens/s, GFLOP/s and median step, then the
coefficient of variation (stdev / mean) of tokens/s. Target (issue 3): < 5% on
an idle machine. Run it on an idle machine: other work inflates the CV.

Usage: python benchmarks/bench_repeatability.py [--runs 3] [--budget S]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def one_run(budget: float | None) -> dict[str, object]:
    argv = [sys.executable, "-m", "mfu_advisor.bench", "--preset", "cpu-small", "--device", "cpu"]
    argv += ["--json", "--no-roofline"]
    if budget is not None:
        argv += ["--budget", str(budget)]
    done = subprocess.run(argv, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        sys.exit(f"bench failed ({done.returncode}): {done.stderr.strip()}")
    doc: dict[str, object] = json.loads(done.stdout)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--budget", type=float, default=None, help="default: the bench's own")
    args = parser.parse_args()
    rates: list[float] = []
    for number in range(1, args.runs + 1):
        started = time.perf_counter()
        doc = one_run(args.budget)
        wall = time.perf_counter() - started
        steps = doc["step_time_ms"]
        assert isinstance(steps, dict)
        rate = float(doc["tokens_per_s"])  # type: ignore[arg-type]
        rates.append(rate)
        print(
            f"run {number}: {rate:,.0f} tokens/s, "
            f"{float(doc['achieved_flops']) / 1e9:.1f} GFLOP/s, "  # type: ignore[arg-type]
            f"median step {steps['median']:.1f} ms over {steps['steps']} steps "
            f"(+-{steps['ci95_halfwidth_fraction']:.1%}), stopped by {doc['stopped_by']}, "
            f"budget {doc['budget_s']:g} s, {wall:.1f} s wall",
            flush=True,
        )
    mean = statistics.fmean(rates)
    cv = statistics.stdev(rates) / mean if len(rates) > 1 else 0.0
    verdict = "meets" if cv < 0.05 else "MISSES"
    print(
        f"mean {mean:,.0f} tokens/s; coefficient of variation {cv:.2%} ({verdict} the < 5% target)"
    )


if __name__ == "__main__":
    main()
