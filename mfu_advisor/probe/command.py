"""The ``probe`` and ``snapshot`` commands."""

from __future__ import annotations

from pathlib import Path

import click

from mfu_advisor.report.options import output_options


@click.command()
@click.option(
    "--root",
    "root_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Probe a snapshot (folder or .tar.gz from `mfu-advisor snapshot`), not this machine.",
)
@click.option("--no-torch", is_flag=True, help="Skip the PyTorch facts; never imports torch.")
@click.option("--fresh", is_flag=True, help="Ask torch anew instead of using its cached answers.")
@output_options
def probe(
    root_path: Path | None,
    no_torch: bool,
    fresh: bool,
    as_json: bool,
    markdown: bool,
    html_path: str | None,
    redact: bool,
) -> None:
    """Show CPU, GPUs, torch build and peak FLOP/s (every vendor from PCI numbers)."""
    from mfu_advisor.probe import probe_machine
    from mfu_advisor.probe.sources import MachineRoot
    from mfu_advisor.report.model import Command, make_report
    from mfu_advisor.report.output import emit

    if root_path is not None:
        with MachineRoot.open_snapshot(root_path) as root:
            facts = probe_machine(root, include_torch=not no_torch)
    else:
        facts = probe_machine(include_torch=not no_torch, fresh_torch=fresh)
    report = make_report(Command.PROBE, facts)
    emit(report, as_json=as_json, markdown=markdown, html_path=html_path, redact=redact)


@click.command()
@click.argument("out", type=click.Path(path_type=Path))
@click.option(
    "--no-torch", is_flag=True, help="Do not import torch; the snapshot then holds no torch.json."
)
@click.option(
    "--redact",
    is_flag=True,
    help="Remove host and user names, serial numbers, UUIDs, MAC addresses and user folders.",
)
def snapshot(out: Path, no_torch: bool, redact: bool) -> None:
    """Record this machine's hardware inputs into OUT (a new folder, or OUT.tar.gz).

    Probe it anywhere later with `mfu-advisor probe --root OUT`. An existing
    OUT is never overwritten. Without --redact the snapshot holds the host
    name and GPU serial numbers as the machine reports them (docs/snapshot.md).
    """
    from mfu_advisor.probe.snapshot import write_snapshot

    write_snapshot(out, include_torch=not no_torch, redact=redact)
    click.echo(f"Snapshot written to {out}; read it with: mfu-advisor probe --root {out}", err=True)
