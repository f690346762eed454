"""What the first lines of a log say about the launch: world size, data parallelism, backend.

Recognised: torchrun / torch.distributed commands (``#`` comment lines are not), WORLD_SIZE=,
printed world sizes, Hugging Face's ``n_gpu`` line, printed DataParallel/DDP/FSDP models and
torchtitan's "Applied ..." lines, and the backend (``backend=nccl``, ``NCCL INFO``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_COMMAND = re.compile(
    r"(?:^|[\s;&|$(])(?:torchrun|python[\d.]*\s+-m\s+torch\.distributed\.(?:run|launch))\b(.*)"
)
_NPROC = re.compile(r"--nproc[_-]per[_-]node[=\s]+(\S+)")
_NNODES = re.compile(r"--nnodes[=\s]+(\S+)")
_ENV_WORLD = re.compile(r"\bWORLD_SIZE=(\d+)\b")
_PRINTED_WORLD = re.compile(r"\b(?:distributed )?world[ _]size\b\s*(?::|=|is)?\s*(\d+)\b", re.I)
_HF_PROCESS = re.compile(r"n_gpu: (\d+), distributed training: (True|False)")
_DATA_PARALLEL = re.compile(r"^\s*DataParallel\(")
_DDP = re.compile(r"DistributedDataParallel\(|Applied DDP\b|\bDDP\b|\bddp\b")
_FSDP = re.compile(r"FullyShardedDataParallel\(|\bFSDP2?\b|fully_shard")
_BACKEND = re.compile(r"\bbackend\b\s*[=:]?\s*['\"]?(nccl|gloo|mpi|ucc|xccl|hccl)\b", re.I)
_NCCL_INFO = re.compile(r"\bNCCL INFO\b")
#: Words at least one of the patterns above needs: lines without any skip them all (a
#: 20,000-line start of a log is scanned in milliseconds, not tenths of a second).
_GATE = re.compile(
    r"torch|WORLD_SIZE|orld|ORLD|n_gpu|DataParallel|FSDP|fully_shard|DDP|ddp|ackend|ACKEND|NCCL"
)


@dataclass
class LaunchFacts:
    """What the first lines of the inputs say about the distributed setup."""

    world_size: int | None = None
    world_size_source: str = ""
    parallel_evidence: dict[str, str] = field(default_factory=dict)
    """"ddp" / "fsdp" / "data_parallel" -> the first line showing it."""
    backend: str | None = None
    data_parallel_devices: int | None = None
    """GPUs driven by one process with torch.nn.DataParallel (HF's n_gpu)."""

    def _evidence(self, kind: str, line: str) -> None:
        self.parallel_evidence.setdefault(kind, line.strip()[:160])

    def _world(self, value: int, source: str) -> None:
        if self.world_size is None and value >= 1:
            self.world_size, self.world_size_source = value, source


def read_launch(lines: Iterable[str]) -> LaunchFacts:
    """Scan ``lines`` (rank prefixes removed) for launch facts; the first statement wins."""
    facts = LaunchFacts()
    for line in lines:
        if not line or not _GATE.search(line) or line.lstrip().startswith("#"):
            continue
        _command(facts, line)
        match = _ENV_WORLD.search(line)
        if match:
            facts._world(int(match.group(1)), f"WORLD_SIZE={match.group(1)} in the log")
            facts._evidence("ddp", line)
        match = _PRINTED_WORLD.search(line)
        if match:
            facts._world(int(match.group(1)), f"the log's {match.group(0).strip()!r}")
        match = _HF_PROCESS.search(line)
        if match:
            n_gpu, distributed = int(match.group(1)), match.group(2) == "True"
            if distributed:
                facts._evidence("ddp", line)
            elif n_gpu > 1:
                facts._evidence("data_parallel", line)
                facts.data_parallel_devices = n_gpu
        if _DATA_PARALLEL.search(line):
            facts._evidence("data_parallel", line)
        if _FSDP.search(line):
            facts._evidence("fsdp", line)
        elif _DDP.search(line):
            facts._evidence("ddp", line)
        match = _BACKEND.search(line)
        if match and facts.backend is None:
            facts.backend = match.group(1).lower()
        elif facts.backend is None and _NCCL_INFO.search(line):
            facts.backend = "nccl"
    return facts


def _command(facts: LaunchFacts, line: str) -> None:
    match = _COMMAND.search(line)
    if match is None:
        return
    args = match.group(1)
    facts._evidence("ddp", line)
    nproc = _NPROC.search(args)
    nnodes = _NNODES.search(args)
    if nproc is None or not nproc.group(1).isdigit():
        return  # "--nproc_per_node=gpu" or none given: the count is not in the log
    per_node = int(nproc.group(1))
    nodes = 1
    shown = f"--nproc_per_node={per_node}"
    if nnodes is not None:
        if not nnodes.group(1).isdigit():
            return  # an elastic range "1:4": the node count is decided at run time
        nodes = int(nnodes.group(1))
        shown += f" --nnodes={nodes}"
    facts._world(per_node * nodes, f"the pasted torchrun command ({shown})")
