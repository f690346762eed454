"""How robust is a speedup measured interleaved (``bench --variant``) against separate runs?

Measures one change (default: cpu-small's batch_size 12 -> 48) several times
two ways, alternating between the two ways round by round:

- **separate**: the baseline in one fresh bench process, then the variant in
  another (what diagnose did before it interleaved); the speedup is the ratio
  of their tokens/s;
- **interleaved**: one bench process with ``--variant``, blocks of the two
  alternating (A B B A ...); the speedup and its 95% noise come from the pairs.

Prints every round's figures, then for each way the median speedup and the
spread (max - min) of the speedups across rounds: the smaller the spread, the
more a single diagnosis can be trusted on this machine.

    python benchmarks/bench_interleaved_vs_separate.py [--rounds 4] [--budget 4] \\
        [--change batch_size=48] [-- extra bench flags]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def bench(flags: list[str]) -> dict[str, Any]:
    """The JSON of one fresh ``python -m mfu_advisor.bench`` process."""
    argv = [sys.executable, "-m", "mfu_advisor.bench", *flags, "--no-roofline", "--json"]
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"bench {' '.join(flags)} failed with exit code {done.returncode}")
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--budget", type=float, default=4.0, help="bench --budget per process")
    parser.add_argument("--change", default="batch_size=48", help="KEY=VALUE, nanoGPT name")
    parser.add_argument("extra", nargs="*", help="baseline bench flags (default: cpu-small)")
    args = parser.parse_args()
    base = ["--preset", "cpu-small", "--device", "cpu", "--budget", str(args.budget), *args.extra]
    separate: list[float] = []
    interleaved: list[float] = []
    print(f"change {args.change}; {args.rounds} rounds; budget {args.budget} s per process")
    for number in range(1, args.rounds + 1):
        before = bench(base)["tokens_per_s"]
        after = bench([*base, f"--{args.change}"])["tokens_per_s"]
        separate.append(after / before)
        paired = bench([*base, f"--variant={args.change}"])["paired"]
        interleaved.append(paired["speedup"])
        noise = paired["noise"]
        print(
            f"round {number}: separate {after:,.0f} / {before:,.0f} = {after / before:.2f}x; "
            f"interleaved {paired['speedup']:.2f}x"
            + (f" +-{noise:.1%}" if noise is not None else "")
            + f" over {paired['pairs']} pairs",
            flush=True,
        )
    for name, values in (("separate", separate), ("interleaved", interleaved)):
        print(
            f"{name:>11}: median {statistics.median(values):.2f}x, "
            f"spread {min(values):.2f}-{max(values):.2f}x"
        )


if __name__ == "__main__":
    main()
