"""``python -m mfu_advisor.bench [options] --json``: ``mfu-advisor bench`` in its own process
(how the experiments run each variant)."""

from __future__ import annotations

import sys

from mfu_advisor.cli import main


def run() -> None:
    """Run ``mfu-advisor bench`` with this process's arguments."""
    main(["bench", *sys.argv[1:]])


if __name__ == "__main__":
    run()
