"""What ``mfu-advisor run`` costs the job it watches: the same training script alone and under run.

A small real training script (a 4-layer GPT-like model in plain PyTorch on the
CPU, printing nanoGPT's log lines) runs alone and under ``mfu-advisor run``,
interleaved A B B A so that drift on a shared machine hits both arms alike.
Each arm's steady step time is the median of the step times the script prints
itself (after its first 10 steps); the ratio run/alone is the overhead.

    python benchmarks/run_overhead.py [--rounds 3] [--steps 300]

Target (issue 15): the step time under run within 3% of alone.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

#: The user's script: nanoGPT's printed lines, a tiny causal transformer, AdamW, CPU.
TRAIN = """\
import sys, time, torch
torch.manual_seed(0)
steps = int(sys.argv[1]); batch, block, layers, heads, embd, vocab = 12, 64, 4, 4, 128, 96
for name, value in (("device", "cpu"), ("compile", False), ("batch_size", batch),
                    ("block_size", block), ("n_layer", layers), ("n_head", heads),
                    ("n_embd", embd)):
    print(f"Overriding: {name} = {value}")
print(f"tokens per iteration will be: {batch * block:,}")
layer = torch.nn.TransformerEncoderLayer(embd, heads, 4 * embd, dropout=0.0, batch_first=True,
                                         norm_first=True)
body = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
embed, head = torch.nn.Embedding(vocab, embd), torch.nn.Linear(embd, vocab)
params = [*body.parameters(), *embed.parameters(), *head.parameters()]
print(f"number of parameters: {sum(p.numel() for p in params) / 1e6:.2f}M")
opt = torch.optim.AdamW(params, lr=1e-3)
mask = torch.nn.Transformer.generate_square_subsequent_mask(block)
data = torch.randint(0, vocab, (100_000,))
t0 = time.time()
for i in range(steps):
    ix = torch.randint(0, len(data) - block - 1, (batch,))
    x = torch.stack([data[j:j + block] for j in ix])
    y = torch.stack([data[j + 1:j + 1 + block] for j in ix])
    logits = head(body(embed(x), mask=mask, is_causal=True))
    loss = torch.nn.functional.cross_entropy(logits.view(-1, vocab), y.view(-1))
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    t1 = time.time(); dt = t1 - t0; t0 = t1
    print(f"iter {i}: loss {loss.item():.4f}, time {dt * 1000:.2f}ms, mfu -100.00%")
"""


def printed_steady_ms(stdout: str, skip: int = 10) -> float:
    times = [
        float(line.split("time ")[1].split("ms")[0])
        for line in stdout.splitlines()
        if line.startswith("iter ")
    ]
    return statistics.median(times[skip:])


def one(argv: list[str], folder: Path) -> float:
    done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed: {done.stderr[-500:]}")
    return printed_steady_ms(done.stdout)


def sampler_cost(samples: int = 200) -> float:
    """CPU seconds one hardware sample costs this process (psutil, NVML when present)."""
    import time

    from mfu_advisor.probe.nvml_live import open_nvml
    from mfu_advisor.watch.sampler import HardwareSampler

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        sampler = HardwareSampler(child.pid, open_nvml(), time.monotonic())
        started = time.process_time()
        for _ in range(samples):
            sampler.sample()
        cost = (time.process_time() - started) / samples
        sampler.close()
    finally:
        child.kill()
        child.wait()
    return cost


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    cost = sampler_cost()
    print(
        f"one sample: {cost * 1000:.2f} ms of CPU; at the default 0.5 s interval "
        f"{cost / 0.5 * 100:.2f}% of one core (target < 1%)",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        script = folder / "train.py"
        script.write_text(TRAIN)
        alone_cmd = [sys.executable, str(script), str(args.steps)]
        watched_cmd = [
            sys.executable,
            "-m",
            "mfu_advisor",
            "run",
            "--output",
            "r.json",
            "--",
            *alone_cmd,
        ]
        alone: list[float] = []
        watched: list[float] = []
        for round_ in range(args.rounds):
            order = (
                ("alone", "run", "run", "alone")
                if round_ % 2 == 0
                else ("run", "alone", "alone", "run")
            )
            for arm in order:
                if arm == "alone":
                    alone.append(one(alone_cmd, folder))
                else:
                    watched.append(one(watched_cmd, folder))
            print(
                f"round {round_ + 1}: alone {statistics.median(alone):.2f} ms, "
                f"under run {statistics.median(watched):.2f} ms",
                flush=True,
            )
    a, w = statistics.median(alone), statistics.median(watched)
    for name, value, runs in (("alone", a, alone), ("under run", w, watched)):
        each = ", ".join(f"{x:.2f}" for x in runs)
        print(f"{name:<10}: {value:.2f} ms/step (median of {len(runs)} runs: {each})")
    print(f"ratio run/alone: {w / a:.3f} (target <= 1.03)")


if __name__ == "__main__":
    main()
