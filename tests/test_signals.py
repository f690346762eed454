"""SIGTERM and SIGHUP clean up like Ctrl-C: no temp folder is left, one line, 128+signal."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

SNAPSHOTS = Path(__file__).resolve().parent / "data" / "snapshots"

#: Runs the CLI with the probe replaced by a wait, so the signal lands mid-command.
DRIVER = textwrap.dedent(
    """
    import sys, time
    import mfu_advisor.probe as probe
    def waiting(*args, **kwargs):
        print("ready", flush=True)
        time.sleep(60)
    probe.probe_machine = waiting
    from mfu_advisor.cli import main
    main(sys.argv[1:])
    """
)


def _interrupt(args: list[str], signum: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _archive(tmp_path: Path) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(SNAPSHOTS / "alder_lake_p_iris_xe", arcname="m")
    path = tmp_path / "m.tar.gz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    return path


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_snapshot_leaves_no_work_folder(signum: int, tmp_path: Path) -> None:
    done = _interrupt(["snapshot", str(tmp_path / "out"), "--no-torch"], signum, tmp_path)
    assert done.returncode == (130 if signum == signal.SIGINT else 128 + signum), done.stderr
    assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tmp"]
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_while_probing_an_archive_removes_the_extracted_folder(
    signum: int, tmp_path: Path
) -> None:
    archive = _archive(tmp_path)
    done = _interrupt(["probe", "--root", str(archive), "--no-torch"], signum, tmp_path)
    assert done.returncode == 128 + signum
    assert done.stderr.strip() == f"Stopped by {signal.Signals(signum).name}."
    assert list((tmp_path / "tmp").iterdir()) == []
