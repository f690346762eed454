"""A hang fails the test instead of stalling the suite: a SIGALRM-based time limit (POSIX)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the block when it runs past ``seconds``: a hang, not slowness."""

    def hung(*_args: object) -> None:
        raise TimeoutError(f"ran past {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
