"""--redact removes each kind of identifying value it promises to remove, in every format."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mfu_advisor.redaction import find_secrets, redact_text
from mfu_advisor.report.formats import OutputFormat, render
from mfu_advisor.report.model import Command, Report
from mfu_advisor.report.output import redact_report

GPU_UUID = "GPU-5c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f"


def _nvidia_probe() -> dict[str, Any]:
    return {
        "source": "/home/alice/snapshots/gpu-box",
        "host": {
            "hostname": "gpu-node-17.cluster.example.org",
            "os": "Linux",
            "kernel": "6.5.0",
            "python_version": "3.11.7",
        },
        "cpu": {"model": "AMD EPYC 7763", "usable_cpus": 64},
        "gpus": [
            {
                "pci_address": "0000:41:00.0",
                "vendor": "NVIDIA",
                "name": "NVIDIA H100 80GB HBM3",
                "kind": "discrete",
                "nvidia": {
                    "index": 0,
                    "name": "NVIDIA H100 80GB HBM3",
                    "uuid": GPU_UUID,
                    "serial": "1654922001234",
                    "driver_version": "550.54.15",
                },
            }
        ],
        "warnings": [f"nvidia-smi on gpu-node-17 listed {GPU_UUID} twice"],
    }


def _all_formats(report: Report) -> str:
    return "\n".join(
        render(report, fmt, width=120, color=False)
        if fmt is OutputFormat.TEXT
        else render(report, fmt)
        for fmt in OutputFormat
    )


def test_host_names_are_removed_from_fields_and_from_other_text() -> None:
    report = redact_report(Report(Command.PROBE, _nvidia_probe()))
    assert report.payload["host"]["hostname"] == "<host>"
    assert report.payload["warnings"][0].startswith("nvidia-smi on <host> listed")
    out = _all_formats(report)
    assert "gpu-node-17" not in out and "cluster.example.org" not in out


def test_serial_numbers_and_gpu_uuids_are_removed() -> None:
    report = redact_report(Report(Command.PROBE, _nvidia_probe()))
    nvidia = report.payload["gpus"][0]["nvidia"]
    assert nvidia["serial"] == "<serial>" and nvidia["uuid"] == "<serial>"
    assert "GPU-<serial>" in report.payload["warnings"][0]
    out = _all_formats(report)
    assert "1654922001234" not in out and "5c1d2e3f" not in out
    # What diagnoses the GPU stays.
    assert "NVIDIA H100 80GB HBM3" in out and "550.54.15" in out


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("/home/ana/nanoGPT/train.py:196: FutureWarning", "~/nanoGPT/train.py:196: FutureWarning"),
        ("/Users/bob/runs/out.log", "~/runs/out.log"),
        ("C:\\Users\\carol\\logs\\train.log", "~\\logs\\train.log"),
        ("cd ~dave/projects", "cd ~/projects"),
        ("/root/.cache/mfu-advisor/roofline.json", "~/.cache/mfu-advisor/roofline.json"),
    ],
)
def test_home_paths_lose_the_user_name(text: str, redacted: str) -> None:
    assert redact_text(text, find_secrets({}, local=False)) == redacted


def test_a_user_name_from_a_home_path_is_removed_wherever_else_it_appears(
    diagnose_doc: dict,
) -> None:
    diagnose_doc["analysis"]["config"]["wandb_run_name"] = "ana-shakespeare"
    diagnose_doc["analysis"]["config"]["note"] = "started by ana on train-box-07"
    report = redact_report(Report.from_json(diagnose_doc))
    config = report.payload["analysis"]["config"]
    assert config["wandb_run_name"] == "<user>-shakespeare"
    assert config["note"] == "started by <user> on <host>"
    examples = report.payload["analysis"]["files"][0]["not_understood_examples"]
    assert examples[0].startswith("56: ~/nanoGPT/train.py:196: FutureWarning")
    out = _all_formats(report)
    assert "/home/ana" not in out and "train-box-07" not in out
    # A name only counts as a whole word: "analysis" and "explanation" survive.
    assert '"analysis"' in out and "explanation" in out


def test_user_fields_and_this_machines_names_are_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    import mfu_advisor.redaction as redact

    monkeypatch.setattr(redact, "local_host", lambda: "laptop-erin")
    monkeypatch.setattr(redact, "local_user", lambda: "erin")
    payload = {"user": "frank", "config": {"out_dir": "/data/erin/run on laptop-erin by frank"}}
    report = redact_report(Report(Command.ANALYZE, payload))
    assert report.payload["user"] == "<user>"
    assert report.payload["config"]["out_dir"] == "/data/<user>/run on <host> by <user>"


def test_ip_addresses_are_removed_but_versions_and_loopback_stay() -> None:
    secrets = find_secrets({}, local=False)
    assert redact_text("MASTER_ADDR=10.1.2.3 port 29500", secrets) == "MASTER_ADDR=<ip> port 29500"
    assert (
        redact_text("driver 550.54.15, torch 2.13.0", secrets) == "driver 550.54.15, torch 2.13.0"
    )
    assert redact_text("listening on 127.0.0.1", secrets) == "listening on 127.0.0.1"


def test_rendezvous_and_master_hosts_are_removed_wherever_they_appear() -> None:
    payload = {
        "distributed": {"rdzv_endpoint": "node0.cluster.example:29400"},
        "lines": [
            "$ torchrun --nnodes 2 --rdzv-endpoint=head-a:29400 train.py",
            "MASTER_ADDR=gpu-login-3 torchrun --master_addr gpu-login-3 train.py",
            "rank 1 joined node0 and head-a",
        ],
    }
    secrets = find_secrets(payload, local=False)
    assert {"node0.cluster.example", "node0", "head-a", "gpu-login-3"} <= secrets.hosts
    assert redact_text(payload["lines"][2], secrets) == "rank 1 joined <host> and <host>"
    assert "node0" not in redact_text("rdzv node0.cluster.example:29400", secrets)


def test_generic_names_are_not_hunted_inside_text() -> None:
    secrets = find_secrets({"host": {"hostname": "localhost"}, "user": "root"}, local=False)
    assert secrets.hosts == frozenset() and secrets.users == frozenset()
    assert redact_text("probe --root SNAPSHOT", secrets) == "probe --root SNAPSHOT"


def test_redaction_changes_nothing_else_and_marks_the_report(diagnose_doc: dict) -> None:
    original = Report.from_json(diagnose_doc)
    redacted = redact_report(original)
    assert redacted.redacted and not original.redacted
    assert redacted.to_json()["redacted"] is True
    assert redacted.payload["findings"] == original.payload["findings"]
    assert redacted.payload["baseline"]["mfu"] == original.payload["baseline"]["mfu"]
    assert diagnose_doc["hardware"]["host"]["hostname"] == "train-box-07"  # input untouched
    reloaded = Report.from_json(json.loads(render(redacted, OutputFormat.JSON)))
    assert not reloaded.redacted  # a saved mark is never trusted: the badge needs --redact


def test_a_rate_per_token_is_not_a_secret() -> None:
    secrets = find_secrets({}, local=False)
    hint = "give --set flops_per_token=X or --set n_params=N"
    assert redact_text(hint, secrets) == hint
    payload = {"unavailable": {"flops_per_token": "the log does not print the model size"}}
    report = redact_report(Report(Command.ANALYZE, payload))
    assert report.payload == payload
    assert redact_text("HF_TOKEN=hf_x1 api_token: abc", secrets) == (
        "HF_TOKEN=<secret> api_token: <secret>"
    )
