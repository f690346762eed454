"""Removing what identifies a person, a machine or an account from data and text.

Used by ``--redact`` on every report (report/redact.py) and by
``snapshot --redact`` (probe/snapshot.py); docs/reports.md lists what goes.
Two passes: :func:`find_secrets` learns the names a document holds (host and
user fields, home folders, prompts, NCCL prefixes, SLURM variables,
rendezvous addresses, this machine's own names), then :func:`redact_value`
replaces identifying fields outright and scrubs every string with
:func:`redact_text`, which removes patterns (addresses, keys, tokens, serial
numbers, user folders) and hunts the learnt names as whole words, in any case.

Replacements say what was there: ``<host>``, ``<user>``, ``<serial>``,
``<ip>``, ``<mac>``, ``<email>``, ``<secret>``, ``<path>``. Numbers, model
names and configuration keys stay, so a redacted report still diagnoses.
"""

from __future__ import annotations

import dataclasses
import getpass
import ipaddress
import re
import socket
from collections.abc import Iterable, Mapping
from typing import Any

HOST = "<host>"
USER = "<user>"
SERIAL = "<serial>"
IP = "<ip>"
MAC = "<mac>"
EMAIL = "<email>"
SECRET = "<secret>"
PATH = "<path>"

#: Field names (lower case) whose value is a host name, a user name, or a serial/UUID.
HOST_FIELDS = frozenset(
    {"hostname", "host_name", "nodename", "node_name", "fqdn", "host", "master_addr"}
)
USER_FIELDS = frozenset({"user", "username", "user_name", "login", "owner"})
SERIAL_FIELDS = re.compile(r"(?i)(serial|uuid|guid|board_id|machine_id)")
#: Field names whose whole value is a secret (``WANDB_API_KEY``, ``hf_token``, ``password``);
#: not a rate such as ``flops_per_token``.
SECRET_FIELDS = re.compile(
    r"(?i)(?:^|(?<!per)[_.-])(?:api_?key|token|secret|secret_?key|passw(?:or)?d|credentials?"
    r"|authorization|access_?key)$"
)

#: Names too generic to hunt for inside other text: replacing them would redact nothing
#: personal and garble ordinary words ("root" in "--root SNAPSHOT").
GENERIC_NAMES = frozenset(
    {
        "root", "localhost", "user", "admin", "runner", "ubuntu", "debian", "host", "node",
        "nobody", "home", "data", "users", "scratch", "work", "tmp", "local", "default",
        "master", "main", "login", "gpu", "cpu", "cuda", "rank", "none", "null", "true", "false",
        "git", "www", "api", "ssh", "http", "https", "guest", "server", "desktop", "laptop",
        "workstation", "machine", "computer", "container", "docker", "vm", "linux",
    }
)  # fmt: skip

# -- patterns -----------------------------------------------------------------------------

#: Folders named after their user: the name is replaced and learnt.
_USER_DIRS = (
    r"/home/|/Users/|/export/home/|/scratch/|/data/users/|/users/|/u/|/nfs/home/|/mnt/home/"
    r"|/gpfs/home/|/work/users/|/fsx/users/"
)
_HOME = re.compile(
    rf"(?P<prefix>{_USER_DIRS})(?P<unix>[^/\s\"'`:;,<>]+)"
    r"|[A-Za-z]:\\\\?Users\\\\?(?P<windows>[^\\\s\"'`:;,<>]+)"
    r"|(?<![\w/~])~(?P<tilde>[a-z_][a-z0-9_.-]*)"
)
_HOME_PREFIXES = ("/home/", "/Users/", "/export/home/", "/nfs/home/", "/mnt/home/", "/gpfs/home/")
_ROOT_HOME = re.compile(r"(?<![\w.-])/root(?=/|\b)")
#: Parallel file systems hold users' folders at site-specific depths: all but the mount goes.
_CLUSTER_FS = re.compile(
    r"(?P<fs>/(?:lustre|gpfs|fsx|beegfs|orangefs|cephfs|weka))/[^\s\"'`:;,<>]+"
)
_GPU_UUID = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
_MAC = re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\.?\d)")
_IPV6_CANDIDATE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%[\w.-]+)?(?![\w:])"
)
_KEEP_IPS = frozenset({"127.0.0.1", "0.0.0.0", "255.255.255.255", "::", "::1"})
#: "Serial Number : 1320...", "serial_number=...", "Serial: ..." (nvidia-smi -q, dmidecode).
_SERIAL_LINE = re.compile(
    r"(?i)(?P<key>\bserial(?:[ _-]?(?:number|num|no\.?))?\s*[:=]\s*)(?P<value>[^\s,;\"'<>]+)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
#: Shell prompts and ssh targets: "alice@gpu-07:~$", "alice@10.0.0.5:".
_PROMPT = re.compile(r"(?<![\w.%+-])(?P<user>[a-z_][\w.-]*)@(?P<host>[A-Za-z0-9][\w.-]*)(?=:)")
#: NCCL's line prefix "host:pid:tid [rank]" (NCCL_DEBUG=INFO).
_NCCL_PREFIX = re.compile(
    r"(?<![\w.-])(?P<host>[A-Za-z][\w.-]*):(?P<pid>\d+):(?P<tid>\d+)(?=\s+\[\d+\])"
)
#: SLURM's names of nodes and users, as variables (SLURM_JOB_NODELIST=gpu[01-04]) or as
#: scontrol prints them (NodeList=..., UserId=alice(1001), BatchHost=...).
_SLURM = re.compile(
    r"(?P<key>\bSLURM[A-Z_]*?(?:NODELIST|NODENAME|_HOST|SUBMIT_HOST|JOB_USER|_USER"
    r"|JOB_ACCOUNT|CLUSTER_NAME|TOPOLOGY_ADDR|SUBMIT_DIR|WORKING_DIR)"
    r"|\b(?:NodeList|BatchHost|UserId|GroupId|SubmitHost|AllocNode:Sid|ReqNodeList|Nodes))"
    r"(?P<sep>\s*[=:]\s*)"
    r"(?P<value>(?:[^\s,\"'<>()\[]+|\[[^\]\s]*\])+(?:,(?:[^\s,\"'<>()\[]+|\[[^\]\s]*\])+)*)"
)
#: A rendezvous or master host on a command line, in the environment, YAML or JSON.
_ENDPOINT_IN_TEXT = re.compile(
    r"(?i)(?P<key>--rdzv[-_]endpoint|--master[-_]addr(?:ess)?|\bMASTER_ADDR(?:ESS)?|\brdzv_endpoint"
    r"|\bmaster_address)(?P<sep>[\"']?\s*[=: ]\s*[\"']?)(?P<host>[A-Za-z0-9_][A-Za-z0-9_.-]*)"
)
#: Fields whose value is HOST:PORT (a rendezvous or master address).
ENDPOINT_FIELDS = frozenset({"rdzv_endpoint", "master_addr", "master_address"})
#: "NAME=value" or "name: value" where the name says it is a secret.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)(?P<key>\b[\w.-]*(?<!per[_-])(?:api[_-]?key|token|secret|secret[_-]?key|passw(?:or)?d|pwd"
    r"|credentials?|access[_-]?key)[\"']?\s*[=:]\s*[\"']?)(?P<value>[^\s\"',;]+)"
)
#: "--password VALUE", "--hf-token VALUE" on a command line.
_SECRET_FLAG = re.compile(
    r"(?i)(?P<key>(?<![\w-])--?[\w-]*(?:api[_-]?key|token|secret|passw(?:or)?d|pwd|credentials?)"
    r"\s+[\"']?)(?P<value>[^\s\"'-][^\s\"']*)"
)
_AUTHORIZATION = re.compile(
    r"(?i)(?P<key>\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?"
    r"(?:(?:bearer|basic|token|digest)\s+)?)(?P<value>[^\s\"',;]+)"
)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<user>[^/\s:@]+):[^/\s@]+@")
_URL_USER = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)(?P<user>[^/\s:@]+)@")
#: Well-known token shapes, wherever they stand (AWS access key IDs, GitHub, Hugging
#: Face, OpenAI, Slack tokens).
_TOKEN = re.compile(
    r"\b(?:(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{22,}|hf_[A-Za-z0-9]{30,}|sk-[A-Za-z0-9_-]{20,}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,})\b"
)
#: Weights & Biases run, project and user pages name the entity (a person or team).
_WANDB_URL = re.compile(r"(?i)(?P<site>\bwandb\.ai|\bapi\.wandb\.ai)/[^\s\"'<>)\]]+")
#: A dotted host name ending in a top-level domain. Public services a report may
#: legitimately cite stay (pytorch.org, github.com...).
_TLDS = (
    "com|org|net|edu|gov|mil|int|io|ai|co|us|uk|de|fr|nl|ch|se|no|fi|dk|it|es|pl|cz|at|be|jp|cn"
    "|kr|in|au|ca|br|ru|tw|sg|il|eu|info|biz|cloud|dev|app|tech|site|local|localdomain|lan"
    "|internal|intranet|corp|home|cluster|priv|private"
)
_FQDN = re.compile(rf"(?<![\w.@/-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,62}})\.)+(?:{_TLDS})(?![\w-])")
PUBLIC_HOSTS = frozenset(
    {
        "github.com", "pytorch.org", "download.pytorch.org", "docs.pytorch.org", "python.org",
        "docs.python.org", "pypi.org", "huggingface.co", "nvidia.com", "docs.nvidia.com",
        "developer.nvidia.com", "amd.com", "intel.com", "arm.com", "wandb.ai", "no-color.org",
        "example.com", "raw.githubusercontent.com", "arxiv.org", "specifications.freedesktop.org",
    }
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Secrets:
    """The identifying words found in a document (and on this machine), hunted in text."""

    hosts: frozenset[str]
    users: frozenset[str]


def find_secrets(data: Any, *, local: bool = True) -> Secrets:
    """Host and user names that ``data``'s fields and text hold (and this machine's own)."""
    hosts: set[str] = set()
    users: set[str] = set()
    for key, value in _strings(data):
        if not value.strip():
            continue
        name = key.lower()
        if name in ENDPOINT_FIELDS:
            hosts.update(_host_forms(_strip_port(value)))
        elif name in HOST_FIELDS:
            hosts.update(_host_forms(value))
        elif name in USER_FIELDS:
            users.add(value.strip())
        learn_from_text(value, hosts, users)
    if local:
        hosts.update(_host_forms(local_host()))
        users.add(local_user())
    return Secrets(
        hosts=frozenset(h for h in hosts if _worth_hunting(h)),
        users=frozenset(u for u in users if _worth_hunting(u)),
    )


def learn_from_text(text: str, hosts: set[str], users: set[str]) -> None:
    """Add the host and user names that patterns in ``text`` reveal."""
    for match in _HOME.finditer(text):
        users.add(next(g for g in (match["unix"], match["windows"], match["tilde"]) if g))
    if "@" in text:
        for match in _PROMPT.finditer(text):
            users.add(match["user"])
            hosts.update(_host_forms(match["host"]))
        for match in _URL_USER.finditer(text):
            users.add(match["user"])
    if "://" in text:
        for match in _URL_CREDENTIALS.finditer(text):
            users.add(match["user"])
    for match in _ENDPOINT_IN_TEXT.finditer(text):
        hosts.update(_host_forms(match["host"]))
    for match in _NCCL_PREFIX.finditer(text):
        hosts.update(_host_forms(match["host"]))
    if "SLURM" in text or "=" in text:
        for match in _SLURM.finditer(text):
            key = match["key"].lower()
            target = users if ("user" in key or "account" in key or "group" in key) else hosts
            target.update(_expand_node_list(match["value"]))


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
    if data.strip():
        if name in ENDPOINT_FIELDS and ":" in data:
            return f"{HOST}:{data.rsplit(':', 1)[1]}"
        if name in HOST_FIELDS:
            return HOST
        if name in USER_FIELDS:
            return USER
        if SERIAL_FIELDS.search(name):
            return SERIAL
        if SECRET_FIELDS.search(name) and not _is_setting(data):
            return SECRET
    return _scrub(data, secrets, memo)


def redact_text(text: str, secrets: Secrets) -> str:
    """Scrub one string: every pattern, then the known host and user names."""
    out = text
    if "=" in out or ":" in out:
        out = _AUTHORIZATION.sub(lambda m: f"{m['key']}{SECRET}", out)
        out = _SECRET_ASSIGNMENT.sub(_secret_assignment, out)
    if "-" in out:
        out = _SECRET_FLAG.sub(_secret_assignment, out)
    out = _TOKEN.sub(SECRET, out)
    if "://" in out:
        out = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{USER}:{SECRET}@", out)
        out = _URL_USER.sub(lambda m: f"{m['scheme']}{USER}@", out)
    out = _WANDB_URL.sub(lambda m: f"{m['site']}/{PATH}", out)
    if "@" in out:
        out = _PROMPT.sub(f"{USER}@{HOST}", out)
        out = _EMAIL.sub(EMAIL, out)
    out = _HOME.sub(_home_replacement, out)
    out = _ROOT_HOME.sub("~", out)
    out = _CLUSTER_FS.sub(lambda m: f"{m['fs']}/{PATH}", out)
    out = _GPU_UUID.sub(lambda m: f"{m.group(1)}-{SERIAL}", out)
    out = _UUID.sub(SERIAL, out)
    out = _SERIAL_LINE.sub(lambda m: f"{m['key']}{SERIAL}", out)
    out = _MAC.sub(_mac_replacement, out)
    out = _IPV4.sub(lambda m: m.group(0) if m.group(0) in _KEEP_IPS else IP, out)
    if "::" in out or out.count(":") >= 7:
        out = _IPV6_CANDIDATE.sub(_ipv6_replacement, out)
    out = _ENDPOINT_IN_TEXT.sub(lambda m: f"{m['key']}{m['sep']}{HOST}", out)
    out = _NCCL_PREFIX.sub(_nccl_replacement, out)
    out = _SLURM.sub(_slurm_replacement, out)
    out = _FQDN.sub(_fqdn_replacement, out)
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


# -- helpers ------------------------------------------------------------------------------

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
    if value.count(":") == 1:
        return value.rsplit(":", 1)[0]
    return value


def _host_forms(name: str) -> set[str]:
    """A host name and its short form ("gpu-07.lab.example.org" -> also "gpu-07")."""
    name = name.strip().strip("\"'")
    if not name or _is_ip(name) or name.lower() in PUBLIC_HOSTS:
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
        and word.lower() not in GENERIC_NAMES
        and not word.isdigit()
        and not word.startswith("<")
    )


#: Most node names one SLURM list expands to (gpu[0001-9999] is still one pattern).
_MAX_NODES = 256


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


def _is_setting(value: str) -> bool:
    """A value that only names a setting, not a secret ("true", "none", a number)."""
    return value.strip().lower() in {"true", "false", "none", "null", "", "<secret>"} or (
        value.strip().isdigit() and len(value.strip()) < 6
    )


def _secret_assignment(match: re.Match[str]) -> str:
    value = match["value"]
    if _is_setting(value) or value.startswith("<"):
        return match.group(0)
    return f"{match['key']}{SECRET}"


def _home_replacement(match: re.Match[str]) -> str:
    prefix = match["prefix"]
    if prefix is None or prefix in _HOME_PREFIXES:
        return "~"
    return f"{prefix}{USER}"


def _mac_replacement(match: re.Match[str]) -> str:
    # The broadcast and all-zero addresses name no device.
    digits = match.group(0).lower().replace("-", ":")
    return match.group(0) if digits in ("ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00") else MAC


def _ipv6_replacement(match: re.Match[str]) -> str:
    text = match.group(0)
    address = text.split("%")[0]
    try:
        parsed = ipaddress.IPv6Address(address)
    except ValueError:
        return text
    return text if str(parsed) in _KEEP_IPS else IP


def _nccl_replacement(match: re.Match[str]) -> str:
    if match["host"].startswith("<"):
        return match.group(0)
    return f"{HOST}:{match['pid']}:{match['tid']}"


def _slurm_replacement(match: re.Match[str]) -> str:
    key = match["key"].lower()
    marker = USER if ("user" in key or "account" in key or "group" in key) else HOST
    if "dir" in key:
        marker = PATH
    return f"{match['key']}{match['sep']}{marker}"


def _fqdn_replacement(match: re.Match[str]) -> str:
    name = match.group(0)
    lowered = name.lower()
    if lowered in PUBLIC_HOSTS or any(lowered.endswith("." + h) for h in PUBLIC_HOSTS):
        return name
    return HOST


_WORD_CACHE: dict[str, re.Pattern[str]] = {}


def _word(word: str) -> re.Pattern[str]:
    # A name counts only as a whole word, in any case: "ana" is redacted in "user ANA"
    # and "/ana/" but not inside "analysis".
    pattern = _WORD_CACHE.get(word)
    if pattern is None:
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}(?![A-Za-z0-9])", re.IGNORECASE)
        _WORD_CACHE[word] = pattern
    return pattern


def names_in(texts: Iterable[str]) -> Secrets:
    """The names that ``texts`` reveal by their patterns alone (snapshot files)."""
    hosts: set[str] = set()
    users: set[str] = set()
    for text in texts:
        learn_from_text(text, hosts, users)
    return Secrets(
        hosts=frozenset(h for h in hosts if _worth_hunting(h)),
        users=frozenset(u for u in users if _worth_hunting(u)),
    )
