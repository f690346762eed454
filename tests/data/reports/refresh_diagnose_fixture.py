"""Renew the parts of the recorded diagnose result whose shape follows the code.

``tests/data/reports/diagnose_cpu_small.json`` tells a fixed story (experiments,
findings, verdict, and the baseline numbers of an idle run on the project's
2-core Zen 3 KVM guest) that the report tests and goldens read. When a command's
JSON gains fields, this script renews, on that kind of machine:

- ``hardware``: ``mfu-advisor probe --json`` (host name replaced by ``train-box-07``);
- ``analysis``: ``mfu-advisor analyze tests/data/logs/nanogpt_cpu_300.log --hardware local``;
- ``noise``: fields the diagnose payload has gained, with quiet-machine values.

Then regenerate the goldens and review both diffs::

    python tests/data/reports/refresh_diagnose_fixture.py [--parts hardware,analysis,noise]
    MFU_ADVISOR_UPDATE_GOLDENS=1 python -m pytest tests/report/test_report_goldens.py
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "data" / "reports" / "diagnose_cpu_small.json"
LOG = "tests/data/logs/nanogpt_cpu_300.log"
ENVELOPE = ("schema_version", "command", "tool", "created_at")
HOST = "train-box-07"

#: Noise fields a newer diagnose reports, with the values of a quiet machine.
QUIET_NOISE = {"other_cpu_share": 0.04, "other_cpu_share_max": 0.06}


def command_json(*args: str) -> dict[str, Any]:
    """A command's ``--json`` payload, without the envelope."""
    done = subprocess.run(
        [sys.executable, "-m", "mfu_advisor", *args, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: v for k, v in json.loads(done.stdout).items() if k not in ENVELOPE}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="hardware,analysis,noise")
    parts = set(parser.parse_args().parts.split(","))
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    if "hardware" in parts:
        hardware = command_json("probe")
        hardware["host"]["hostname"] = HOST
        doc["hardware"] = hardware
    if "analysis" in parts:
        doc["analysis"] = command_json("analyze", LOG, "--hardware", "local")
    if "noise" in parts and isinstance(doc.get("noise"), dict):
        doc["noise"] = {**QUIET_NOISE, **doc["noise"]}
    FIXTURE.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(f"wrote {FIXTURE.relative_to(ROOT)}; now regenerate the goldens", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
