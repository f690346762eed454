"""Small stand-ins for a user's training script, written to a file and run as real processes.

``nanogpt_like`` prints what nanoGPT's train.py prints on a CPU (the
configuration overrides, ``tokens per iteration will be``, one ``iter N: loss
..., time ...ms, mfu ...%`` line per step) and spends each step in a busy loop of
the given length, so step times are real; it measures and prints them the way
train.py does (the time between two consecutive log points).
"""

from __future__ import annotations

from pathlib import Path

NANOGPT_LIKE = """\
import sys, time
steps = int(sys.argv[1]); step_ms = float(sys.argv[2]); code = int(sys.argv[3])
for line in ("Overriding: device = cpu", "Overriding: compile = False",
             "Overriding: block_size = 64", "Overriding: batch_size = 12",
             "Overriding: n_layer = 4", "Overriding: n_head = 4", "Overriding: n_embd = 128",
             "tokens per iteration will be: 768", "number of parameters: 0.80M"):
    print(line)
t0 = time.time()
for i in range(steps):
    start = time.time()
    while time.time() - start < step_ms / 1000:
        pass
    t1 = time.time()
    dt = t1 - t0
    t0 = t1
    print(f"iter {i}: loss {4.2 - i * 0.001:.4f}, time {dt * 1000:.2f}ms, mfu 0.01%")
print("training done", file=sys.stderr)
sys.exit(code)
"""

SILENT = "import time, sys\ntime.sleep(float(sys.argv[1]))\n"

#: Prints its pid (and a grandchild's), then trains forever: for the Ctrl-C tests.
FOREVER = """\
import os, subprocess, sys, time
kid = subprocess.Popen([sys.executable, "-c", "import time\\nwhile True: time.sleep(0.1)"])
print(f"pids {os.getpid()} {kid.pid}", flush=True)
i = 0
while True:
    start = time.time()
    while time.time() - start < 0.02:
        pass
    print(f"iter {i}: loss 4.2000, time 20.00ms, mfu 0.01%", flush=True)
    i += 1
"""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(source)
    return path
