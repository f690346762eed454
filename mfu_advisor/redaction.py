"""Removing what identifies a person, a machine or an account from data and text.

Used by ``--redact`` on every report (report/output.py) and by ``snapshot --redact``
(probe/snapshot.py). What goes, and what replaces it, is the table in
``mfu_advisor/data/redaction.toml``. Two passes: :func:`find_secrets` learns the host and
user names a document holds, then :func:`redact_value` replaces identifying fields and
scrubs every string with :func:`redact_text`, which applies the table's patterns and hunts
the learnt names as whole words, in any case.
"""

from __future__ import annotations

import dataclasses
import functools
import getpass
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mfu_advisor.files import data_file

HOST = "<host>"
USER = "<user>"
SERIAL = "<serial>"
SECRET = "<secret>"
PATH = "<path>"

#: Most node names one SLURM list expands to (gpu[0001-9999] is still one pattern).
_MAX_NODES = 256

#: Leaf types that hold nothing to redact (the bulk of a long series).
_PLAIN = (int, float, bool, type(None))


@dataclasses.dataclass(frozen=True)
class _Scrub:
    """One row of the table: a pattern and what replaces its matches."""

    pattern: re.Pattern[str]
    replace: str | Callable[[re.Match[str]], str]
    when: tuple[str, ...]


@functools.cache
def _table() -> dict[str, Any]:
    """redaction.toml, read once; its patterns compiled under ``re`` and ``scrubs``."""
    table = dict(data_file("redaction.toml"))  # a copy: compiled entries are added below
    table["re"] = {row["name"]: re.compile("".join(row["pattern"])) for row in table["scrub"]}
    for key in ("serial_field", "secret_field"):  # "".join: a long pattern is a list of parts
        table[key] = re.compile("".join(table[key]))
    table["scrubs"] = tuple(
        _Scrub(
            table["re"][row["name"]],
            _CALLS[row["call"]] if "call" in row else row["replace"],
            tuple(row.get("when", ())),
        )
        for row in table["scrub"]
    )
    for key in ("host_fields", "user_fields", "endpoint_fields", "generic_names", "public_hosts"):
        table[key] = frozenset(table[key])
    return table


def _re(name: str) -> re.Pattern[str]:
    return _table()["re"][name]  # type: ignore[no-any-return]


@dataclasses.dataclass(frozen=True)
class Secrets:
    """The identifying words found in a document (and on this machine), hunted in text."""

    hosts: frozenset[str]
    users: frozenset[str]


def find_secrets(data: Any, *, local: bool = True) -> Secrets:
    """Host and user names that ``data``'s fields and text hold (and this machine's own)."""
    table = _table()
    hosts: set[str] = set()
    users: set[str] = set()
    for key, value in _strings(data):
        if not value.strip():
            continue
        name = key.lower()
        if name in table["endpoint_fields"]:
            hosts.update(_host_forms(_strip_port(value)))
        elif name in table["host_fields"]:
            hosts.update(_host_forms(value))
        elif name in table["user_fields"]:
            users.add(value.strip())
        learn_from_text(value, hosts, users)
    if local:
        hosts.update(_host_forms(local_host()))
        users.add(local_user())
    return Secrets(
        hosts=frozenset(h for h in hosts if _worth_hunting(h)),
        users=frozenset(u for u in users if _worth_hunting(u)),
    )


def names_in(texts: Iterable[str]) -> Secrets:
    """The names that ``texts`` reveal by their patterns alone (snapshot files)."""
    return find_secrets(list(texts), local=False)


def learn_from_text(text: str, hosts: set[str], users: set[str]) -> None:
    """Add the host and user names that patterns in ``text`` reveal."""
    for match in _re("home").finditer(text):
        users.add(next(g for g in (match["unix"], match["windows"], match["tilde"]) if g))
    if "@" in text:
        for match in _re("prompt").finditer(text):
            users.add(match["user"])
            hosts.update(_host_forms(match["host"]))
        users.update(match["user"] for match in _re("url_user").finditer(text))
    if "://" in text:
        users.update(match["user"] for match in _re("url_credentials").finditer(text))
    for name in ("endpoint", "nccl_prefix"):
        for match in _re(name).finditer(text):
            hosts.update(_host_forms(match["host"]))
    if "SLURM" in text or "=" in text:
        for match in _re("slurm").finditer(text):
            target = users if _names_user(match["key"]) else hosts
            target.update(_expand_node_list(match["value"]))


def redact_value(
    data: Any, secrets: Secrets, key: str = "", memo: dict[str, str] | None = None
) -> Any:
    """``data`` with identifying fields replaced and every string scrubbed.

    ``memo`` remembers scrubbed strings: a long series repeats the same keys in every row.
    """
    memo = {} if memo is None else memo
    if type(data) in _PLAIN:
        return data
    if isinstance(data, Mapping):
        return {
            _scrub(str(k), secrets, memo): redact_value(v, secrets, str(k), memo)
            for k, v in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [redact_value(v, secrets, key, memo) for v in data]
    if not isinstance(data, str):
        return data
    name = key.lower()
    table = _table()
    if data.strip():
        if name in table["endpoint_fields"] and ":" in data:
            return f"{HOST}:{data.rsplit(':', 1)[1]}"
        if name in table["host_fields"]:
            return HOST
        if name in table["user_fields"]:
            return USER
        if table["serial_field"].search(name):
            return SERIAL
        if table["secret_field"].search(name) and not _is_setting(data):
            return SECRET
    return _scrub(data, secrets, memo)


def redact_text(text: str, secrets: Secrets) -> str:
    """Scrub one string: every pattern of the table, then the known host and user names."""
    out = text
    for scrub in _table()["scrubs"]:
        if not scrub.when or any(s in out for s in scrub.when):
            out = scrub.pattern.sub(scrub.replace, out)
    # Longest first, so "gpu-07.lab" goes before "gpu-07".
    for word, replacement in sorted(
        [(h, HOST) for h in secrets.hosts] + [(u, USER) for u in secrets.users],
        key=lambda pair: -len(pair[0]),
    ):
        if word.lower() in out.lower():
            out = _word(word).sub(replacement, out)
    return out


def local_host() -> str:
    """This machine's host name ("" when it cannot be read)."""
    try:
        return socket.gethostname()
    except OSError:
        return ""


def local_user() -> str:
    """This process's user name ("" when it cannot be read)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


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
            for k, v in item.items():
                found.append(("", str(k)))
                if type(v) not in _PLAIN:
                    stack.append((str(k), v))
        elif isinstance(item, (list, tuple)):
            stack.extend((key, v) for v in item if type(v) not in _PLAIN)
    return found


def _scrub(text: str, secrets: Secrets, memo: dict[str, str]) -> str:
    done = memo.get(text)
    if done is None:
        done = memo[text] = redact_text(text, secrets)
    return done


def _strip_port(value: str) -> str:
    value = value.strip()
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _host_forms(name: str) -> set[str]:
    """A host name and its short form ("gpu-07.lab.example.org" -> also "gpu-07")."""
    name = name.strip().strip("\"'")
    if not name or _is_ip(name) or name.lower() in _table()["public_hosts"]:
        return set()
    return {name, name.split(".")[0]}


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _worth_hunting(word: str) -> bool:
    return (
        len(word) >= 2
        and word.lower() not in _table()["generic_names"]
        and not word.isdigit()
        and not word.startswith("<")
    )


def _expand_node_list(value: str) -> set[str]:
    """SLURM's compact list "gpu[01-03,07],login1" as names, plus each prefix."""
    names: set[str] = set()
    for part in re.findall(r"[^,\[]+(?:\[[^\]]*\])?[^,\[]*", value):
        part = part.strip(",")
        match = re.fullmatch(r"(?P<head>[^\[]*)\[(?P<ranges>[^\]]*)\](?P<tail>.*)", part)
        if match is None:
            if part:
                names.add(part.split("(")[0])
            continue
        head, tail = match["head"], match["tail"]
        if len(head) >= 3:
            names.add(head.rstrip("-_"))
        for item in match["ranges"].split(","):
            low, _, high = item.partition("-")
            if not low.isdigit():
                continue
            stop = int(high) if high.isdigit() else int(low)
            for number in range(int(low), min(stop, int(low) + _MAX_NODES) + 1):
                names.add(f"{head}{number:0{len(low)}d}{tail}")
    return names


def _names_user(key: str) -> bool:
    """Whether a SLURM key names a user, an account or a group (else a node)."""
    key = key.lower()
    return "user" in key or "account" in key or "group" in key


def _is_setting(value: str) -> bool:
    """A value that only names a setting, not a secret ("true", "none", a number)."""
    value = value.strip()
    return value.lower() in {"true", "false", "none", "null", "", SECRET} or (
        value.isdigit() and len(value) < 6
    )


def _secret(match: re.Match[str]) -> str:
    value = match["value"]
    if _is_setting(value) or value.startswith("<"):
        return match.group(0)
    return f"{match['key']}{SECRET}"


def _home(match: re.Match[str]) -> str:
    prefix = match["prefix"]
    return "~" if prefix is None or prefix in _table()["home_prefixes"] else f"{prefix}{USER}"


def _mac(match: re.Match[str]) -> str:
    digits = match.group(0).lower().replace("-", ":")
    return match.group(0) if digits in ("ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00") else "<mac>"


def _ip(match: re.Match[str]) -> str:
    return match.group(0) if match.group(0) in _table()["keep_ips"] else "<ip>"


def _ipv6(match: re.Match[str]) -> str:
    try:
        parsed = ipaddress.IPv6Address(match.group(0).split("%")[0])
    except ValueError:
        return match.group(0)
    return match.group(0) if str(parsed) in _table()["keep_ips"] else "<ip>"


def _nccl(match: re.Match[str]) -> str:
    if match["host"].startswith("<"):
        return match.group(0)
    return f"{HOST}:{match['pid']}:{match['tid']}"


def _slurm(match: re.Match[str]) -> str:
    marker = USER if _names_user(match["key"]) else HOST
    return f"{match['key']}{match['sep']}{PATH if 'dir' in match['key'].lower() else marker}"


def _fqdn(match: re.Match[str]) -> str:
    name = match.group(0).lower()
    public = _table()["public_hosts"]
    return match.group(0) if name in public or any(name.endswith("." + h) for h in public) else HOST


_CALLS: dict[str, Callable[[re.Match[str]], str]] = {
    "secret": _secret,
    "home": _home,
    "mac": _mac,
    "ip": _ip,
    "ipv6": _ipv6,
    "nccl": _nccl,
    "slurm": _slurm,
    "fqdn": _fqdn,
}


@functools.cache
def _word(word: str) -> re.Pattern[str]:
    # A name counts only as a whole word, in any case: "ana" is redacted in "user ANA"
    # and "/ana/" but not inside "analysis".
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", re.IGNORECASE)
