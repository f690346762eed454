"""Is the bench honest? Its tokens/s against a plain hand-written training loop.

Both train nanoGPT's README CPU config (cpu-small: 4 layers, 4 heads, n_embd
128, block 64, batch 12, vocab 65, float32) in this process. The reference
loop below is written independently of mfu_advisor/bench/model.py: the few
lines a user would write (AdamW, gradient clipping as nanoGPT, random windows
of a token stream). Two comparisons, both interleaved so that machine noise
hits both alike:

1. whole runs: ``run_bench`` (its timer, meter and stopping rule included)
   against the reference loop for the same seconds, rounds alternating which
   goes first;
2. step by step: the bench's training step against the reference step,
   alternating every step, which cancels load that changes over seconds.

Target (issue 3): the bench within +-10% of the reference.

Usage: python benchmarks/bench_vs_reference_loop.py [--rounds 4] [--budget 6] [--steps 150]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn
from torch.nn import functional as F

from mfu_advisor.bench.devices import resolve_device
from mfu_advisor.bench.options import BenchOptions
from mfu_advisor.bench.resolve import resolve_options
from mfu_advisor.bench.run import run_bench
from mfu_advisor.bench.training import build_training

LAYERS, HEADS, WIDTH, BLOCK, BATCH, VOCAB = 4, 4, 128, 64, 12, 65
TOKENS_PER_STEP = BATCH * BLOCK


class ReferenceBlock(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(WIDTH, bias=False)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH, bias=False)
        self.proj = nn.Linear(WIDTH, WIDTH, bias=False)
        self.ln2 = nn.LayerNorm(WIDTH, bias=False)
        self.up = nn.Linear(WIDTH, 4 * WIDTH, bias=False)
        self.down = nn.Linear(4 * WIDTH, WIDTH, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, HEADS, c // HEADS).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class ReferenceGpt(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.wte = nn.Embedding(VOCAB, WIDTH)
        self.wpe = nn.Embedding(BLOCK, WIDTH)
        self.blocks = nn.Sequential(*[ReferenceBlock() for _ in range(LAYERS)])
        self.ln_f = nn.LayerNorm(WIDTH, bias=False)
        self.head = nn.Linear(WIDTH, VOCAB, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, idx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        logits = self.head(self.ln_f(self.blocks(x)))
        return F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))


def reference_step() -> Callable[[], None]:
    """One step of the plain loop, with its own model, optimizer and data."""
    torch.manual_seed(0)
    model = ReferenceGpt()
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95))
    data = torch.randint(0, VOCAB, (1 << 20,))

    def step() -> None:
        starts = torch.randint(len(data) - BLOCK - 1, (BATCH,))
        x = torch.stack([data[s : s + BLOCK] for s in starts])
        y = torch.stack([data[s + 1 : s + 1 + BLOCK] for s in starts])
        model(x, y).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def reference_loop(seconds: float, warmup: int = 3) -> tuple[float, float]:
    """(tokens/s at the median step, tokens/s over the whole timed span) of the plain loop."""
    step = reference_step()
    for _ in range(warmup):
        step()
    durations: list[float] = []
    begin = time.perf_counter()
    while time.perf_counter() - begin < seconds:
        start = time.perf_counter()
        step()
        durations.append(time.perf_counter() - start)
    total = time.perf_counter() - begin
    return TOKENS_PER_STEP / statistics.median(durations), TOKENS_PER_STEP * len(durations) / total


def whole_runs(rounds: int, seconds: float) -> float:
    """Comparison 1; returns the median ratio bench / reference."""
    options = BenchOptions(
        preset="cpu-small", device="cpu", budget_s=seconds, min_steps=10**9, roofline=False
    )
    ratios: list[float] = []
    for number in range(1, rounds + 1):
        # Alternate which goes first, so that neither always runs on a machine the
        # other has just warmed up (or heated up).
        if number % 2:
            result = run_bench(options)
            ref_median, ref_overall = reference_loop(seconds)
        else:
            ref_median, ref_overall = reference_loop(seconds)
            result = run_bench(options)
        bench_tps = float(result.tokens_per_s)  # type: ignore[arg-type]
        ratios.append(bench_tps / ref_median)
        print(
            f"  round {number}: bench {bench_tps:,.0f} tokens/s "
            f"(median step {result.step_time_ms.median:.1f} ms, "  # type: ignore[union-attr]
            f"{float(result.achieved_flops) / 1e9:.1f} GFLOP/s); "  # type: ignore[arg-type]
            f"reference {ref_median:,.0f} tokens/s at the median step, "
            f"{ref_overall:,.0f} over the whole span; ratio {ratios[-1]:.3f}",
            flush=True,
        )
    return statistics.median(ratios)


def step_by_step(steps: int) -> float:
    """Comparison 2; returns the ratio of median step times reference / bench."""
    cpu = resolve_device("cpu")
    options = resolve_options(BenchOptions(preset="cpu-small"), cpu, bf16_supported=True).options
    training, _, _ = build_training(options, cpu, None)
    variants = {"bench": lambda: float(training.step()), "reference": reference_step()}
    for run in variants.values():
        for _ in range(3):
            run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for number in range(steps):
        order = list(variants) if number % 2 == 0 else list(reversed(variants))
        for name in order:
            start = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - start)
    bench_ms = statistics.median(times["bench"]) * 1e3
    reference_ms = statistics.median(times["reference"]) * 1e3
    print(f"  bench step {bench_ms:.2f} ms, reference step {reference_ms:.2f} ms (medians)")
    return reference_ms / bench_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--budget", type=float, default=6.0, help="seconds per whole run")
    parser.add_argument("--steps", type=int, default=150, help="steps of each, step by step")
    args = parser.parse_args()
    print(f"cpu-small, {torch.get_num_threads()} threads", flush=True)
    print(f"1. whole runs, {args.budget:g} s each:", flush=True)
    runs = whole_runs(args.rounds, args.budget)
    print(f"2. step by step, {args.steps} steps each:", flush=True)
    steps = step_by_step(args.steps)
    for label, ratio in (("whole runs", runs), ("step by step", steps)):
        verdict = "within" if abs(ratio - 1) <= 0.10 else "OUTSIDE"
        print(f"{label}: bench/reference tokens/s {ratio:.3f} ({verdict} the +-10% target)")


if __name__ == "__main__":
    main()
