"""Does ``diagnose --from-log``'s top verified recommendation really raise tokens/s?

1. Runs ``mfu-advisor diagnose --from-log LOG --json`` on a nanoGPT CPU log made
   with the README's CPU flags (``--device=cpu --compile=False --eval_iters=20
   --log_interval=1 --block_size=64 --batch_size=12 --n_layer=4 --n_head=4
   --n_embd=128``; tests/data/diagnose/nanogpt_cpu_300.log, a real run on the
   2-core Zen 3 VM, see /work/shared/fixtures/logs/SOURCES.md).
2. Takes its top verified "do" finding and that finding's ``fix_options``.
3. Measures the log's configuration (as diagnose reproduced it) before and
   after applying them, two ways each round: in separate fresh ``python -m
   mfu_advisor.bench`` processes (before, then after), and in one process with
   ``--variant`` (before and after alternating block by block, the speedup and
   its noise from the pairs; only for changes one process can switch). Prints
   tokens/s side by side and the median ratio of each way. Target: at least 1.4x.

Timings on a shared machine are noisy: read the per-round ratios too.

    python benchmarks/diagnose_from_log_gain.py [--log PATH] [--rounds 3] [--budget 80]
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
DEFAULT_LOG = ROOT / "tests" / "data" / "diagnose" / "nanogpt_cpu_300.log"
TARGET = 1.4
#: Changes one bench process can measure interleaved (bench --variant).
PAIRABLE = {
    "batch_size", "gradient_accumulation_steps", "dtype", "compile", "adamw_impl", "tf32",
}  # fmt: skip
#: Model and batch fields of the bench's config, passed on as nanoGPT flags.
CONFIG_FLAGS = (
    "batch_size", "block_size", "n_layer", "n_head", "n_embd", "vocab_size", "dropout",
    "bias", "dtype", "compile", "device", "gradient_accumulation_steps",
)  # fmt: skip


def diagnose(log: Path, budget: float) -> dict[str, Any]:
    """The diagnose JSON for the log (progress goes to this terminal's stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "mfu_advisor", "diagnose", "--from-log", str(log),
         "--budget", str(budget), "--json"],
        stdout=subprocess.PIPE, check=False, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"diagnose failed with exit code {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def flags_of(options: dict[str, Any]) -> list[str]:
    flags = []
    for name, value in options.items():
        if name == "cpus" and isinstance(value, list):
            value = ",".join(str(c) for c in value)
        flags.append(f"--{name}={value}")
    return flags


def bench_json(flags: list[str]) -> dict[str, Any]:
    """The JSON of one fresh bench process with ``flags``."""
    done = subprocess.run(
        [sys.executable, "-m", "mfu_advisor.bench", *flags, "--no-roofline", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False, cwd=ROOT,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"bench {' '.join(flags)} failed with exit code {done.returncode}")
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def bench_tokens_per_s(flags: list[str]) -> float:
    """tokens/s of one fresh bench process with ``flags``."""
    return float(bench_json(flags)["tokens_per_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, default=DEFAULT_LOG)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=80.0, help="diagnose --budget")
    args = parser.parse_args()

    result = diagnose(args.log, args.budget)
    reference = next(
        (f for f in result["findings"] if f["symbol"] == "mfu-relative-to-other-device"), None
    )
    print("A100-reference finding:", reference["explanation"] if reference else "MISSING")
    verified = [
        f for f in result["findings"]
        if f["kind"] == "do" and f["verified_speedup"] is not None and f["fix_options"]
    ]  # fmt: skip
    if not verified:
        print("diagnose verified no recommendation; verdict:", result["verdict"])
        sys.exit(1)
    top = verified[0]
    print(
        f"top verified recommendation: {top['title']}: {top['fix']} "
        f"(diagnose measured {top['verified_speedup']:.2f}x +-{top['noise'] * 100:.0f}%)"
    )
    config = result["baseline"]["config"]
    before = flags_of({k: config[k] for k in CONFIG_FLAGS if config.get(k) is not None})
    after = flags_of(
        {**{k: config[k] for k in CONFIG_FLAGS if config.get(k) is not None}, **top["fix_options"]}
    )
    print("before:", " ".join(before))
    print("after: ", " ".join(after))
    pairable = set(top["fix_options"]) <= PAIRABLE
    variant = [f"--variant={k}={v}" for k, v in top["fix_options"].items()] if pairable else []
    print(f"{'round':>5} {'before tok/s':>13} {'after tok/s':>12} {'ratio':>6}  interleaved")
    befores, afters, paired = [], [], []
    for round_number in range(1, args.rounds + 1):
        b = bench_tokens_per_s(before)
        a = bench_tokens_per_s(after)
        befores.append(b)
        afters.append(a)
        shown = ""
        if variant:
            pair = bench_json([*before, *variant])["paired"]
            paired.append(pair["speedup"])
            noise = f" +-{pair['noise']:.1%}" if pair["noise"] is not None else ""
            shown = f"{pair['speedup']:.2f}x{noise} ({pair['pairs']} pairs)"
        print(f"{round_number:>5} {b:>13,.0f} {a:>12,.0f} {a / b:>5.2f}x  {shown}")
    ratio = statistics.median(afters) / statistics.median(befores)
    verdict = "meets" if ratio >= TARGET else "is below"
    print(f"separate runs: median ratio {ratio:.2f}x ({verdict} the {TARGET}x target)")
    if paired:
        middle = statistics.median(paired)
        verdict = "meets" if middle >= TARGET else "is below"
        print(f"interleaved: median speedup {middle:.2f}x ({verdict} the {TARGET}x target)")


if __name__ == "__main__":
    main()
