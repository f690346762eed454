"""``mfu-advisor diagnose``: the click command; the run options are bench's
(bench/cli_options.py)."""

from __future__ import annotations

from typing import Any

import click

from mfu_advisor.bench.cli_options import (
    RUN_OPTION_NAMES,
    given_on_command_line,
    options_from_params,
    run_options,
)
from mfu_advisor.bench.options import MAX_BUDGET_S
from mfu_advisor.diagnose.plan import DEFAULT_BUDGET_S, MIN_BUDGET_S
from mfu_advisor.distributed.plan import distributed_from_params, distributed_options
from mfu_advisor.errors import EXIT_INTERRUPTED, UserError
from mfu_advisor.report.options import output_options
from mfu_advisor.torch_import import import_torch


@click.command(
    "diagnose",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@run_options
@click.option(
    "--budget",
    "budget_s",
    type=float,
    default=DEFAULT_BUDGET_S,
    show_default=True,
    help="Seconds the whole diagnosis may take; exceeded by at most 10%.",
)
@click.option(
    "--from-log",
    "from_log",
    type=click.Path(dir_okay=False),
    default=None,
    help="Explain this training log and reproduce its configuration here as the baseline.",
)
@click.option(
    "--root",
    "root_path",
    type=click.Path(),
    default=None,
    help="Diagnose a recorded snapshot (mfu-advisor snapshot): its facts only, no runs.",
)
@click.option(
    "--no-experiments",
    "no_experiments",
    is_flag=True,
    help="Probe and measure the baseline only; no what-if variants.",
)
@distributed_options
@output_options
@click.pass_context
def diagnose(ctx: click.Context, **params: Any) -> None:
    """Explain why training is slow here, and measure which fixes really help.

    Probes the machine, measures the run (a preset, nanoGPT flags such as
    --batch_size=12 --compile=False, or --from-log's configuration), tries
    what-if variants in their own processes (micro-batch, compile, autocast,
    threads, ...), most promising first, and ranks the findings by measured
    gain. Ctrl-C reports what was measured so far and exits 130.

    With --nproc-per-node N (N > 1) the baseline is a data-parallel run under
    torchrun (bench --nproc-per-node), and the what-if variants measure one
    rank's step, pinned to that rank's share of the CPUs (docs/distributed.md).
    """
    from mfu_advisor.diagnose.orchestrate import DiagnoseRequest, Diagnosis
    from mfu_advisor.diagnose.progress import StderrDiagnoseProgress
    from mfu_advisor.report.model import Command, make_report
    from mfu_advisor.report.output import emit

    budget = float(params["budget_s"])
    if not MIN_BUDGET_S <= budget <= MAX_BUDGET_S:
        raise UserError(
            f"--budget must be between {MIN_BUDGET_S:.0f} and {MAX_BUDGET_S:.0f} seconds, "
            f"not {budget:g}"
        )
    # Only the run options: diagnose's own --budget is the whole diagnosis's, not the bench's.
    asked = options_from_params({name: params[name] for name in RUN_OPTION_NAMES})
    notes: list[str] = []
    if params["root_path"] and given_on_command_line(ctx, RUN_OPTION_NAMES):
        notes.append("--root diagnoses a recorded machine: the run options were not used")
    dist = distributed_from_params(params)
    if dist.multi_rank:
        from mfu_advisor.distributed.plan import validate

        validate(dist)
        if params["root_path"]:
            raise UserError(
                "--root diagnoses a recorded machine: it runs nothing, so it takes "
                "no --nproc-per-node"
            )
    if not params["root_path"]:  # a recorded machine runs nothing, so needs no torch
        import_torch("diagnose")
    request = DiagnoseRequest(
        asked=asked,
        budget_s=budget,
        root=params["root_path"],
        from_log=params["from_log"],
        experiments=not params["no_experiments"],
        notes=tuple(notes),
        distributed=dist if dist.multi_rank else None,
    )
    result = Diagnosis(request, progress=StderrDiagnoseProgress()).run()
    emit(
        make_report(Command.DIAGNOSE, result),
        as_json=params["as_json"],
        markdown=params["markdown"],
        html_path=params["html_path"],
        redact=params["redact"],
    )
    if result.interrupted:
        ctx.exit(EXIT_INTERRUPTED)
