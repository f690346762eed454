"""Speed and memory of ``mfu-advisor analyze`` on a generated nanoGPT-format log (1 GB by default).

Writes a nanoGPT train.py log (a config header, then ``iter N: loss ..., time
...ms, mfu ...%`` lines with an evaluation every 250 iterations) into a
temporary folder, then runs ``python -m mfu_advisor analyze FILE --json`` on it
in a subprocess and reports:

- lines per second (lines in the file / wall time of the subprocess, start-up included);
- the subprocess's peak resident memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss``);
- for scale, the time ``grep -c iter FILE`` takes on the same file.

Targets (issues 4 and 13): at least 1,000,000 lines/s on the plain log, 500,000 lines/s with
``--prefix timestamp`` (every line behind a ``2024-05-01 12:00:01,123 INFO `` logging prefix,
which logs/normalise.py removes), and under 200 MB peak either way. Timing on a shared machine
is noisy: run it when the machine is quiet, and compare with grep's time, measured next to it.

Usage: python benchmarks/analyze_speed.py [--size-mb 1024] [--prefix none|timestamp] [--keep DIR]
[--check]
``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_LINES_PER_S = 1_000_000
#: With a logging prefix on every line (issue 13).
TARGET_PREFIXED_LINES_PER_S = 500_000
#: A Python logging handler's default-looking prefix (the time is fixed: the speed is the same).
TIMESTAMP_PREFIX = "2024-05-01 12:00:01,123 INFO "
TARGET_PEAK_MB = 200
BLOCK_ITERS = 100_000
EVAL_EVERY = 250

HEADER = """Overriding config with config/train_gpt2.py:
# config for training GPT-2 (124M) down to very nice loss of ~2.85 on 1 node of 8X A100 40GB
batch_size = 12
block_size = 1024
gradient_accumulation_steps = 5 * 8
max_iters = 600000
eval_interval = 250
log_interval = 1
Overriding: compile = True
tokens per iteration will be: 491,520
defaulting to vocab_size of GPT-2 to 50304 (50257 rounded up for efficiency)
Initializing a new model from scratch
number of parameters: 123.59M
num decayed parameter tensors: 50, with 124,354,560 parameters
num non-decayed parameter tensors: 25, with 19,200 parameters
using fused AdamW: True
compiling the model... (takes a ~minute)
"""


def block_pieces(rng: random.Random, line_prefix: str = "") -> tuple[list[str], int]:
    """Pieces that ``prefix.join`` turns into one block of BLOCK_ITERS iterations.

    Each step number is ``<block prefix><5 digits>``, so a block is written by one
    C-speed ``str.join`` with the block number as the separator. ``line_prefix`` goes
    before every step and evaluation line.
    """
    it, ev = line_prefix + "iter ", line_prefix + "step "
    pieces = [it]
    lines = 0
    for i in range(BLOCK_ITERS):
        loss = 3.0 + rng.random()
        time_ms = 895.0 + rng.gauss(0, 5)
        if i % EVAL_EVERY == 0:
            pieces[-1] = pieces[-1][: -len(it)] + ev
            pieces.append(f"{i:05d}: train loss {loss:.4f}, val loss {loss + 0.1:.4f}\n{it}")
            lines += 1
            time_ms += 4000.0  # nanoGPT times the evaluation inside the next iteration
        pieces.append(f"{i:05d}: loss {loss:.4f}, time {time_ms:.2f}ms, mfu 16.60%\n{it}")
        lines += 1
    pieces[-1] = pieces[-1][: -len(it)]
    return pieces, lines


def write_log(path: Path, size_bytes: int, line_prefix: str = "") -> int:
    """Write the log; returns its line count."""
    pieces, block_lines = block_pieces(random.Random(1337), line_prefix)
    lines = HEADER.count("\n")
    header = "".join(line_prefix + line for line in HEADER.splitlines(keepends=True))
    with open(path, "w", encoding="ascii") as out:
        out.write(header)
        written = len(header)
        block = 1  # block 0 would print "iter 000123"; start at 1 for natural numbers
        while written < size_bytes:
            text = str(block).join(pieces)
            out.write(text)
            written += len(text)
            lines += block_lines
            block += 1
    return lines


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="log size in MB (default 1024)")
    parser.add_argument("--keep", type=Path, default=None, help="write the log here and keep it")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--prefix",
        choices=("none", "timestamp"),
        default="none",
        help="put a logging timestamp prefix before every line (default none)",
    )
    args = parser.parse_args()
    prefixed = args.prefix == "timestamp"
    target = TARGET_PREFIXED_LINES_PER_S if prefixed else TARGET_LINES_PER_S

    folder = Path(tempfile.mkdtemp(prefix="mfu-advisor-speed-")) if args.keep is None else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "nanogpt_1gb.log"
    try:
        start = time.perf_counter()
        lines = write_log(path, args.size_mb * 1024 * 1024, TIMESTAMP_PREFIX if prefixed else "")
        size_mb = path.stat().st_size / 1e6
        print(
            f"generated {size_mb:,.0f} MB, {lines:,} lines in {time.perf_counter() - start:.1f} s"
        )

        grep_s, grep = timed(["grep", "-c", "iter", str(path)])
        grep_s = min(
            grep_s, timed(["grep", "-c", "iter", str(path)])[0]
        )  # the first run warms the cache
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        analyze_s, done = timed(
            [sys.executable, "-m", "mfu_advisor", "analyze", str(path), "--json"]
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = after.ru_maxrss / 1024  # KiB on Linux
        cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            print(f"analyze failed ({done.returncode}): {done.stderr.strip()}", file=sys.stderr)
            return 1
        result = json.loads(done.stdout)
        rate = lines / analyze_s
        print(f"analyze: {analyze_s:.2f} s, {rate:,.0f} lines/s, peak RSS {peak_mb:,.0f} MB")
        # On a shared machine other processes stretch the wall time; CPU time is the tool's own.
        print(f"analyze CPU time: {cpu_s:.2f} s, {lines / cpu_s:,.0f} lines per CPU second")
        print(
            f"grep -c iter: {grep_s:.2f} s ({grep.stdout.strip()} matches); "
            f"analyze/grep = {analyze_s / grep_s:.1f}x"
        )
        print(
            f"found {result['steps']:,} step lines, steady {result['steady_step_time_ms']:.1f} ms, "
            f"eval share {result['eval_time_fraction']:.1%}"
        )
        ok = rate >= target and peak_mb < TARGET_PEAK_MB
        print(
            f"targets ({args.prefix} prefix): >= {target:,} lines/s "
            f"{'met' if rate >= target else 'MISSED'}, "
            f"< {TARGET_PEAK_MB} MB {'met' if peak_mb < TARGET_PEAK_MB else 'MISSED'}"
        )
        return 0 if ok or not args.check else 1
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
        elif os.environ.get("MFU_ADVISOR_SPEED_CLEAN"):
            path.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
