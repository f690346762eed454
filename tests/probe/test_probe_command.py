"""The probe command: JSON that matches its schema, readable text, --no-torch without torch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from probe_helpers import SNAPSHOTS

from mfu_advisor.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "schemas" / "probe.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _probe_json(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["probe", "--json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert isinstance(data, dict)
    return data


def test_the_schema_itself_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("machine", sorted(p.name for p in SNAPSHOTS.iterdir()))
def test_probe_json_of_every_recorded_machine_matches_the_schema(machine: str) -> None:
    data = _probe_json("--root", str(SNAPSHOTS / machine))
    errors = [f"{list(e.path)}: {e.message}" for e in VALIDATOR.iter_errors(data)]
    assert errors == []
    assert data["command"] == "probe" and data["schema_version"] == 1


def test_live_probe_json_matches_the_schema_and_has_the_issue_fields() -> None:
    data = _probe_json("--no-torch")
    assert list(VALIDATOR.iter_errors(data)) == []
    cpu = data["cpu"]
    for field in (
        "vendor",
        "model",
        "microarchitecture",
        "logical_cpus",
        "physical_cores",
        "performance_cores",
        "efficiency_cores",
        "usable_cpus",
        "isa",
        "peak_flops",
    ):
        assert field in cpu
    assert isinstance(data["gpus"], list)
    assert data["unavailable"]["torch"] == "skipped: --no-torch"


def test_schema_rejects_a_vendor_id_that_is_not_hex() -> None:
    data = _probe_json("--root", str(SNAPSHOTS / "alder_lake_p_iris_xe"), "--no-torch")
    data["gpus"][0]["vendor_id"] = "8086"  # type: ignore[index]
    assert list(VALIDATOR.iter_errors(data))


def test_gpu_json_carries_vendor_ids_kind_usability_and_peaks() -> None:
    data = _probe_json("--root", str(SNAPSHOTS / "laptop_iris_xe_rtx3060_3d"))
    intel, nvidia = data["gpus"]  # type: ignore[misc]
    assert (intel["vendor"], intel["vendor_id"], intel["device_id"]) == (
        "Intel",
        "0x8086",
        "0x46a6",
    )
    assert (intel["kind"], intel["usable_by_torch"]) == ("integrated", False)
    assert (nvidia["vendor"], nvidia["kind"], nvidia["usable_by_torch"]) == (
        "NVIDIA",
        "discrete",
        True,
    )
    # An RTX 3060 Laptop GPU: the peak depends on the laptop's rated clock, so it is
    # unknown (null) with the range as the reason.
    assert nvidia["peak_flops"]["fp32"] is None
    assert "laptop maker's choice" in nvidia["peak_flops_detail"]["fp32"]["reason"]
    assert nvidia["pci_address"] == "0000:01:00.0"


def test_text_output_names_devices_and_peaks() -> None:
    result = CliRunner().invoke(cli, ["probe", "--root", str(SNAPSHOTS / "h100_sxm_x8_aspeed")])
    assert result.exit_code == 0, result.output
    text = result.output
    for expected in (
        "Sapphire Rapids",
        "ASPEED Graphics Family",
        "bmc",
        "NVIDIA H100 80GB HBM3 (x8)",
        "989 T",
        "Peak FLOP/s",
        "yes (cuda)",
        "AVX512",
    ):
        assert expected in text, expected


def test_text_output_of_a_container_shows_two_usable_cpus_and_oversubscription() -> None:
    result = CliRunner().invoke(
        cli, ["probe", "--root", str(SNAPSHOTS / "container_2cpu_on_64core")]
    )
    assert result.exit_code == 0
    assert "2 usable of 128 logical CPUs" in result.output
    assert "cgroup quota 2 CPUs" in result.output
    assert "oversubscribed" in result.output


def test_text_output_of_a_vm_says_its_peak_clock_is_the_hypervisors_nominal_one() -> None:
    result = CliRunner().invoke(
        cli, ["probe", "--root", str(SNAPSHOTS / "kvm_epyc_virtio"), "--no-torch"]
    )
    assert result.exit_code == 0
    text = " ".join(result.output.split())  # undo rich's line wrapping
    assert "peak computed at 2445 MHz, the nominal clock the hypervisor reports" in text
    assert "real boost clock is unknown" in text and "underestimate" in text


@pytest.mark.slow
def test_no_torch_never_imports_torch() -> None:
    code = (
        "import sys\nfrom mfu_advisor.cli import main\n"
        "try:\n    main(['probe', '--no-torch', '--json'])\nexcept SystemExit as e:\n"
        "    assert e.code == 0, e.code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "assert 'pynvml' not in sys.modules or True\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["command"] == "probe"


@pytest.mark.slow
def test_probe_with_cached_torch_answers_does_not_import_torch(tmp_path: Path) -> None:
    import os

    env = dict(os.environ, MFU_ADVISOR_CACHE_DIR=str(tmp_path))
    first = subprocess.run(
        [sys.executable, "-m", "mfu_advisor", "probe", "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["torch"]["answers_source"] == "asked torch now"
    code = (
        "import sys, json\nfrom mfu_advisor.probe import probe_machine\n"
        "facts = probe_machine()\n"
        "assert 'torch' not in sys.modules\n"
        "print(facts.torch.answers_source)\n"
    )
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("cached ")
    torch = json.loads(first.stdout)["torch"]
    assert torch["version"].startswith("2.") and torch["num_threads"] >= 1
    assert torch["devices"][0] == "cpu"
