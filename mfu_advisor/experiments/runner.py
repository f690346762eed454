"""Running one bench in its own process: ``python -m mfu_advisor.bench ... --json``.

Each run gets its own environment variables and CPU affinity, and a hard
wall-clock limit. The process starts in a new session (its own process
group), so that on a timeout, a Ctrl-C or any exit the whole group can be
ended: the bench and whatever it started (inductor's compile workers), with
no orphan left behind. A timeout first sends SIGINT, on which the bench
reports what it measured so far, then SIGKILL after a grace period.

Out of memory, a crash, a hang or output that is not a bench result come
back as a :class:`BenchProcessResult` with ``failure`` set, never as an
exception.
"""

from __future__ import annotations

import contextlib
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

from mfu_advisor.bench.result import BenchResult
from mfu_advisor.facts import LoadError, known

#: The command that runs one bench: this Python, the bench's module entry point.
BENCH_COMMAND: tuple[str, ...] = (sys.executable, "-m", "mfu_advisor.bench")

#: Seconds a process gets after SIGINT to print what it measured before SIGKILL.
GRACE_S = 3.0

#: Envelope keys of a JSON report (report/model.py), removed to get the payload.
_ENVELOPE = ("schema_version", "command", "tool", "created_at", "redacted")

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
    stdout_chunks: list[bytes] = []
    stderr_lines: list[str] = []
    readers = [
        threading.Thread(target=_read_all, args=(process.stdout, stdout_chunks), daemon=True),
        threading.Thread(
            target=_read_lines, args=(process.stderr, stderr_lines, on_line), daemon=True
        ),
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
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
    except BaseException:
        _signal_group(process, signal.SIGKILL)
        process.wait()
        raise
    finally:
        # Whatever the bench started in its group (compile workers) goes with it.
        _signal_group(process, signal.SIGKILL)
        for reader in readers:
            reader.join(timeout=5.0)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    elapsed = time.perf_counter() - started
    stdout = b"".join(stdout_chunks).decode("utf-8", errors="replace")
    return _interpret(process.returncode, stdout, stderr_lines, elapsed, timed_out, timeout_s)


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to the process's whole group; quietly nothing if it is gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def _read_all(stream: IO[bytes] | None, sink: list[bytes]) -> None:
    if stream is None:
        return
    for chunk in iter(lambda: stream.read(65536), b""):
        sink.append(chunk)


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


def _last_phase(lines: Sequence[str]) -> str:
    """The bench's last progress line before any reaction to our SIGINT."""
    phases = [line for line in lines if line.startswith("bench: ") and "interrupted" not in line]
    return phases[-1] if phases else ""


def _interpret(
    code: int | None,
    stdout: str,
    stderr: list[str],
    elapsed: float,
    timed_out: bool,
    timeout_s: float,
) -> BenchProcessResult:
    phase = _last_phase(stderr)
    tail = tuple(stderr)
    payload, bench, garbage = _parse(stdout)

    def result(failure: str | None) -> BenchProcessResult:
        return BenchProcessResult(
            payload=payload,
            bench=bench,
            failure=failure,
            elapsed_s=elapsed,
            exit_code=code,
            timed_out=timed_out,
            last_phase=phase,
            stderr_tail=tail,
        )

    if bench is not None and known(bench.tokens_per_s):
        return result(None)
    if timed_out:
        return result(_timeout_reason(phase, timeout_s))
    error = _error_line(stderr)
    if "out of memory" in "\n".join(stderr).lower():
        return result(f"out of memory: {error}" if error else "out of memory")
    if code is not None and code < 0:
        name = _signal_name(-code)
        oom = " (the kernel's out-of-memory killer, most likely)" if -code == signal.SIGKILL else ""
        return result(f"killed by {name}{oom}")
    if code not in (0, None):
        return result(f"exited with code {code}: {error}" if error else f"exited with code {code}")
    if garbage is not None:
        return result(f"printed output that is not a bench result ({garbage})")
    return result("finished without measuring a step")


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
    payload = {k: v for k, v in doc.items() if k not in _ENVELOPE}
    try:
        return payload, BenchResult.from_json(payload), None
    except LoadError as exc:
        return None, None, f"a bench result this version cannot read ({exc})"


def _error_line(stderr: Sequence[str]) -> str:
    """The most telling line of stderr: "Error: ..." if there is one, else the last line."""
    for line in reversed(stderr):
        if line.startswith("Error:"):
            return line.removeprefix("Error:").strip()
    for line in reversed(stderr):
        if line.strip():
            return line.strip()
    return ""


def _timeout_reason(phase: str, timeout_s: float) -> str:
    if "warm-up" in phase:
        what = "compiling" if "compiles" in phase else "warming up"
        return f"did not finish its warm-up ({what}) within {timeout_s:.0f} s"
    if "measuring" in phase:
        return f"measured no step within {timeout_s:.0f} s"
    return f"did not finish within {timeout_s:.0f} s (last: {phase or 'starting'})"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
