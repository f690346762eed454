"""``python -m mfu_advisor.bench [options] --json``: ``mfu-advisor bench`` in its own process
(how the experiments run each variant)."""

from __future__ import annotations

import sys

from mfu_advisor.cli import main

if __name__ == "__main__":
    main(["bench", *sys.argv[1:]])
