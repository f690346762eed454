"""The one gate through which the probe reads a machine: files, commands, recorded answers.

Every file the probe reads goes through :class:`MachineRoot`, which maps an
absolute path such as ``/proc/cpuinfo`` under a root folder: ``/`` for the live
machine, or a snapshot folder (docs/snapshot.md). External commands go through
:meth:`MachineRoot.run`, which runs them on the live machine and reads their
recorded output from ``commands/<name>.txt`` in a snapshot. Answers from
libraries (NVML, torch) are recorded as ``<name>.json`` beside them.

Nothing here writes: a probe only reads.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable

if TYPE_CHECKING:
    import tempfile

# subprocess, shutil, tarfile and tempfile are imported where used: most probes
# never run a command or open an archive, and start-up time is a target.

#: Name of the file that marks a folder as an mfu-advisor snapshot.
SNAPSHOT_MANIFEST = "snapshot.json"
SNAPSHOT_FORMAT = "mfu-advisor-snapshot"

#: Longest a probed command may run before it counts as unavailable, in seconds.
COMMAND_TIMEOUT_S = 5.0

#: Largest file the probe reads, in bytes; sysfs and procfs files are far smaller.
MAX_READ_BYTES = 4 * 1024 * 1024

#: Size of each read() call, in bytes.
READ_CHUNK_BYTES = 64 * 1024


class MachineRoot:
    """Reads one machine, live or recorded, without changing anything.

    Use :meth:`live` for this machine and :meth:`open_snapshot` for a folder or
    ``.tar.gz`` written by ``mfu-advisor snapshot``.
    """

    def __init__(
        self,
        root: Path,
        *,
        is_live: bool,
        manifest: dict[str, Any] | None = None,
        cleanup: tempfile.TemporaryDirectory[str] | None = None,
    ) -> None:
        self.root = root
        self.is_live = is_live
        self.manifest: dict[str, Any] = manifest or {}
        self._cleanup = cleanup

    # -- construction -------------------------------------------------------------------

    @classmethod
    def live(cls) -> MachineRoot:
        """The machine this process runs on."""
        return cls(Path("/"), is_live=True)

    @classmethod
    def open_snapshot(cls, path: str | os.PathLike[str]) -> MachineRoot:
        """A recorded snapshot: a folder, or a ``.tar.gz`` / ``.tgz`` / ``.tar`` archive of one.

        Raises :class:`UserError` (exit code 2) when the path is missing, is not a
        snapshot, or the archive is truncated or corrupt.
        """
        source = Path(path)
        if not source.exists():
            raise UserError(f"snapshot {source} does not exist")
        if source.is_dir():
            return cls(source, is_live=False, manifest=_read_manifest(source))
        return cls._from_archive(source)

    @classmethod
    def _from_archive(cls, archive: Path) -> MachineRoot:
        import tarfile
        import tempfile

        workdir = tempfile.TemporaryDirectory(prefix="mfu-advisor-snapshot-")
        try:
            with tarfile.open(archive, "r:*") as tar:
                _extract_safely(tar, Path(workdir.name))
        except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
            workdir.cleanup()
            raise UserError(
                f"snapshot archive {archive} is truncated or not a tar archive ({exc})"
            ) from None
        top = Path(workdir.name)
        entries = [p for p in top.iterdir()]
        # Accept both "manifest at the top" and "one folder holding the snapshot".
        if not (top / SNAPSHOT_MANIFEST).exists() and len(entries) == 1 and entries[0].is_dir():
            top = entries[0]
        return cls(top, is_live=False, manifest=_read_manifest(top, shown=archive), cleanup=workdir)

    def close(self) -> None:
        """Remove the temporary folder of an extracted archive (no-op otherwise)."""
        if self._cleanup is not None:
            self._cleanup.cleanup()
            self._cleanup = None

    def __enter__(self) -> MachineRoot:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- what kind of machine -----------------------------------------------------------

    @property
    def label(self) -> str:
        """ "live" or the snapshot's path, for reports."""
        return "live" if self.is_live else str(self.manifest.get("_opened_from", self.root))

    @property
    def os_name(self) -> str:
        """ "Linux", "Darwin" or "Windows": this machine's, or the recorded one's."""
        if self.is_live:
            return live_os_name()
        return str(self.manifest.get("os", "Linux"))

    # -- files --------------------------------------------------------------------------

    def path(self, machine_path: str) -> Path:
        """Where ``machine_path`` (an absolute path on the probed machine) lives under the root."""
        parts = PurePosixPath(machine_path).parts
        relative = [p for p in parts if p not in ("/", "", ".")]
        if ".." in relative:
            raise ValueError(f"path escapes the machine root: {machine_path}")
        return self.root.joinpath(*relative)

    def read_text(self, machine_path: str) -> str | Unavailable:
        """Contents of a text file, or why it could not be read."""
        recorded_failure = self._recorded_failure("unreadable", machine_path)
        if recorded_failure is not None:
            return recorded_failure
        target = self.path(machine_path)
        try:
            with open(target, "rb") as handle:
                data = _read_capped(handle)
        except OSError as exc:
            return _unreadable(machine_path, exc)
        return data.decode("utf-8", errors="replace")

    def read_int(self, machine_path: str, base: int = 10) -> int | Unavailable:
        """A file holding one integer (``base=16`` or ``0`` for "0x8086"-style ids)."""
        text = self.read_text(machine_path)
        if isinstance(text, Unavailable):
            return text
        try:
            return int(text.strip(), base)
        except ValueError:
            shown = text.strip()[:40]
            return Unavailable(f"{machine_path} holds {shown!r}, not an integer")

    def listdir(self, machine_path: str) -> list[str] | Unavailable:
        """Sorted names in a folder, or why it could not be listed."""
        recorded_failure = self._recorded_failure("unreadable", machine_path)
        if recorded_failure is not None:
            return recorded_failure
        try:
            return sorted(os.listdir(self.path(machine_path)))
        except OSError as exc:
            return _unreadable(machine_path, exc)

    def exists(self, machine_path: str) -> bool:
        return self.path(machine_path).exists()

    # -- commands and recorded answers --------------------------------------------------

    def run(
        self, name: str, argv: Sequence[str], timeout_s: float = COMMAND_TIMEOUT_S
    ) -> str | Unavailable:
        """Standard output of a command, live or as recorded under ``commands/<name>.txt``.

        ``name`` is the stable key the output is recorded under (e.g. "lspci").
        """
        if not self.is_live:
            recorded_failure = self._recorded_failure("failed_commands", name)
            if recorded_failure is not None:
                return recorded_failure
            recorded = self.root / "commands" / f"{name}.txt"
            if recorded.is_file():
                return recorded.read_text(encoding="utf-8", errors="replace")
            return Unavailable(f"`{' '.join(argv)}` was not recorded in the snapshot")
        import shutil
        import subprocess

        if shutil.which(argv[0]) is None:
            return Unavailable(f"{argv[0]} not installed")
        try:
            done = subprocess.run(
                list(argv),
                capture_output=True,
                timeout=timeout_s,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return Unavailable(f"`{' '.join(argv)}` did not finish in {timeout_s:g} s")
        except OSError as exc:
            return Unavailable(f"`{' '.join(argv)}` could not run ({exc.strerror or exc})")
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
            detail = err[-1] if err else f"exit code {done.returncode}"
            return Unavailable(f"`{' '.join(argv)}` failed: {detail}")
        return done.stdout.decode("utf-8", errors="replace")

    def answers(self, name: str, collect: Callable[[], Any]) -> Any | Unavailable:
        """A library's answers (NVML, torch): asked live, or read from ``<name>.json``.

        ``collect`` asks the library on the live machine; it is never called on a
        snapshot, so one parser serves both and they cannot drift.
        """
        if self.is_live:
            return collect()
        return self.recorded_json(name)

    def _recorded_failure(self, kind: str, key: str) -> Unavailable | None:
        """A read or command that failed on the recorded machine, with its reason."""
        failures = self.manifest.get(kind)
        if not isinstance(failures, dict) or key not in failures:
            return None
        return Unavailable(str(failures[key]))

    def recorded_json(self, name: str) -> Any | Unavailable:
        """A recorded library answer (``<name>.json``) in a snapshot.

        On the live machine there is nothing recorded: callers ask the library.
        """
        if self.is_live:
            return Unavailable("live machine: nothing recorded")
        target = self.root / f"{name}.json"
        if not target.is_file():
            return Unavailable(f"{name}.json not in the snapshot")
        try:
            return json.loads(target.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return Unavailable(f"{name}.json in the snapshot is not valid JSON ({exc})")


def live_os_name() -> str:
    """ "Linux", "Darwin" or "Windows" for this machine (what ``platform.system()`` says).

    Read from ``os.uname`` rather than the ``platform`` module, whose import
    costs more than the whole Linux probe.
    """
    if sys.platform == "win32":
        return "Windows"
    return os.uname().sysname


def _extract_safely(tar: Any, target: Path) -> None:
    """Extract only plain files and folders that stay inside ``target``.

    Python 3.11.4+ has the "data" filter, which refuses absolute paths, links
    out of the tree and device files; older 3.11 releases get the same checks here.
    """
    try:
        tar.extractall(target, filter="data")
        return
    except TypeError:  # no ``filter`` argument before Python 3.11.4
        pass
    root = target.resolve()
    members = []
    for member in tar.getmembers():
        destination = (target / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not destination.is_relative_to(root):
            raise ValueError(f"unsafe archive member {member.name!r}")
        members.append(member)
    tar.extractall(target, members=members)


def _read_capped(handle: Any) -> bytes:
    """Up to MAX_READ_BYTES, in modest chunks.

    One huge read() fails on /proc/sys files with ENOMEM: the kernel allocates
    a buffer of the requested size for them (fs/proc/proc_sysctl.c).
    """
    chunks: list[bytes] = []
    total = 0
    while total < MAX_READ_BYTES:
        chunk = handle.read(READ_CHUNK_BYTES)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)[:MAX_READ_BYTES]


def _read_manifest(folder: Path, shown: Path | None = None) -> dict[str, Any]:
    manifest_path = folder / SNAPSHOT_MANIFEST
    label = shown or folder
    if not manifest_path.is_file():
        raise UserError(f"{label} is not an mfu-advisor snapshot (no {SNAPSHOT_MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{label}: {SNAPSHOT_MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SNAPSHOT_FORMAT:
        raise UserError(f"{label}: {SNAPSHOT_MANIFEST} does not describe an mfu-advisor snapshot")
    manifest["_opened_from"] = str(label)
    return manifest


def _unreadable(machine_path: str, exc: OSError) -> Unavailable:
    """Why a file or folder of the machine could not be read, in words."""
    if isinstance(exc, FileNotFoundError):
        return Unavailable(f"{machine_path} not present")
    if isinstance(exc, NotADirectoryError):
        return Unavailable(f"{machine_path} is not a folder")
    if isinstance(exc, PermissionError):
        return Unavailable(f"{machine_path} not readable (permission denied)")
    return Unavailable(f"{machine_path} not readable ({exc.strerror or exc})")
