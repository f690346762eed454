"""The diagnose section for the terminal: headline, verdict, ranked findings, experiments.

Built from the same content as the Markdown and HTML reports
(report/content/), kept short for a terminal: the hardware is one compact
table and the baseline run is its headline numbers. ``--markdown`` or
``--html`` give everything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from mfu_advisor.report.content.diagnose import diagnose_sections
from mfu_advisor.report.content.document import TITLES, subtitle
from mfu_advisor.report.terminal.blocks import render_section


def render(payload: Mapping[str, Any], console: Console) -> None:
    """Print a diagnose payload (the JSON of ``mfu-advisor diagnose``) to ``console``."""
    console.print(Text(f"mfu-advisor · {TITLES['diagnose']}", style="bold"))
    line = subtitle(payload, "diagnose")
    if line:
        console.print(Text(line, style="dim"))
    for section in diagnose_sections(payload, detailed=False):
        render_section(section, console)
