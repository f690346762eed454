"""``mfu-advisor snapshot OUT``: record the raw inputs the probe reads, for offline diagnosis."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mfu_advisor import __version__
from mfu_advisor.errors import UserError
from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import HardwareFacts
from mfu_advisor.probe.sources import (
    COMMAND_TIMEOUT_S,
    SNAPSHOT_FORMAT,
    SNAPSHOT_MANIFEST,
    MachineRoot,
)

#: Version of the snapshot layout (docs/snapshot.md).
SNAPSHOT_VERSION = 1

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")


class RecordingRoot(MachineRoot):
    """The live machine, with every read copied under ``record_dir``."""

    def __init__(self, record_dir: Path) -> None:
        super().__init__(Path("/"), is_live=True)
        self.record_dir = record_dir
        self.unreadable: dict[str, str] = {}
        self.failed_commands: dict[str, str] = {}

    def _copy_path(self, machine_path: str) -> Path:
        target = self.record_dir / self.path(machine_path).relative_to(self.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def read_text(self, machine_path: str) -> str | Unavailable:
        result = super().read_text(machine_path)
        if isinstance(result, str):
            self._copy_path(machine_path).write_text(result, encoding="utf-8")
        elif self._present(machine_path):
            # Present but unreadable: the snapshot says so rather than "not present".
            self.unreadable[machine_path] = result.reason
        return result

    def listdir(self, machine_path: str) -> list[str] | Unavailable:
        result = super().listdir(machine_path)
        if isinstance(result, Unavailable):
            if self._present(machine_path):
                self.unreadable[machine_path] = result.reason
            return result
        folder = self._copy_path(machine_path)
        folder.mkdir(exist_ok=True)
        live = self.path(machine_path)
        for name in result:
            # Sub-folders (and sysfs links to folders) become real folders so the
            # snapshot lists the same; files appear only if the probe reads them.
            if (live / name).is_dir():
                (folder / name).mkdir(exist_ok=True)
        return result

    def _present(self, machine_path: str) -> bool:
        """Whether the path exists (as a link, even) on the live machine."""
        live = self.confined(machine_path)
        return not isinstance(live, Unavailable) and os.path.lexists(live)

    def run(
        self, name: str, argv: Sequence[str], timeout_s: float = COMMAND_TIMEOUT_S
    ) -> str | Unavailable:
        result = super().run(name, argv, timeout_s)
        if isinstance(result, str):
            target = self.record_dir / "commands" / f"{name}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result, encoding="utf-8")
        else:
            self.failed_commands[name] = result.reason
        return result

    def answers(self, name: str, collect: Callable[[], Any]) -> Any | Unavailable:
        result = collect()
        (self.record_dir / f"{name}.json").write_text(
            json.dumps(result, indent=1, default=str), encoding="utf-8"
        )
        return result


def write_snapshot(
    out: str | os.PathLike[str], *, include_torch: bool = True, redact: bool = False
) -> HardwareFacts:
    """Record this machine into ``out`` (a new folder, or a ``.tar.gz``); never overwrites."""
    from mfu_advisor.probe import probe_machine

    target = Path(out)
    if os.path.lexists(target):
        raise UserError(f"{target} already exists; not overwriting it (choose a new name)")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise UserError(f"cannot write {target}: folder {parent} does not exist")
    try:
        work = Path(tempfile.mkdtemp(prefix=".mfu-advisor-snapshot-", dir=parent))
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        tree = work / _tree_name(target)
        tree.mkdir()
        recorder = RecordingRoot(tree)
        facts = probe_machine(recorder, include_torch=include_torch, fresh_torch=True)
        _write_manifest(tree, recorder, include_torch, redact)
        if redact:
            redact_tree(tree)
        if target.name.endswith(ARCHIVE_SUFFIXES):
            _publish_archive(tree, work, target)
        else:
            _publish_folder(tree, target)
    except OSError as exc:  # a full disk or a vanished folder while recording
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return facts


def _tree_name(target: Path) -> str:
    name = target.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)] or "snapshot"
    return name or "snapshot"


def _write_manifest(
    tree: Path, recorder: RecordingRoot, include_torch: bool, redacted: bool
) -> None:
    manifest = {
        "format": SNAPSHOT_FORMAT,
        "version": SNAPSHOT_VERSION,
        "os": platform.system(),
        "created_at": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "tool_version": __version__,
        "python_version": platform.python_version(),
        "includes_torch": include_torch,
        "unreadable": dict(sorted(recorder.unreadable.items())),
        "failed_commands": dict(sorted(recorder.failed_commands.items())),
    }
    if redacted:
        manifest["redacted"] = True
    (tree / SNAPSHOT_MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


#: Files whose whole content is the host name.
_HOSTNAME_FILES = ("proc/sys/kernel/hostname", "etc/hostname", "proc/sys/kernel/domainname")
#: Files whose whole content is a serial number or a machine's UUID (DMI, sysfs).
_SERIAL_FILES = ("serial", "uuid", "machine-id", "boot_id", "product_uuid")


def redact_tree(tree: Path) -> None:
    """Remove identifying values from every file of a recorded snapshot, in place."""
    from mfu_advisor.redaction import find_secrets, redact_text, redact_value

    files = sorted(p for p in tree.rglob("*") if p.is_file() and not p.is_symlink())
    texts = {p: p.read_text(encoding="utf-8", errors="replace") for p in files}
    hostname = texts.get(tree / "proc/sys/kernel/hostname", "").strip()
    secrets = find_secrets({"hostname": hostname, "files": list(texts.values())}, local=True)
    for path, text in texts.items():
        if path.name == SNAPSHOT_MANIFEST:
            continue
        if path.relative_to(tree).as_posix() in _HOSTNAME_FILES:
            new = "<host>\n" if text.strip() else text
        elif any(marker in path.name for marker in _SERIAL_FILES) and path.suffix != ".json":
            new = "<serial>\n" if text.strip() else text
        elif path.suffix == ".json":
            try:
                new = json.dumps(redact_value(json.loads(text), secrets), indent=1)
            except ValueError:
                new = redact_text(text, secrets)
        else:
            new = redact_text(text, secrets)
        if new != text:
            path.write_text(new, encoding="utf-8")


def _publish_folder(tree: Path, target: Path) -> None:
    if os.path.lexists(target):
        raise UserError(f"{target} already exists; not overwriting it (choose a new name)")
    try:
        os.rename(tree, target)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None


def _publish_archive(tree: Path, work: Path, target: Path) -> None:
    staged = work / "archive.tar.gz"
    try:
        with tarfile.open(staged, "w:gz") as tar:
            tar.add(tree, arcname=tree.name)
        # A hard link publishes the finished archive atomically and fails if
        # the name was taken meanwhile; rename is the fallback where links are not allowed.
        try:
            os.link(staged, target)
        except FileExistsError:
            raise UserError(f"{target} already exists; not overwriting it") from None
        except OSError:
            if os.path.lexists(target):
                raise UserError(f"{target} already exists; not overwriting it") from None
            os.rename(staged, target)
    except OSError as exc:
        raise UserError(f"cannot write {target}: {exc.strerror or exc}") from None
