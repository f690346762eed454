"""Running the user's command as a child: output passed through byte for byte, lines kept.

The child gets its own process group: a terminal's Ctrl-C reaches only mfu-advisor, which
forwards it to the whole group (trainer, DataLoader workers, torchrun's ranks). Its pipes
are read as soon as bytes arrive and written on unchanged; complete lines of both streams
go to the kept log in arrival order (docs/run.md).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from mfu_advisor.errors import UserError

#: Bytes read from a pipe at once.
READ_BYTES = 64 * 1024

#: After a forwarded signal, how long the child gets to stop before SIGTERM, then SIGKILL.
GRACE_S = 10.0
KILL_AFTER_S = 5.0

#: How long output is still drained after the child exited (a grandchild may hold the pipe).
DRAIN_S = 1.0


@dataclass(frozen=True)
class ChildOutcome:
    """How the child ended (watch/result.py's JobResult says what each field holds)."""

    exit_code: int
    wall_s: float
    """Seconds from start to exit."""
    signal_name: str | None
    interrupted_by: str | None
    stdout_bytes: int
    stderr_bytes: int
    lines: int


class LineKeeper:
    """Cuts each stream into complete lines and hands them on in arrival order."""

    def __init__(self, sink: Callable[[bytes], object]) -> None:
        self._sink = sink
        self._partial: dict[int, bytearray] = {}
        self.lines = 0

    def feed(self, stream: int, data: bytes) -> None:
        """Add ``data`` read from ``stream`` (1 or 2); complete lines go to the sink at once."""
        pending = self._partial.setdefault(stream, bytearray())
        end = data.rfind(b"\n")
        if end < 0:
            pending += data
            return
        pending += data[: end + 1]
        self.lines += pending.count(b"\n")
        self._sink(bytes(pending))
        pending[:] = data[end + 1 :]

    def close(self) -> None:
        """Hand on what is left of each stream (a last line without a newline)."""
        for pending in self._partial.values():
            if pending:
                self.lines += 1
                self._sink(bytes(pending) + b"\n")
                pending.clear()


def _write_all(fd: int, data: bytes) -> bool:
    """Write every byte to ``fd``; False once the reader has gone (EPIPE), so writing stops."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            time.sleep(0.001)
        except OSError:
            return False
    return True


class ChildRun:
    """One run of the user's command; :meth:`wait` pumps its output until it ends.

    ``on_tick`` is called at least every ``tick_s`` seconds while the child runs (the sampler
    and the status line hang there); ``before_output(fd)`` and ``after_output(fd, data)``
    frame every pass-through write (the status line is erased, then redrawn).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        keep: Callable[[bytes], object],
        tick_s: float,
        on_tick: Callable[[], None] = lambda: None,
        before_output: Callable[[int], None] = lambda fd: None,
        after_output: Callable[[int, bytes], None] = lambda fd, data: None,
        stdout_fd: int | None = None,
        stderr_fd: int | None = None,
    ) -> None:
        self.argv = list(argv)
        self.keeper = LineKeeper(keep)
        self.tick_s = tick_s
        self.on_tick = on_tick
        self.before_output = before_output
        self.after_output = after_output
        self.out_fds = {
            1: sys.stdout.fileno() if stdout_fd is None else stdout_fd,
            2: sys.stderr.fileno() if stderr_fd is None else stderr_fd,
        }
        self.counts = {1: 0, 2: 0}
        self.interrupted_by: str | None = None
        self._signals = 0
        self._escalation: list[tuple[float, int]] = []  # (when, signal) still to send
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> int:
        """Start the child in a process group of its own; its pid."""
        stdin: int | BinaryIO | None = None
        with contextlib.suppress(OSError, ValueError):
            # A background process group reading the terminal would be stopped (SIGTTIN).
            if os.isatty(sys.stdin.fileno()):
                stdin = subprocess.DEVNULL
        # Python children flush each print even into a pipe, unless the user chose otherwise.
        env = {"PYTHONUNBUFFERED": "1", **os.environ}
        try:
            self.process = subprocess.Popen(
                self.argv,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                process_group=0,
                bufsize=0,
            )
        except OSError as exc:
            why = {FileNotFoundError: "no such command", PermissionError: "permission denied"}
            reason = why.get(type(exc)) or exc.strerror or exc
            raise UserError(f"cannot run {self.argv[0]!r}: {reason}") from None
        self.started = time.monotonic()
        return self.process.pid

    def forward(self, signum: int) -> None:
        """Pass a signal this process received on to the child's whole group."""
        self._signals += 1
        if self.interrupted_by is None:
            self.interrupted_by = signal.Signals(signum).name
            now = time.monotonic()
            self._escalation = [
                (now + GRACE_S, signal.SIGTERM),
                (now + GRACE_S + KILL_AFTER_S, signal.SIGKILL),
            ]
        # A second Ctrl-C means "now": the group is killed at once.
        self._kill_group(signal.SIGKILL if self._signals > 1 else signum)

    def _kill_group(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def _tick(self) -> None:
        """Sample, and escalate to SIGTERM after GRACE_S, SIGKILL KILL_AFTER_S later."""
        self.on_tick()
        if self._escalation and time.monotonic() > self._escalation[0][0]:
            self._kill_group(self._escalation.pop(0)[1])

    def _pass_through(self, stream: int, data: bytes) -> None:
        self.counts[stream] += len(data)
        self.keeper.feed(stream, data)
        fd = self.out_fds[stream]
        if fd >= 0:
            self.before_output(fd)
            if not _write_all(fd, data):
                self.out_fds[stream] = -1  # the reader has gone: stop writing there
            self.after_output(fd, data)

    def wait(self) -> ChildOutcome:
        """Pump the child's output until it has exited and its pipes are drained."""
        process = self.process
        assert process is not None and process.stdout is not None and process.stderr is not None
        next_tick = time.monotonic()
        exited_at: float | None = None
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ, 1)
            selector.register(process.stderr, selectors.EVENT_READ, 2)
            while selector.get_map():
                now = time.monotonic()
                if now >= next_tick:
                    self._tick()
                    next_tick = now + self.tick_s
                if exited_at is None and process.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at > DRAIN_S:
                    break  # a grandchild still holds the pipe: stop reading it
                timeout = max(0.0, min(next_tick - now, 0.1 if exited_at else self.tick_s))
                for key, _ in selector.select(timeout):
                    try:
                        data = os.read(key.fd, READ_BYTES)
                    except OSError:
                        data = b""
                    if data:
                        self._pass_through(key.data, data)
                    else:
                        selector.unregister(key.fileobj)
            while process.poll() is None:
                # The pipes closed but the child runs on: keep sampling until it exits.
                self._tick()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=self.tick_s)
        for pipe in (process.stdout, process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
        self.keeper.close()
        if self.interrupted_by is not None:
            self._kill_group(signal.SIGKILL)  # no process of the job outlives an interrupt
        code = process.returncode
        return ChildOutcome(
            exit_code=128 - code if code < 0 else code,
            wall_s=time.monotonic() - self.started,
            signal_name=signal.Signals(-code).name if code < 0 else None,
            interrupted_by=self.interrupted_by,
            stdout_bytes=self.counts[1],
            stderr_bytes=self.counts[2],
            lines=self.keeper.lines,
        )


@contextlib.contextmanager
def forwarding_signals(run: ChildRun) -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP sent to mfu-advisor go to the child's group."""
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or no such signal
            previous[signum] = signal.signal(signum, lambda s, _frame: run.forward(s))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
