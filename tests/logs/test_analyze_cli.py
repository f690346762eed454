"""The analyze command end to end: output, exit codes, one-line errors, no torch import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from log_helpers import LOGS, log_path

from mfu_advisor.cli import cli


def run_cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mfu_advisor", "analyze", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        check=False,
        timeout=120,  # a guard against a hang (analyze /dev/zero once never ended), not a timing
    )


@pytest.mark.slow
def test_analyze_never_imports_torch() -> None:
    code = (
        "import sys\nfrom mfu_advisor.cli import main\n"
        f"try:\n    main(['analyze', {log_path('nanogpt_cpu_300.log')!r}, '--json',"
        " '--hardware', 'i7-1260P'])\n"
        "except SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([log_path("empty.log")], "is empty"),
        ([log_path("binary.bin")], "binary file"),
        ([log_path("not_a_log.txt")], "known formats: nanogpt, llmc"),
        (["/nonexistent/x.log"], "no such file"),
        ([str(LOGS)], "is a folder"),
        ([log_path("nanogpt_1.log"), "--set", "oops"], "--set expects KEY=VALUE"),
        ([log_path("nanogpt_1.log"), "--peak-tflops", "-3"], "--peak-tflops must be a positive"),
        ([log_path("nanogpt_1.log"), log_path("llmc_1.log")], "different formats"),
        (["/dev/zero"], "without a line break"),
        ([log_path("nanogpt_1.log"), "--peak-tflops", "inf"], "positive finite number, not inf"),
        ([log_path("nanogpt_1.log"), "--peak-tflops", "nan"], "positive finite number"),
        ([log_path("nanogpt_1.log"), "--peak-tflops", "abc"], "'abc' is not a valid float"),
        ([log_path("nanogpt_1.log"), "--world-size", "0"], "--world-size"),
        ([log_path("nanogpt_1.log"), "--bogus"], "No such option '--bogus'"),
        ([log_path("nanogpt_1.log"), "--set", "tokens_per_step=-5000"], "tokens_per_step=-5000"),
        ([log_path("nanogpt_1.log"), "--set", "batch_size=0"], "batch_size=0: must be above 0"),
        ([log_path("nanogpt_1.log"), "--set", "n_params=twelve"], "n_params needs a number"),
        ([log_path("nanogpt_1.log"), "--hardware", "H100"], "matches several devices"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    done = run_cli(*args)
    stderr = done.stderr.decode()
    assert done.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1
    assert done.stdout == b""


def test_unknown_hardware_lists_known_names(fake_catalog) -> None:
    result = CliRunner().invoke(
        cli, ["analyze", log_path("nanogpt_1.log"), "--hardware", "Voodoo 3"]
    )
    assert result.exit_code == 2
    assert (
        "unknown hardware 'Voodoo 3'" in result.output and "NVIDIA A100-SXM4-80GB" in result.output
    )


def test_json_output_is_the_report_document(fake_catalog) -> None:
    result = CliRunner().invoke(
        cli, ["analyze", log_path("nanogpt_cpu_300.log"), "--hardware", "i7-1260P", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["command"] == "analyze" and document["schema_version"] == 1
    assert document["peak"]["hardware"] == "Intel Core i7-1260P"
    assert document["mfu"]["value"] == pytest.approx(document["achieved_flops"] / 1.0e12)


def test_text_output_explains_the_log_mfu_on_the_real_hardware(fake_catalog) -> None:
    result = CliRunner().invoke(
        cli, ["analyze", log_path("nanogpt_cpu_300.log"), "--hardware", "i7-1260P"]
    )
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert "nanoGPT's 0.02% means 62.4 GFLOP/s against an A100's 312 TFLOP/s" in flat
    assert "on your Intel Core i7-1260P that is about 6.2% of its fp32 peak" in flat


def test_without_hardware_the_report_says_how_to_give_it() -> None:
    result = CliRunner().invoke(cli, ["analyze", log_path("nanogpt_cpu_300.log")])
    assert result.exit_code == 0
    assert "--hardware NAME" in result.output and "--peak-tflops" in result.output


def test_set_fills_in_what_the_log_lacks() -> None:
    args = ["analyze", log_path("nanogpt_1.log"), "--json", "--peak-tflops", "312"]
    args += ["--set", "tokens_per_step=61440", "--set", "flops_per_token=854770176"]
    document = json.loads(CliRunner().invoke(cli, args).output)
    assert document["tokens_per_step"] == 61440
    assert document["achieved_flops"] == pytest.approx(854_770_176 * 61440 / 0.894415)
    assert document["config_sources"]["tokens_per_step"] == "--set"


@pytest.mark.slow
def test_standard_input_and_gzip(tmp_path: Path) -> None:
    data = (LOGS / "nanogpt_cpu_300.log.gz").read_bytes()
    done = run_cli("-", "--json", stdin=data)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["steps"] == 301 and document["files"][0]["name"] == "<stdin>"


def test_several_files_are_read_as_one_run() -> None:
    args = ["analyze", log_path("nanogpt_cpu_300.log"), log_path("nanogpt_truncated.log"), "--json"]
    document = json.loads(CliRunner().invoke(cli, args).output)
    assert [f["step_lines"] for f in document["files"]] == [301, 57]
    assert document["steps"] == 358 and document["restart_count"] == 1


def test_forced_format_overrides_detection() -> None:
    document = json.loads(
        CliRunner()
        .invoke(
            cli, ["analyze", log_path("generic_custom_loop.log"), "--format", "generic", "--json"]
        )
        .output
    )
    assert document["format"] == "generic" and document["format_confidence"] == 1.0


def test_markdown_output_works() -> None:
    result = CliRunner().invoke(cli, ["analyze", log_path("llmc_1.log"), "--markdown"])
    assert result.exit_code == 0, result.output
    assert "llm" in result.output.lower()


def test_a_paste_at_a_terminal_says_how_to_finish(monkeypatch: pytest.MonkeyPatch) -> None:
    from mfu_advisor.logs import pipeline

    monkeypatch.setattr(pipeline, "stdin_is_terminal", lambda: True)
    pasted = (LOGS / "nanogpt_3.log").read_bytes()
    result = CliRunner().invoke(cli, ["analyze", "--json"], input=pasted)
    assert result.exit_code == 0, result.output
    assert "Ctrl-D" in result.stderr
    document = json.loads(result.stdout)
    assert document["steps"] == 8 and document["files"][0]["name"] == "<pasted>"


def test_ambiguous_hardware_names_every_candidate() -> None:
    done = run_cli(log_path("nanogpt_1.log"), "--hardware", "H100")
    stderr = done.stderr.decode()
    assert done.returncode == 2
    # The probe's table lists each H100 variant; the message names them all and asks for one.
    for variant in ("H100 80GB HBM3", "H100 PCIe", "H100 NVL"):
        assert variant in stderr
    assert "name one of them" in stderr


def test_a_log_with_evaluation_lines_only_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "evals.log"
    path.write_text(
        "step 500: train loss 5.7373, val loss 5.9544\nstep 600: train loss 5.5, val loss 5.8\n"
    )
    done = run_cli(str(path))
    assert done.returncode == 2
    assert "no training step lines" in done.stderr.decode()
    assert len(done.stderr.decode().strip().splitlines()) == 1
