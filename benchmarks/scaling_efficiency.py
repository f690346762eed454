"""Scaling efficiency of data-parallel runs: 2 ranks x 1 thread against 1 rank x 1 thread.

Issue 7's measurement. Each round is one ``python -m mfu_advisor.bench --preset
cpu-small --nproc-per-node 2 --threads 1 --json --no-roofline`` run: torchrun,
two gloo ranks (one per CPU), then the single-process reference the bench runs
itself (one process, one thread, on rank 0's CPU, the same per-rank batch 12).
The order inside a round is fixed (job, then reference), so several rounds
show how much the machine drifts between the two.

Prints per round: job tokens/s, reference tokens/s, efficiency = job / (2 x
reference), the all-reduce share of the step, and how much slower each rank's
compute alone (under no_sync) is than the reference's step: the part of the
loss that is not communication but two processes sharing the machine (memory
bandwidth, caches, SMT siblings on the host). Then the medians.

Usage: python benchmarks/scaling_efficiency.py [--rounds 3] [--budget S] [--ranks 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys


def one_round(ranks: int, budget: float) -> dict[str, float]:
    argv = [sys.executable, "-m", "mfu_advisor.bench", "--preset", "cpu-small", "--device", "cpu"]
    argv += ["--nproc-per-node", str(ranks), "--threads", "1", "--budget", str(budget)]
    argv += ["--json", "--no-roofline"]
    done = subprocess.run(argv, capture_output=True, text=True, env=os.environ.copy())
    if done.returncode != 0:
        sys.exit(f"bench failed ({done.returncode}): {done.stderr.strip().splitlines()[-1]}")
    doc = json.loads(done.stdout)
    scaling = doc.get("scaling") or {}
    reference = float(scaling.get("reference_tokens_per_s") or 0.0)
    tokens_per_rank_step = doc["job"]["tokens_per_step"] / ranks
    reference_step_ms = tokens_per_rank_step / reference * 1e3 if reference else float("nan")
    compute = [r["compute_step_time_ms"] for r in doc["ranks"]]
    return {
        "job": float(doc["job"]["tokens_per_s"]),
        "reference": reference,
        "efficiency": float(scaling.get("efficiency") or float("nan")),
        "communication": float(doc["communication_fraction"]),
        "compute_slowdown": statistics.median(compute) / reference_step_ms,
        "step_ms": float(doc["job"]["step_time_ms"]),
        "reference_step_ms": reference_step_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=8.0)
    parser.add_argument("--ranks", type=int, default=2)
    args = parser.parse_args()
    rounds = []
    print(
        f"{'round':>5} {'job tok/s':>10} {'1-rank tok/s':>12} {'efficiency':>10} "
        f"{'all-reduce':>10} {'compute/ref':>11} {'step ms':>8} {'ref ms':>7}"
    )
    for index in range(args.rounds):
        r = one_round(args.ranks, args.budget)
        rounds.append(r)
        print(
            f"{index + 1:>5} {r['job']:>10,.0f} {r['reference']:>12,.0f} {r['efficiency']:>10.1%} "
            f"{r['communication']:>10.1%} {r['compute_slowdown']:>10.2f}x "
            f"{r['step_ms']:>8.1f} {r['reference_step_ms']:>7.1f}"
        )
    median = {k: statistics.median(r[k] for r in rounds) for k in rounds[0]}
    print(
        f"median: efficiency {median['efficiency']:.1%} ({args.ranks} ranks x 1 thread against "
        f"{args.ranks} times 1 rank x 1 thread), all-reduce {median['communication']:.1%} of the "
        f"step, each rank's compute {median['compute_slowdown']:.2f}x the lone process's step"
    )


if __name__ == "__main__":
    main()
