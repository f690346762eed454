"""``mfu-advisor report RESULT.json``: re-renders saved results; bad input is one line, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mfu_advisor.cli import cli, main
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Report


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture
def saved(tmp_path: Path, diagnose_doc: dict) -> Path:
    path = tmp_path / "result.json"
    path.write_text(json.dumps(diagnose_doc, indent=2))
    return path


def test_json_output_reproduces_the_saved_result(
    saved: Path, diagnose_doc: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = _run(["report", str(saved), "--json"], capsys)
    assert code == 0
    assert json.loads(out) == diagnose_doc


def test_markdown_and_text_match_the_renderers(
    saved: Path, diagnose_report: Report, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["report", str(saved), "--markdown"], capsys)
    assert code == 0 and out == render(diagnose_report, OutputFormat.MARKDOWN)


def test_html_is_written_atomically_and_announced_on_stderr(
    saved: Path, tmp_path: Path, diagnose_report: Report, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    code, _out, err = _run(["report", str(saved), "--html", str(target)], capsys)
    assert code == 0
    assert target.read_text() == render(diagnose_report, OutputFormat.HTML)
    assert f"HTML report written to {target}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", "result.json"]


def test_standard_input_is_read_with_a_dash(diagnose_doc: dict) -> None:
    result = CliRunner().invoke(cli, ["report", "-", "--json"], input=json.dumps(diagnose_doc))
    assert result.exit_code == 0
    assert json.loads(result.output) == diagnose_doc


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("", "is empty"),
        ("{not json", "is not JSON (line 1"),
        (b"\xff\xfe\x00garbage", "is not JSON (not UTF-8 text)"),
        ("[1, 2, 3]", "not an mfu-advisor result: the JSON document is not an object"),
        ('{"command": "train", "schema_version": 1}', "'command' is 'train'"),
        ('{"command": "probe"}', "schema_version is None"),
        ('{"command": "probe", "schema_version": 99}', "reads up to 1"),
        (
            '{"command": "probe", "schema_version": 1, "tool": {"name": "other"}}',
            "written by 'other'",
        ),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_a_bad_saved_result_is_one_line_and_exit_2(
    tmp_path: Path,
    content: str | bytes | None,
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "result.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    code, out, err = _run(["report", str(path)], capsys)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("Error: ") and message in err


def test_a_directory_as_the_result_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _run(["report", str(tmp_path)], capsys)
    assert code == 2 and "is a directory" in err and err.count("\n") == 1


@pytest.mark.parametrize("where", ["directory", "missing folder", "unwritable"])
def test_an_html_path_that_cannot_be_written_is_one_line_and_exit_2(
    where: str, saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = {
        "directory": tmp_path,
        "missing folder": tmp_path / "nope" / "r.html",
        "unwritable": Path("/proc/mfu-advisor-report.html"),
    }[where]
    code, out, err = _run(["report", str(saved), "--html", str(target)], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("Error: cannot write")
    assert "Traceback" not in err and "Usage" not in err
    if where != "unwritable":
        assert out == ""  # refused before any work


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        code, _out, err = _run(["report", str(saved), "--html", str(folder / "r.html")], capsys)
    finally:
        folder.chmod(0o700)
    assert code == 2 and "not writable" in err


def test_the_input_file_is_not_modified(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = saved.read_bytes()
    _run(["report", str(saved), "--redact", "--html", str(tmp_path / "r.html")], capsys)
    assert saved.read_bytes() == before


def test_redact_applies_to_stdout_and_the_html_file(
    saved: Path, tmp_path: Path, diagnose_doc: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    # What identifies someone in the recorded result: its host name, the home folder of
    # the roofline cache (/root here) and the user folder in the log's warnings (/home/ana).
    home = diagnose_doc["baseline"]["roofline"]["cache_path"].split("/.cache/")[0]
    identifying = (diagnose_doc["hardware"]["host"]["hostname"], home + "/", "/home/ana/")
    plain = tmp_path / "plain.html"
    _run(["report", str(saved), "--html", str(plain)], capsys)
    assert all(value in plain.read_text() for value in identifying)
    target = tmp_path / "r.html"
    code, out, _ = _run(
        ["report", str(saved), "--redact", "--markdown", "--html", str(target)], capsys
    )
    assert code == 0
    for text in (out, target.read_text()):
        assert not [value for value in identifying if value in text]


def test_rendering_every_format_never_imports_torch(saved: Path, tmp_path: Path) -> None:
    html = str(tmp_path / "r.html")
    code = (
        "import sys\n"
        "from mfu_advisor.cli import main\n"
        f"for args in (['--json'], ['--markdown'], ['--redact', '--html', {html!r}], []):\n"
        "    try:\n"
        f"        main(['report', {str(saved)!r}, *args])\n"
        "    except SystemExit as done:\n"
        "        assert done.code == 0, done.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
