"""A stand-in for ``python -m mfu_advisor.bench``: behaves as told by its first argument.

Used by tests/experiments/test_runner.py to show that a variant that crashes,
runs out of memory, hangs or prints garbage is recorded as failed with its
reason, and that no process is left behind.

Modes: ok, crash, oom, garbage, killed, hang (SIGINT ends it), stubborn (ignores
SIGINT), interrupt-reports (on SIGINT prints what it measured, as the bench does).
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

RECORDED = Path(__file__).with_name("bench_cpu_small_zen3.json")


def _result(tokens_per_s: float) -> str:
    doc = json.loads(RECORDED.read_text())
    doc["tokens_per_s"] = tokens_per_s
    return json.dumps(doc)


def _spawn_grandchild() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    print(f"grandchild-pid {child.pid}", file=sys.stderr, flush=True)


def main() -> None:
    mode = sys.argv[1]
    print("bench: cpu-small: fake", file=sys.stderr, flush=True)
    if mode == "ok":
        print("bench: measuring: up to 3 s", file=sys.stderr, flush=True)
        print(_result(float(os.environ.get("FAKE_TOKENS_PER_S", "15000"))))
    elif mode == "crash":
        print("Traceback (most recent call last):", file=sys.stderr)
        print("RuntimeError: a kernel fell over", file=sys.stderr)
        sys.exit(1)
    elif mode == "oom":
        print(
            "Error: out of memory on cuda:0 with batch_size 48 x block_size 1024; "
            "try --batch_size=24",
            file=sys.stderr,
        )
        sys.exit(2)
    elif mode == "garbage":
        print("hello, this is not JSON")
    elif mode == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode in ("hang", "stubborn"):
        if mode == "stubborn":
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        print("bench: warm-up: 3 steps (the first compiles)", file=sys.stderr, flush=True)
        _spawn_grandchild()
        try:
            time.sleep(300)
        except KeyboardInterrupt:
            # As the bench does: report what was measured (nothing, in warm-up) and exit 130.
            print("bench: interrupted: reporting what was measured so far", file=sys.stderr)
            doc = json.loads(_result(1.0))
            doc["tokens_per_s"] = None
            print(json.dumps(doc))
            sys.exit(130)
    elif mode == "interrupt-reports":
        # The report is built before "measuring" is announced, so that a loaded machine cannot
        # push its printing past the runner's grace period after SIGINT.
        report = _result(9000.0)
        print("bench: measuring: up to 300 s", file=sys.stderr, flush=True)
        try:
            time.sleep(300)
        except KeyboardInterrupt:
            print(report, flush=True)
            sys.exit(130)


if __name__ == "__main__":
    main()
