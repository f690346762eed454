"""``--redact``: remove what identifies a person or a machine from a report, in every format.

Removed (docs/reports.md, one test per kind):

- host names: the probe's ``hostname`` field (and any field named like it),
  this machine's host name, and each of them wherever it appears inside
  other text (log lines, paths, config values), as ``<host>``;
- user names: fields named ``user``/``username``, the names in home paths,
  this process's user name, and each of them inside other text, as ``<user>``;
- home paths: ``/home/<name>``, ``/Users/<name>``, ``C:\\Users\\<name>``,
  ``~name`` and ``/root`` become ``~``;
- serial numbers and UUIDs: fields named ``serial``/``uuid`` (any case,
  ``board_serial``, ``serial_number``...), NVIDIA ``GPU-``/``MIG-`` UUIDs and
  any other UUID inside text;
- IPv4 addresses other than loopback and unspecified, as ``<ip>`` (a
  distributed run's log names its nodes by address); the host of a
  rendezvous or master address (a bench's ``distributed.rdzv_endpoint``, a
  pasted ``--rdzv-endpoint node0:29400``, ``--master_addr``, ``MASTER_ADDR=``)
  is a host name like any other.

Redaction works on the JSON payload, so every renderer (text, JSON,
Markdown, HTML) shows the same redacted report; the report is marked
``redacted: true``. Nothing else is changed: numbers, model names and
configuration keys stay, so a redacted report still diagnoses.
"""

from __future__ import annotations

import dataclasses
import getpass
import re
import socket
from collections.abc import Mapping
from typing import Any

from mfu_advisor.report.model import Report

HOST = "<host>"
USER = "<user>"
SERIAL = "<serial>"
IP = "<ip>"

#: Field names (lower case) whose value is a host name, a user name, or a serial/UUID.
HOST_FIELDS = frozenset({"hostname", "host_name", "nodename", "node_name", "fqdn", "host"})
USER_FIELDS = frozenset({"user", "username", "user_name", "login", "owner"})
SERIAL_FIELDS = re.compile(r"(?i)(serial|uuid|guid|board_id|machine_id)")

#: Names too generic to hunt for inside other text: replacing them would redact nothing
#: personal and garble ordinary words ("root" in "--root SNAPSHOT").
GENERIC_NAMES = frozenset({"root", "localhost", "user", "admin", "runner", "ubuntu", "debian"})

_HOME = re.compile(
    r"(?:/home/|/Users/|/export/home/)(?P<unix>[^/\s\"'`:;,]+)"
    r"|[A-Za-z]:\\\\?Users\\\\?(?P<windows>[^\\\s\"'`:;,]+)"
    r"|(?<![\w/])~(?P<tilde>[a-z_][a-z0-9_.-]*)"
)
_ROOT_HOME = re.compile(r"(?<![\w.-])/root(?=/|\b)")
_GPU_UUID = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_KEEP_IPS = frozenset({"127.0.0.1", "0.0.0.0", "255.255.255.255"})

#: Fields whose value is HOST:PORT (a rendezvous or master address).
ENDPOINT_FIELDS = frozenset({"rdzv_endpoint", "master_addr", "master_address"})
#: A rendezvous or master host on a command line or in an environment assignment.
_ENDPOINT_IN_TEXT = re.compile(
    r"(?:--rdzv[-_]endpoint|--master[-_]addr|MASTER_ADDR)[= ]\s*[\"']?(?P<host>[A-Za-z0-9_.-]+)"
)


@dataclasses.dataclass(frozen=True)
class Secrets:
    """The identifying words found in a report (and on this machine), to be replaced in text."""

    hosts: frozenset[str]
    users: frozenset[str]


def redact_report(report: Report) -> Report:
    """A copy of ``report`` with host names, user names, home paths and serials removed."""
    secrets = find_secrets(report.payload, local=True)
    payload = redact_value(report.payload, secrets, memo={})
    return dataclasses.replace(report, payload=payload, redacted=True)


def find_secrets(payload: Any, *, local: bool = True) -> Secrets:
    """Host and user names held by the payload's fields and home paths (and this machine's)."""
    hosts: set[str] = set()
    users: set[str] = set()
    for key, value in _strings(payload):
        if not value.strip():
            continue
        name = key.lower()
        if name in HOST_FIELDS:
            hosts.update(_host_forms(value))
        elif name in ENDPOINT_FIELDS:
            hosts.update(_host_forms(value.rsplit(":", 1)[0]))
        elif name in USER_FIELDS:
            users.add(value.strip())
        for match in _HOME.finditer(value):
            users.add(next(g for g in match.groups() if g))
        for match in _ENDPOINT_IN_TEXT.finditer(value):
            hosts.update(_host_forms(match.group("host")))
    if local:
        hosts.update(_host_forms(_local_host()))
        users.add(_local_user())
    return Secrets(
        hosts=frozenset(h for h in hosts if _worth_hunting(h)),
        users=frozenset(u for u in users if _worth_hunting(u)),
    )


#: Leaf types that hold nothing to redact (the bulk of a long series).
_PLAIN = (int, float, bool, type(None))


def _strings(data: Any) -> list[tuple[str, str]]:
    """Every string in ``data`` with the key it sits under (a list's items share its key)."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        key, item = stack.pop()
        kind = type(item)
        if kind in _PLAIN:
            continue
        if kind is str:
            found.append((key, item))
        elif isinstance(item, Mapping):
            stack.extend((str(k), v) for k, v in item.items() if type(v) not in _PLAIN)
        elif isinstance(item, (list, tuple)):
            stack.extend((key, v) for v in item if type(v) not in _PLAIN)
    return found


def _host_forms(name: str) -> set[str]:
    """A host name and its short form ("gpu-07.lab.example.org" -> also "gpu-07")."""
    name = name.strip()
    if not name:
        return set()
    return {name, name.split(".")[0]}


def _local_host() -> str:
    try:
        return socket.gethostname()
    except OSError:
        return ""


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def _worth_hunting(word: str) -> bool:
    return len(word) >= 2 and word.lower() not in GENERIC_NAMES and not word.isdigit()


def redact_value(
    data: Any, secrets: Secrets, key: str = "", memo: dict[str, str] | None = None
) -> Any:
    """``data`` with identifying fields replaced and every string scrubbed.

    ``memo`` remembers scrubbed strings: a 100,000-step series repeats the same
    few keys in every row.
    """
    memo = {} if memo is None else memo
    if type(data) in _PLAIN:
        return data
    if isinstance(data, dict):  # JSON objects are dicts: skip the slower ABC check
        return {
            _scrub(str(k), secrets, memo): redact_value(v, secrets, str(k), memo)
            for k, v in data.items()
        }
    if isinstance(data, Mapping):
        return {
            _scrub(str(k), secrets, memo): redact_value(v, secrets, str(k), memo)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact_value(v, secrets, key, memo) for v in data]
    if not isinstance(data, str):
        return data
    name = key.lower()
    if name in HOST_FIELDS and data.strip():
        return HOST
    if name in USER_FIELDS and data.strip():
        return USER
    if SERIAL_FIELDS.search(name) and data.strip():
        return SERIAL
    return _scrub(data, secrets, memo)


def _scrub(text: str, secrets: Secrets, memo: dict[str, str]) -> str:
    done = memo.get(text)
    if done is None:
        done = memo[text] = redact_text(text, secrets)
    return done


def redact_text(text: str, secrets: Secrets) -> str:
    """Scrub one string: home paths, GPU UUIDs, UUIDs, IPs, then known host and user names."""
    out = _HOME.sub("~", text)
    out = _ROOT_HOME.sub("~", out)
    out = _GPU_UUID.sub(lambda m: f"{m.group(1)}-{SERIAL}", out)
    out = _UUID.sub(SERIAL, out)
    out = _IPV4.sub(lambda m: m.group(0) if m.group(0) in _KEEP_IPS else IP, out)
    # Longest first, so "gpu-07.lab" goes before "gpu-07".
    for word, replacement in sorted(
        [(h, HOST) for h in secrets.hosts] + [(u, USER) for u in secrets.users],
        key=lambda pair: -len(pair[0]),
    ):
        out = _word(word).sub(replacement, out)
    return out


_WORD_CACHE: dict[str, re.Pattern[str]] = {}


def _word(word: str) -> re.Pattern[str]:
    # A name counts only as a whole word: "ana" is redacted in "user ana" and "/ana/"
    # but not inside "analysis".
    pattern = _WORD_CACHE.get(word)
    if pattern is None:
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])")
        _WORD_CACHE[word] = pattern
    return pattern
