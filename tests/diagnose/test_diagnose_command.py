"""``mfu-advisor diagnose`` as the user runs it: a recorded machine, bad input, the JSON."""

from __future__ import annotations

import json
from pathlib import Path

import click
import jsonschema
from click.testing import CliRunner

from mfu_advisor.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = ROOT / "tests" / "data" / "snapshots"
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "diagnose.schema.json").read_text())


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["diagnose", *args])


def test_a_recorded_machine_gives_a_valid_diagnosis_json() -> None:
    result = _invoke("--root", str(SNAPSHOTS / "gpu_pcie_x4_on_x16"), "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["mode"] == "snapshot"
    assert doc["baseline"] is None
    assert [f["symbol"] for f in doc["findings"]] == ["pcie-link-below-max"]
    assert doc["hardware"]["gpus"][0]["nvidia"]["pcie_width"] == 4


def test_the_hardware_is_the_probe_payload_of_the_same_snapshot() -> None:
    snapshot = str(SNAPSHOTS / "gpu_mig_enabled")
    diagnosed = json.loads(_invoke("--root", snapshot, "--json").stdout)
    probed = json.loads(CliRunner().invoke(cli, ["probe", "--root", snapshot, "--json"]).stdout)
    assert diagnosed["hardware"] == {
        k: v
        for k, v in probed.items()
        if k not in ("schema_version", "command", "tool", "created_at")
    }


def test_the_terminal_report_of_a_recorded_machine_names_the_finding() -> None:
    result = _invoke("--root", str(SNAPSHOTS / "gpu_sw_power_cap"))
    assert result.exit_code == 0
    assert "GPU clocks held down by power or heat" in result.stdout


def test_a_budget_below_the_minimum_is_refused_with_one_line() -> None:
    result = _invoke("--budget", "3")
    assert result.exit_code == 2
    assert "--budget must be between 10 and 3600 seconds" in result.output


def test_a_missing_log_is_one_line_and_exit_code_2() -> None:
    result = _invoke("--from-log", "/nonexistent/train.log", "--no-experiments")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_diagnose_takes_the_benchs_own_run_options() -> None:
    from mfu_advisor.bench.cli_options import RUN_OPTION_NAMES
    from mfu_advisor.bench.command import bench
    from mfu_advisor.diagnose.command import diagnose

    def declared(command: click.Command) -> dict[str, tuple[object, ...]]:
        return {
            p.name: (tuple(p.opts), p.type.name, p.default)
            for p in command.params
            if p.name in RUN_OPTION_NAMES
        }

    assert declared(diagnose) == declared(bench)
    assert set(declared(diagnose)) == set(RUN_OPTION_NAMES)


def test_diagnose_parses_nanogpt_flags_into_the_run_to_diagnose(monkeypatch) -> None:
    from mfu_advisor.diagnose import orchestrate

    asked = {}

    def capture(self: orchestrate.Diagnosis) -> None:
        asked["options"] = self.request.asked
        raise SystemExit(0)

    monkeypatch.setattr(orchestrate.Diagnosis, "run", capture)
    _invoke("--batch_size=48", "--compile=False", "--n-layer", "2", "--budget", "30")
    options = asked["options"]
    assert (options.batch_size, options.compile, options.n_layer) == (48, False, 2)
    assert options.budget_s is None  # diagnose's --budget is the diagnosis's, not the bench's


def test_ctrl_c_prints_the_report_of_what_was_measured_and_exits_130(monkeypatch) -> None:
    import diagnose_fakes

    from mfu_advisor.diagnose import orchestrate
    from mfu_advisor.rules import example_facts as ex

    real = orchestrate.Diagnosis

    class Interrupted(real):  # type: ignore[misc, valid-type]
        def __init__(self, request, **kwargs):
            clock = diagnose_fakes.FakeClock()
            runner = diagnose_fakes.FakeRunner(clock, interrupt_on="batch_size=48")
            super().__init__(request, run_process=runner, probe=ex.machine, clock=clock)

    monkeypatch.setattr(orchestrate, "Diagnosis", Interrupted)
    result = _invoke("--json")
    assert result.exit_code == 130
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["interrupted"] is True
    assert doc["baseline"]["tokens_per_s"] > 0
    batch = next(e for e in doc["experiments"] if e["name"] == "batch-x4")
    assert batch["reason"] == "interrupted by Ctrl-C"


def test_help_and_rules_do_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from mfu_advisor.cli import cli\n"
        "assert CliRunner().invoke(cli, ['diagnose', '--help']).exit_code == 0\n"
        "assert CliRunner().invoke(cli, ['rules']).exit_code == 0\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
