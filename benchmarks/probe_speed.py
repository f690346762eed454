"""Wall time of ``mfu-advisor probe`` against ``python -m torch.utils.collect_env``.

Runs, side by side and interleaved (so load on a shared machine hits all
alike), each a few times in fresh subprocesses with stdout discarded:

- ``mfu-advisor probe --no-torch``
- ``mfu-advisor probe --no-torch --json`` (the same without the terminal
  renderer, to show how much of the time is the report's)
- ``mfu-advisor probe`` with torch's answers cached (the normal case after the
  first run on a machine; see docs/probe.md, "Torch answers are cached")
- ``mfu-advisor probe --fresh``, which imports torch (the first run)
- ``python -m torch.utils.collect_env``

and prints the medians and the ratios to collect_env. Targets (issue 2):
``--no-torch`` at most 10%, ``probe`` at most 60% of collect_env's wall time.

Usage: python benchmarks/probe_speed.py [--repeat 5] [--check]
``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_NO_TORCH = 0.10
TARGET_PROBE = 0.60


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mfu-advisor-bench-cache-") as cache:
        env = dict(os.environ, MFU_ADVISOR_CACHE_DIR=cache, PYTHONWARNINGS="ignore")
        probe = [sys.executable, "-m", "mfu_advisor", "probe"]
        commands = {
            "probe --no-torch": [*probe, "--no-torch"],
            "probe --no-torch --json": [*probe, "--no-torch", "--json"],
            "probe (torch answers cached)": probe,
            "probe --fresh (imports torch)": [*probe, "--fresh"],
            "collect_env": [sys.executable, "-m", "torch.utils.collect_env"],
        }
        # Warm-up: fills the OS file cache for every command and the torch answer cache.
        for argv in commands.values():
            _time(argv, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, argv in commands.items():
                times[name].append(_time(argv, env))

    medians = {name: statistics.median(values) for name, values in times.items()}
    reference = medians["collect_env"]
    fastest = min(times["collect_env"])
    # The ratio of minimums is shown too: on a shared machine the fastest run of
    # each is the closest to its uncontended cost.
    print(f"{'command':34} {'median s':>9} {'min s':>7} {'max s':>7} {'ratio':>7} {'min/min':>8}")
    for name, values in times.items():
        print(
            f"{name:34} {medians[name]:9.3f} {min(values):7.3f} {max(values):7.3f} "
            f"{medians[name] / reference:7.1%} {min(values) / fastest:8.1%}"
        )
    no_torch = medians["probe --no-torch"] / reference
    cached = medians["probe (torch answers cached)"] / reference
    print(
        f"\ntargets: --no-torch {no_torch:.1%} (<= {TARGET_NO_TORCH:.0%}), "
        f"probe {cached:.1%} (<= {TARGET_PROBE:.0%}); "
        f"{args.repeat} runs each, cpus={os.cpu_count()}"
    )
    missed = no_torch > TARGET_NO_TORCH or cached > TARGET_PROBE
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
