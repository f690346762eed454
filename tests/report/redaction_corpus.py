"""Planted secrets for the redaction tests: (kind, a line as it would appear, what must go).

Each line is written the way the tool meets it: in a log line, a config dump, a
shell transcript, ``nvidia-smi -q``, ``ip link``, ``scontrol show job``, a
SLURM or torchrun environment. The names and keys are made up (AWS's and
GitHub's documented example shapes where a real shape matters).
"""

from __future__ import annotations

from typing import NamedTuple

# ruff: noqa: E501  (one planted line per row reads best)


class Planted(NamedTuple):
    kind: str
    line: str
    secret: str
    """A substring that must not survive (compared without regard to case)."""


CORPUS: tuple[Planted, ...] = (
    # e-mail addresses
    Planted("email", "questions to alice.smith@example-corp.com please", "alice.smith@"),
    Planted("email", "git author: Bo Lindqvist <bo.lindqvist@uni-lab.se>", "bo.lindqvist"),
    Planted("email", "notify=ops+alerts@mlteam.io", "ops+alerts@mlteam"),
    # wandb run URLs (entity and project)
    Planted("wandb", "View run at https://wandb.ai/acme-research/gpt-speedrun/runs/3k2j1h0g", "acme-research"),
    Planted("wandb", "wandb: project page https://wandb.ai/vkarlsson/tiny-shakespeare", "vkarlsson"),
    Planted("wandb", "wandb: run https://wandb.ai/acme-research/gpt-speedrun/runs/3k2j1h0g", "gpt-speedrun"),
    # MAC addresses
    Planted("mac", "link/ether 3c:ec:ef:12:34:56 brd ff:ff:ff:ff:ff:ff", "3c:ec:ef:12:34:56"),
    Planted("mac", "HWaddr 3C-EC-EF-AB-CD-EF", "3C-EC-EF-AB-CD-EF"),
    # IPv6 addresses
    Planted("ipv6", "inet6 fe80::3eec:efff:fe12:3456%eth0 scope link", "fe80::3eec:efff:fe12:3456"),
    Planted("ipv6", "connect to [2001:db8:85a3::8a2e:370:7334]:29500", "8a2e:370:7334"),
    Planted("ipv6", "peer 2001:0db8:0000:0000:0000:ff00:0042:8329 joined", "ff00:0042:8329"),
    # serial numbers
    Planted("serial", "    Serial Number                         : 1320221034567", "1320221034567"),
    Planted("serial", "Serial Number: PF3KXYZ9", "PF3KXYZ9"),
    Planted("serial", "board serial_number=AB12CD34EF", "AB12CD34EF"),
    # user folders on clusters
    Planted("scratch", "saving checkpoint to /scratch/bkowalski/ckpt/model.pt", "bkowalski"),
    Planted("lustre", "data_dir=/lustre/fsw/portfolios/llm/users/jnakamura/owt", "jnakamura"),
    Planted("lustre", "reading /lustre/orion/proj42/scratch/hsingh/shards/000.bin", "hsingh"),
    Planted("data-users", "out_dir: /data/users/mgarcia/runs/124m", "mgarcia"),
    Planted("home", "/home/pnovak/nanoGPT/train.py:196: FutureWarning", "pnovak"),
    Planted("home", "File \"/Users/ewright/src/train.py\", line 12", "ewright"),
    Planted("tilde", "cat ~okafor/.netrc", "okafor"),
    Planted("windows", "C:\\Users\\fmueller\\AppData\\Local\\Temp\\run.log", "fmueller"),
    # shell prompts
    Planted("prompt", "tkumar@dgx-a100-04:~/nanoGPT$ python train.py", "tkumar"),
    Planted("prompt", "tkumar@dgx-a100-04:~/nanoGPT$ nvidia-smi", "dgx-a100-04"),
    Planted("prompt", "(venv) yzhao@lambda-quad:/work$ torchrun train.py", "yzhao"),
    # NCCL host:pid:tid prefixes, and the host named again elsewhere
    Planted("nccl", "hpc-gpu-113:2841:2841 [0] NCCL INFO Bootstrap : Using ib0", "hpc-gpu-113"),
    Planted("nccl", "a6000-box:77:91 [1] NCCL INFO Channel 00/02", "a6000-box"),
    Planted("nccl", "rank 3 on hpc-gpu-113 timed out", "hpc-gpu-113"),
    # SLURM node lists and users
    Planted("slurm", "SLURM_JOB_NODELIST=sxm-node[017-019,023]", "sxm-node"),
    Planted("slurm", "srun: error: sxm-node018: task 5: Exited", "sxm-node018"),
    Planted("slurm", "SLURMD_NODENAME=h100-rack4-12", "h100-rack4-12"),
    Planted("slurm", "SLURM_JOB_USER=rpatel", "rpatel"),
    Planted("slurm", "   UserId=lchen(40123) GroupId=lchen(40123) MCS_label=N/A", "lchen"),
    Planted("slurm", "   BatchHost=cn-0412", "cn-0412"),
    Planted("slurm", "SLURM_SUBMIT_HOST=login-02.cluster.uni-example.de", "login-02"),
    # rendezvous and master addresses
    Planted("master", "master_addr: trainhead-07", "trainhead-07"),
    Planted("master", "  master_addr: 'ctrl-node-2'", "ctrl-node-2"),
    Planted("master", "MASTER_ADDR=mgmt-alpha MASTER_PORT=29500", "mgmt-alpha"),
    Planted("master", "torchrun --rdzv-endpoint=etcd-core-1:29400 train.py", "etcd-core-1"),
    Planted("master", '{"master_addr": "dgx-head-9", "master_port": 29500}', "dgx-head-9"),
    # API keys and tokens
    Planted("wandb-key", "WANDB_API_KEY=3f9a0c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f9a0", "3f9a0c1d2e4b5a6978"),
    Planted("hf-token", "HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "hf_AbCdEfGh"),
    Planted("hf-token", "token loaded: hf_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210", "ZyXwVuTsRq"),
    Planted("aws", "aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    Planted("aws", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"),
    Planted("github", "GITHUB_TOKEN=ghp_1A2b3C4d5E6f7G8h9I0jK1lM2nO3pQ4rS5tU", "ghp_1A2b3C4d"),
    Planted("github", "cloned with github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABC"),
    Planted("password", "password=hunter2horse", "hunter2horse"),
    Planted("password", "db_password: Tr0ub4dor-3", "Tr0ub4dor-3"),
    Planted("password", "--password 'n0t-in-logs' ignored", "n0t-in-logs"),
    Planted("url-password", "postgres://dbadmin:S3cr3tP4ss@db.internal:5432/runs", "S3cr3tP4ss"),
    Planted("url-password", "https://mlflow:Qw3rtyZ@tracking.acme.internal/api", "Qw3rtyZ"),
    Planted("authorization", "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig123", "eyJhbGciOiJI"),
    Planted("authorization", "-H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", "dXNlcjpwYXNz"),
    # host names
    Planted("fqdn", "connecting to gpu17.hpc.univ-example.edu", "univ-example.edu"),
    Planted("fqdn", "Resolved store.ml.corp-intra.net to an address", "corp-intra"),
    Planted("host-case", "TRAIN-BOX-07 finished step 500", "TRAIN-BOX-07"),
    Planted("host-case", "Train-Box-07: checkpoint saved", "Train-Box-07"),
    # IP addresses
    Planted("ipv4-stop", "Rendezvous at 10.42.7.19.", "10.42.7.19"),
    Planted("ipv4", "init_method=tcp://192.168.40.12:23456", "192.168.40.12"),
    # UUIDs
    Planted("gpu-uuid", "GPU 0: NVIDIA A100 (UUID: GPU-7f3e2a1b-9c8d-4e5f-a6b7-c8d9e0f1a2b3)", "7f3e2a1b"),
    Planted("mig-uuid", "MIG-1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "1a2b3c4d-5e6f"),
    Planted("uuid", "product_uuid 4c4c4544-0042-3510-8052-b4c04f4e3732", "4c4c4544-0042"),
)  # fmt: skip
