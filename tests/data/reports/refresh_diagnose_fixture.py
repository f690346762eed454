"""Record the diagnose result that the report tests and goldens render.

``tests/data/reports/diagnose_from_log_zen3.json`` is a real run of
``mfu-advisor diagnose --from-log tests/data/logs/nanogpt_cpu_300.log --json``,
verbatim except the host name (tests/data/reports/README.md). Renewing it
means recording a new real run, on an idle machine of the kind the README
names (every figure in it is then a measurement, never an edit)::

    python tests/data/reports/refresh_diagnose_fixture.py
    MFU_ADVISOR_UPDATE_GOLDENS=1 python -m pytest tests/report/test_report_goldens.py

then review both diffs, look at the HTML report, and update the README's
command, machine and date. The whole run takes about 70 s.

When only the shape of one part's JSON changed (a command gained fields) and
no new run is wanted, ``--parts`` renews those parts alone from this machine:
``hardware`` (``mfu-advisor probe --json``) and ``analysis`` (``mfu-advisor
analyze LOG --hardware local --json``, which depends on the log alone). The
README must then say which parts were renewed, when, and on what machine.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
FIXTURE = ROOT / "tests" / "data" / "reports" / "diagnose_from_log_zen3.json"
LOG = "tests/data/logs/nanogpt_cpu_300.log"
ENVELOPE = ("schema_version", "command", "tool", "created_at")
#: The host name the recorded result carries instead of the real one.
HOST = "train-box-07"
#: Above this share of the CPUs kept busy by other processes, the recording is not of an
#: idle machine (rule MA125 machine-busy fires from 0.25; rules/conditions_rules.py).
IDLE_CPU_SHARE = 0.05


def command_json(*args: str) -> dict[str, Any]:
    """A command's ``--json`` document (envelope included); its progress stays on stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "mfu_advisor", *args, "--json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return dict(json.loads(done.stdout))


def with_host_replaced(doc: dict[str, Any], hardware_key: str | None) -> dict[str, Any]:
    """``doc`` with the probed host name replaced by :data:`HOST` everywhere it occurs."""
    hardware = doc[hardware_key] if hardware_key else doc
    real = hardware["host"]["hostname"]
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    if real and real != HOST:
        text = text.replace(json.dumps(real), json.dumps(HOST))
        if re.search(rf"\b{re.escape(real)}\b", text):
            print(f"note: {real!r} also occurs outside host.hostname; check it", file=sys.stderr)
    return dict(json.loads(text))


def record() -> dict[str, Any]:
    """A new real diagnose run, with the host name replaced."""
    doc = with_host_replaced(command_json("diagnose", "--from-log", LOG), "hardware")
    share = (doc.get("noise") or {}).get("other_cpu_share")
    if isinstance(share, (int, float)) and share > IDLE_CPU_SHARE:
        print(
            f"warning: other processes kept {share:.0%} of the CPUs busy; "
            "record again on an idle machine",
            file=sys.stderr,
        )
    return doc


def renew_parts(parts: set[str]) -> dict[str, Any]:
    """The recorded result with ``parts`` renewed from this machine."""
    doc = json.loads(FIXTURE.read_text(encoding="utf-8"))
    if "hardware" in parts:
        probe = with_host_replaced(command_json("probe"), None)
        doc["hardware"] = {k: v for k, v in probe.items() if k not in ENVELOPE}
    if "analysis" in parts:
        analysis = command_json("analyze", LOG, "--hardware", "local")
        doc["analysis"] = {k: v for k, v in analysis.items() if k not in ENVELOPE}
    return dict(doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--parts",
        default="",
        help="renew only these parts of the recorded result (hardware,analysis) "
        "instead of recording a new run",
    )
    parts = {p for p in parser.parse_args().parts.split(",") if p}
    unknown = parts - {"hardware", "analysis"}
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    doc = renew_parts(parts) if parts else record()
    FIXTURE.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"wrote {FIXTURE.relative_to(ROOT)}; now regenerate the goldens and update "
        "tests/data/reports/README.md",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
