"""The one gate through which the probe reads a machine: files, commands, recorded answers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable
from mfu_advisor.files import strict_json
from mfu_advisor.sanitize import one_line
from mfu_advisor.sanitize import shown as shown_value

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

#: Snapshot layouts this release reads (the manifest's "version"; docs/snapshot.md).
KNOWN_SNAPSHOT_VERSIONS = frozenset({1})

#: Largest snapshot.json accepted, in bytes (a real one is under 10 kB).
MAX_MANIFEST_BYTES = 1024 * 1024

#: Size of each read() call, in bytes.
READ_CHUNK_BYTES = 64 * 1024


class MachineRoot:
    """Reads one machine, live or recorded, without changing anything."""

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
        self._real_root: str | None = None

    # -- construction -------------------------------------------------------------------

    @classmethod
    def live(cls) -> MachineRoot:
        """The machine this process runs on."""
        return cls(Path("/"), is_live=True)

    @classmethod
    def open_snapshot(cls, path: str | os.PathLike[str]) -> MachineRoot:
        """A recorded snapshot: a folder, or a ``.tar.gz`` / ``.tgz`` / ``.tar`` archive of one."""
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

        from mfu_advisor.probe.archive import ArchiveRefused, extract_snapshot

        if not archive.is_file():
            raise UserError(f"snapshot {_shown_path(archive)} is neither a folder nor a file")
        workdir = tempfile.TemporaryDirectory(prefix="mfu-advisor-snapshot-")
        top = Path(workdir.name)
        try:
            try:
                extract_snapshot(archive, top)
            except ArchiveRefused as exc:
                raise UserError(f"snapshot archive {_shown_path(archive)} refused: {exc}") from None
            except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
                raise UserError(
                    f"snapshot archive {_shown_path(archive)} is truncated or not a tar archive "
                    f"({one_line(str(exc), 200)})"
                ) from None
            entries = list(top.iterdir())
            # Accept both "manifest at the top" and "one folder holding the snapshot".
            if not (top / SNAPSHOT_MANIFEST).exists() and len(entries) == 1 and entries[0].is_dir():
                top = entries[0]
            manifest = _read_manifest(top, shown=archive)
        except BaseException:
            workdir.cleanup()  # an interrupt (Ctrl-C, SIGTERM, SIGHUP) leaves nothing behind too
            raise
        return cls(top, is_live=False, manifest=manifest, cleanup=workdir)

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
        if "\x00" in machine_path:  # built from a file's contents (a cgroup path, found by fuzzing)
            raise ValueError(f"path holds a NUL byte: {machine_path!r}")
        parts = PurePosixPath(machine_path).parts
        relative = [p for p in parts if p not in ("/", "", ".")]
        if ".." in relative:
            raise ValueError(f"path escapes the machine root: {machine_path}")
        return self.root.joinpath(*relative)

    def confined(self, machine_path: str) -> Path | Unavailable:
        """:meth:`path`, when it stays inside the root once links are followed; else why not."""
        try:
            target = self.path(machine_path)
        except ValueError:
            return Unavailable(f"{shown_value(machine_path)} is not a path on the machine")
        if self.is_live:
            return target
        # A snapshot is someone else's folder: a link must not lead to this machine's files.
        return self._check_inside(target, machine_path)

    def _check_inside(self, target: Path, machine_path: str) -> Path | Unavailable:
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        real = os.path.realpath(target)
        if real == self._real_root or real.startswith(self._real_root.rstrip(os.sep) + os.sep):
            return target
        return Unavailable(
            f"{machine_path} not read: in the snapshot it leads outside the snapshot folder "
            f"(to {one_line(real, 120)})"
        )

    def read_text(self, machine_path: str) -> str | Unavailable:
        """Contents of a text file, or why it could not be read."""
        target = self._readable(machine_path)
        data = target if isinstance(target, Unavailable) else _read_file(target, machine_path)
        return data if isinstance(data, Unavailable) else data.decode("utf-8", errors="replace")

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
        target = self._readable(machine_path)
        if isinstance(target, Unavailable):
            return target
        try:
            return sorted(os.listdir(target))
        except OSError as exc:
            return _unreadable(machine_path, exc)

    def _readable(self, machine_path: str) -> Path | Unavailable:
        """:meth:`confined`, unless the recorded machine could not read the path."""
        failure = self._recorded_failure("unreadable", machine_path)
        return failure if failure is not None else self.confined(machine_path)

    # -- commands and recorded answers --------------------------------------------------

    def run(
        self, name: str, argv: Sequence[str], timeout_s: float = COMMAND_TIMEOUT_S
    ) -> str | Unavailable:
        """Standard output of a command, live or as recorded under ``commands/<name>.txt``."""
        if not self.is_live:
            recorded_failure = self._recorded_failure("failed_commands", name)
            if recorded_failure is not None:
                return recorded_failure
            missing = f"`{' '.join(argv)}` was not recorded in the snapshot"
            data = self._recorded_file(f"commands/{name}.txt", missing, f"{name}.txt")
            return data if isinstance(data, Unavailable) else data.decode("utf-8", "replace")
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
        """A library's answers (NVML, torch): asked live, or read from ``<name>.json``."""
        if self.is_live:
            return collect()
        return self.recorded_json(name)

    def _recorded_failure(self, kind: str, key: str) -> Unavailable | None:
        """A read or command that failed on the recorded machine, with its reason."""
        failures = self.manifest.get(kind)
        if not isinstance(failures, dict) or key not in failures:
            return None
        return Unavailable(str(failures[key]))

    def _recorded_file(self, relative: str, missing: str, shown: str = "") -> bytes | Unavailable:
        """A file of the snapshot folder (a recorded answer), confined to the folder."""
        target = self._check_inside(self.root / relative, shown or relative)
        if isinstance(target, Unavailable):
            return target
        return _read_file(target, relative) if target.is_file() else Unavailable(missing)

    def recorded_json(self, name: str) -> Any | Unavailable:
        """A recorded library answer (``<name>.json``) in a snapshot."""
        if self.is_live:
            return Unavailable("live machine: nothing recorded")
        raw = self._recorded_file(f"{name}.json", f"{name}.json not in the snapshot")
        if isinstance(raw, Unavailable):
            return raw
        try:
            return strict_json(raw.decode("utf-8"))
        except (ValueError, RecursionError) as exc:
            detail = one_line(str(exc), 120)
            return Unavailable(f"{name}.json in the snapshot is not valid JSON ({detail})")


def live_os_name() -> str:
    """ "Linux", "Darwin" or "Windows" for this machine (what ``platform.system()`` says)."""
    if sys.platform == "win32":
        return "Windows"
    return os.uname().sysname


def _read_file(path: Path, shown: str) -> bytes | Unavailable:
    """A file's first MAX_READ_BYTES, or why it could not be read (``shown`` names it)."""
    try:
        with open(path, "rb") as handle:
            return _read_capped(handle)
    except OSError as exc:
        return _unreadable(shown, exc)


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
    label = _shown_path(shown or folder)
    if not manifest_path.is_file():
        raise UserError(f"{label} is not an mfu-advisor snapshot (no {SNAPSHOT_MANIFEST})")
    try:
        with open(manifest_path, "rb") as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
        if len(raw) > MAX_MANIFEST_BYTES:
            raise UserError(f"{label}: {SNAPSHOT_MANIFEST} is over {MAX_MANIFEST_BYTES:,} bytes")
        manifest = strict_json(raw.decode("utf-8"))
    except OSError as exc:
        reason = exc.strerror or exc
        raise UserError(f"{label}: {SNAPSHOT_MANIFEST} unreadable ({reason})") from None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        detail = one_line(str(exc), 120)
        raise UserError(f"{label}: {SNAPSHOT_MANIFEST} is not valid JSON ({detail})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != SNAPSHOT_FORMAT:
        raise UserError(f"{label}: {SNAPSHOT_MANIFEST} does not describe an mfu-advisor snapshot")
    version = manifest.get("version")
    if type(version) is not int or version not in KNOWN_SNAPSHOT_VERSIONS:  # not 1.0, not true
        known = ", ".join(str(v) for v in sorted(KNOWN_SNAPSHOT_VERSIONS))
        raise UserError(
            f"{label}: snapshot version {shown_value(version)} is not one this mfu-advisor "
            f"reads ({known})"
        )
    for kind in ("unreadable", "failed_commands"):
        if not isinstance(manifest.get(kind, {}), dict):
            raise UserError(f"{label}: {SNAPSHOT_MANIFEST}'s {kind!r} is not an object")
    if not isinstance(manifest.get("os", "Linux"), str):
        raise UserError(f"{label}: {SNAPSHOT_MANIFEST}'s 'os' is not a string")
    manifest["_opened_from"] = str(label)
    return manifest


def _shown_path(path: Path) -> str:
    return one_line(str(path), 200)


def _unreadable(machine_path: str, exc: OSError) -> Unavailable:
    """Why a file or folder of the machine could not be read, in words."""
    if isinstance(exc, FileNotFoundError):
        return Unavailable(f"{machine_path} not present")
    if isinstance(exc, NotADirectoryError):
        return Unavailable(f"{machine_path} is not a folder")
    if isinstance(exc, PermissionError):
        return Unavailable(f"{machine_path} not readable (permission denied)")
    return Unavailable(f"{machine_path} not readable ({exc.strerror or exc})")
