"""One bench in its own process group, bounded in time: a timeout sends SIGINT (the bench
reports what it measured), then SIGKILL; a crash, hang or garbage comes back as ``failure``."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from mfu_advisor import ENVELOPE_KEYS
from mfu_advisor.bench.result import BenchResult
from mfu_advisor.facts import LoadError, known

#: The command that runs one bench: this Python, the bench's module entry point.
BENCH_COMMAND: tuple[str, ...] = (sys.executable, "-m", "mfu_advisor.bench")

#: Seconds a process gets after SIGINT to print what it measured before SIGKILL.
GRACE_S = 3.0

#: Lines of stderr kept to explain a failure.
_STDERR_TAIL = 40


@dataclass(frozen=True)
class BenchProcessResult:
    """What one bench process gave back."""

    payload: dict[str, Any] | None
    """The bench payload (the JSON document minus its envelope), when one came back."""
    failure: str | None
    """Why there is no usable measurement: one line; None when the run measured."""
    elapsed_s: float
    exit_code: int | None
    """The process's exit status; negative for a signal (as subprocess reports it)."""
    timed_out: bool
    last_phase: str = ""
    """The last progress line the bench wrote on stderr ("bench: measuring: ...")."""
    stderr_tail: tuple[str, ...] = field(default=())
    bench: BenchResult | None = field(default=None, compare=False)
    """``payload`` read by the typed loader (done here when not given)."""

    def __post_init__(self) -> None:
        if self.bench is None and self.payload is not None:
            object.__setattr__(self, "bench", BenchResult.from_json(self.payload))


def run_bench_process(
    args: Sequence[str],
    *,
    timeout_s: float,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = BENCH_COMMAND,
    on_line: Callable[[str], None] | None = None,
    grace_s: float = GRACE_S,
) -> BenchProcessResult:
    """Run ``command + args`` (which must print one bench JSON document) within ``timeout_s``.

    ``on_line`` receives each stderr line as it arrives (the bench's progress).
    KeyboardInterrupt ends the process group and propagates.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    stdout: list[bytes] = []
    stderr: list[str] = []
    readers = [
        threading.Thread(target=_read_all, args=(process.stdout, stdout), daemon=True),
        threading.Thread(target=_read_lines, args=(process.stderr, stderr, on_line), daemon=True),
    ]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        try:
            process.wait(timeout=max(0.0, timeout_s))
        except subprocess.TimeoutExpired:
            timed_out = True
            _signal_group(process, signal.SIGINT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=grace_s)
    finally:
        # Whatever the bench started in its group (compile workers) goes with it.
        _signal_group(process, signal.SIGKILL)
        process.wait()
        for reader in readers:
            reader.join(timeout=5.0)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    elapsed = time.perf_counter() - started
    payload, bench, garbage = _parse(b"".join(stdout).decode("utf-8", errors="replace"))
    phases = [line for line in stderr if line.startswith("bench: ") and "interrupted" not in line]
    result = BenchProcessResult(
        payload=payload,
        bench=bench,
        failure=None,
        elapsed_s=elapsed,
        exit_code=process.returncode,
        timed_out=timed_out,
        last_phase=phases[-1] if phases else "",  # before any reaction to our SIGINT
        stderr_tail=tuple(stderr),
    )
    if bench is not None and known(bench.tokens_per_s):
        return result
    return dataclasses.replace(result, failure=_failure(result, garbage, timeout_s))


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to the process's whole group; quietly nothing if it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _read_all(stream: IO[bytes] | None, sink: list[bytes]) -> None:
    if stream is not None:
        sink.extend(iter(lambda: stream.read(65536), b""))


def _read_lines(
    stream: IO[bytes] | None, sink: list[str], on_line: Callable[[str], None] | None
) -> None:
    if stream is None:
        return
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip()
        sink.append(line)
        if len(sink) > _STDERR_TAIL:
            del sink[0]
        if on_line is not None and line:
            # A progress display must never break the measurement.
            with contextlib.suppress(Exception):
                on_line(line)


def _parse(stdout: str) -> tuple[dict[str, Any] | None, BenchResult | None, str | None]:
    """(payload, its typed result, None) for a bench JSON document, else (None, None, what
    was wrong)."""
    text = stdout.strip()
    if not text:
        return None, None, "nothing on stdout"
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return None, None, f"not JSON: {text[:60]!r}"
    if not isinstance(doc, dict) or doc.get("command") != "bench":
        return None, None, "a JSON document that is not a bench result"
    payload = {k: v for k, v in doc.items() if k not in ENVELOPE_KEYS}
    try:
        return payload, BenchResult.from_json(payload), None
    except LoadError as exc:
        return None, None, f"a bench result this version cannot read ({exc})"


def _failure(result: BenchProcessResult, garbage: str | None, timeout_s: float) -> str:
    """Why a process that measured no tokens/s gave no measurement, in one line."""
    phase, stderr, code = result.last_phase, result.stderr_tail, result.exit_code
    if result.timed_out:
        if "warm-up" in phase:
            what = "compiling" if "compiles" in phase else "warming up"
            return f"did not finish its warm-up ({what}) within {timeout_s:.0f} s"
        if "measuring" in phase:
            return f"measured no step within {timeout_s:.0f} s"
        return f"did not finish within {timeout_s:.0f} s (last: {phase or 'starting'})"
    # The most telling line of stderr: "Error: ..." if there is one, else the last line.
    errors = [line.removeprefix("Error:").strip() for line in stderr if line.startswith("Error:")]
    error = errors[-1] if errors else next((x.strip() for x in reversed(stderr) if x.strip()), "")
    if "out of memory" in "\n".join(stderr).lower():
        return f"out of memory: {error}" if error else "out of memory"
    if code is not None and code < 0:
        name = next((s.name for s in signal.Signals if s == -code), f"signal {-code}")
        oom = " (the kernel's out-of-memory killer, most likely)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{oom}"
    if code not in (0, None):
        return f"exited with code {code}: {error}" if error else f"exited with code {code}"
    if garbage is not None:
        return f"printed output that is not a bench result ({garbage})"
    return "finished without measuring a step"
