"""``python -m mfu_advisor.bench [options] --json``: one bench run in its own process.

The what-if experiments run variants this way, each in a subprocess with its
own environment variables and CPU affinity. It takes the options of
``mfu-advisor bench`` and behaves the same: with ``--json`` exactly one JSON
document on stdout, progress on stderr, exit codes 0, 1, 2 and 130.
"""

from __future__ import annotations

import sys

from mfu_advisor.cli import main


def run() -> None:
    """Run ``mfu-advisor bench`` with this process's arguments."""
    main(["bench", *sys.argv[1:]])


if __name__ == "__main__":
    run()
