"""Running the user's command as a child: output passed through byte for byte, lines kept.

The child gets its own process group (so a terminal's Ctrl-C reaches only
mfu-advisor, which forwards it to the whole group: the trainer, its DataLoader
workers, torchrun's ranks). Its stdout and stderr are pipes read with
``os.read`` as soon as bytes arrive and written unchanged to this process's
stdout and stderr with ``os.write``: nothing is buffered on the way, so a line
appears as soon as the child flushes it. Python children are started with
``PYTHONUNBUFFERED=1`` (unless the user set it) so that their own ``print``
buffering does not hold lines back when their output is a pipe.

Complete lines of both streams go to the kept log in the order they arrived; a
partial line waits for its end, so a stdout fragment never splits a stderr line.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
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

#: Signals forwarded to the child's group; the exit code after one is 128 + its number.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class ChildOutcome:
    """How the child ended."""

    exit_code: int
    """The child's exit code; 128 + N when signal N ended it (the shell's convention)."""
    wall_s: float
    """Seconds from start to exit."""
    signal_name: str | None
    """The signal that ended the child ("SIGINT"), None when it exited by itself."""
    interrupted_by: str | None
    """The signal mfu-advisor received and forwarded ("SIGINT", "SIGTERM"), else None."""
    stdout_bytes: int
    stderr_bytes: int
    lines: int
    """Complete lines kept (both streams)."""


class LineKeeper:
    """Cuts each stream into complete lines and hands them on in arrival order."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
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
        pending.clear()
        pending += data[end + 1 :]

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
            written = os.write(fd, view)
        except BlockingIOError:
            time.sleep(0.001)
            continue
        except (BrokenPipeError, OSError):
            return False
        view = view[written:]
    return True


def child_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ours, with PYTHONUNBUFFERED=1 unless the user set it."""
    env = dict(os.environ if base is None else base)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class ChildRun:
    """One run of the user's command; :meth:`wait` pumps its output until it ends.

    ``on_tick`` is called at least every ``tick_s`` seconds while the child runs
    (the sampler and the status line hang there); ``before_output`` and
    ``after_output`` frame every pass-through write (the status line is erased
    before and redrawn after).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        keep: Callable[[bytes], None],
        tick_s: float,
        on_tick: Callable[[], None] = lambda: None,
        before_output: Callable[[int], None] = lambda fd: None,
        after_output: Callable[[int, bytes], None] = lambda fd, data: None,
        stdout_fd: int | None = None,
        stderr_fd: int | None = None,
    ) -> None:
        if not argv:
            raise UserError("run needs a command after --, e.g. mfu-advisor run -- python train.py")
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
        self._open_outputs = {1: True, 2: True}
        self.interrupted_by: str | None = None
        self._signal_count = 0
        self._signalled_at: float | None = None
        self._escalated = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.counts = {1: 0, 2: 0}

    # -- start ---------------------------------------------------------------------------

    def start(self) -> int:
        """Start the child in a process group of its own; its pid."""
        stdin: int | BinaryIO | None = None
        with contextlib.suppress(OSError, ValueError):
            # A background process group reading the terminal would be stopped (SIGTTIN).
            if os.isatty(sys.stdin.fileno()):
                stdin = subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                self.argv,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=child_environment(),
                process_group=0,
                bufsize=0,
            )
        except FileNotFoundError:
            raise UserError(f"cannot run {self.argv[0]!r}: no such command") from None
        except PermissionError:
            raise UserError(f"cannot run {self.argv[0]!r}: permission denied") from None
        except OSError as exc:
            raise UserError(f"cannot run {self.argv[0]!r}: {exc.strerror or exc}") from None
        self.started = time.monotonic()
        return self.process.pid

    # -- signals -------------------------------------------------------------------------

    def forward(self, signum: int) -> None:
        """Pass a signal this process received on to the child's whole group."""
        name = signal.Signals(signum).name
        self._signal_count += 1
        if self.interrupted_by is None:
            self.interrupted_by = name
            self._signalled_at = time.monotonic()
        # A second Ctrl-C means "now": the group is killed at once.
        self._kill_group(signal.SIGKILL if self._signal_count > 1 else signum)

    def _kill_group(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def _escalate(self) -> None:
        """SIGTERM after GRACE_S, SIGKILL KILL_AFTER_S later, when the child ignores the signal."""
        if self._signalled_at is None:
            return
        waited = time.monotonic() - self._signalled_at
        if self._escalated == 0 and waited > GRACE_S:
            self._escalated = 1
            self._kill_group(signal.SIGTERM)
        elif self._escalated == 1 and waited > GRACE_S + KILL_AFTER_S:
            self._escalated = 2
            self._kill_group(signal.SIGKILL)

    # -- pumping -------------------------------------------------------------------------

    def _pass_through(self, stream: int, data: bytes) -> None:
        self.counts[stream] += len(data)
        self.keeper.feed(stream, data)
        if not self._open_outputs[stream]:
            return
        fd = self.out_fds[stream]
        self.before_output(fd)
        self._open_outputs[stream] = _write_all(fd, data)
        self.after_output(fd, data)

    def wait(self) -> ChildOutcome:
        """Pump the child's output until it has exited and its pipes are drained."""
        process = self.process
        assert process is not None and process.stdout is not None and process.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ, 1)
        selector.register(process.stderr, selectors.EVENT_READ, 2)
        next_tick = time.monotonic()
        exited_at: float | None = None
        with selector:
            while selector.get_map():
                now = time.monotonic()
                if now >= next_tick:
                    self.on_tick()
                    next_tick = now + self.tick_s
                    self._escalate()
                if exited_at is None and process.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at > DRAIN_S:
                    break  # a grandchild still holds the pipe: stop reading it
                timeout = max(0.0, min(next_tick - now, 0.1 if exited_at else self.tick_s))
                for key, _ in selector.select(timeout):
                    stream: int = key.data
                    try:
                        data = os.read(key.fd, READ_BYTES)
                    except OSError:
                        data = b""
                    if not data:
                        selector.unregister(key.fileobj)
                        continue
                    self._pass_through(stream, data)
            while process.poll() is None:
                # The pipes closed but the child runs on: keep sampling until it exits.
                self.on_tick()
                self._escalate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=self.tick_s)
        for pipe in (process.stdout, process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
        self.keeper.close()
        if self.interrupted_by is not None:
            self._kill_group(signal.SIGKILL)  # no process of the job outlives an interrupt
        code = process.returncode
        signal_name = signal.Signals(-code).name if code < 0 else None
        return ChildOutcome(
            exit_code=128 - code if code < 0 else code,
            wall_s=time.monotonic() - self.started,
            signal_name=signal_name,
            interrupted_by=self.interrupted_by,
            stdout_bytes=self.counts[1],
            stderr_bytes=self.counts[2],
            lines=self.keeper.lines,
        )


@contextlib.contextmanager
def forwarding_signals(run: ChildRun):  # type: ignore[no-untyped-def]
    """While inside, SIGINT, SIGTERM and SIGHUP sent to mfu-advisor go to the child's group."""
    previous = {}
    for signum in FORWARDED:
        with contextlib.suppress(ValueError, OSError):  # not the main thread, or no such signal
            previous[signum] = signal.signal(signum, lambda s, _frame: run.forward(s))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
