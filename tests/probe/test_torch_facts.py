"""Torch build facts: one parser for live and recorded answers, and the answer cache."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from probe_helpers import SNAPSHOTS

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import TorchFacts
from mfu_advisor.probe.torch_build import (
    blas_from_config,
    compile_answers,
    compile_readiness,
    flavour_of,
    onednn_from_config,
    torch_facts_from_answers,
)
from mfu_advisor.probe.torch_cache import cached_answers


def _recorded(machine: str) -> dict[str, Any]:
    data = json.loads((SNAPSHOTS / machine / "torch.json").read_text())
    assert isinstance(data, dict)
    return data


def test_blas_and_onednn_are_read_from_the_build_config() -> None:
    config = _recorded("rtx_4070_ti_desktop")["config"]
    assert blas_from_config(config) == "Intel MKL 2024.2"
    assert onednn_from_config(config) == "3.5.3"
    assert blas_from_config("BLAS_INFO=open, LAPACK_INFO=open") == "OpenBLAS"
    assert isinstance(blas_from_config("nothing here"), Unavailable)
    assert onednn_from_config("USE_MKLDNN=OFF,") == Unavailable("torch was built without oneDNN")


def test_flavour_follows_the_version_fields() -> None:
    assert flavour_of({"cuda_version": "12.4"}) == "cuda"
    assert flavour_of({"hip_version": "6.2"}) == "rocm"
    assert flavour_of({"xpu_version": "20240200"}) == "xpu"
    assert flavour_of({"mps": {"built": True, "available": True}}) == "mps"
    assert flavour_of({"mps": {"built": True, "available": False}}) == "cpu"


def test_recorded_answers_parse_into_torch_facts() -> None:
    facts = torch_facts_from_answers(_recorded("h100_sxm_x8_aspeed"), "recorded", [])
    assert isinstance(facts, TorchFacts)
    assert (facts.flavour, facts.cuda_version, facts.num_threads) == ("cuda", "12.1", 112)
    assert facts.devices[:2] == ("cpu", "cuda:0") and len(facts.devices) == 9
    assert facts.device_details[1].pci_bus_id == "0000:18:00.0"
    assert facts.compile_ready is True and "triton: importable" in facts.compile_note


def test_compile_is_not_ready_without_a_compiler_or_triton() -> None:
    ready, note = compile_readiness(
        {"cxx_compiler": None, "python_headers": True, "triton": True}, "cpu", ()
    )
    assert ready is False and "no C++ compiler" in note
    answers = _recorded("rtx_4070_ti_desktop")
    answers["compile"]["triton"] = False
    facts = torch_facts_from_answers(answers, "recorded", [])
    assert isinstance(facts, TorchFacts) and facts.compile_ready is False
    assert "triton not importable" in facts.compile_note


def test_compile_answers_are_found_by_looking_not_compiling() -> None:
    answers = compile_answers()
    assert set(answers) == {"cxx_compiler", "python_headers", "triton", "platform"}
    assert answers["cxx_compiler"] is None or Path(answers["cxx_compiler"]).name


@pytest.mark.parametrize(
    "answers",
    ["text", {"version": 2}, {"version": "2.5.1", "num_threads": "many"}, {"error": "broken"}],
)
def test_malformed_or_failed_torch_answers_are_unavailable(answers: Any) -> None:
    assert isinstance(torch_facts_from_answers(answers, "recorded", []), Unavailable)


def test_cached_answers_are_reused_until_the_environment_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(tmp_path))
    calls: list[int] = []

    def collect() -> dict[str, Any]:
        calls.append(1)
        return {"version": "2.13.0+cpu", "num_threads": 2}

    first, how_first = cached_answers(collect, {"pci": []})
    second, how_second = cached_answers(collect, {"pci": []})
    assert first == second and len(calls) == 1
    assert (how_first, how_second.split()[0]) == ("asked torch now", "cached")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    cached_answers(collect, {"pci": []})
    cached_answers(collect, {"pci": [["0000:01:00.0", 4318, 10114, "nvidia"]]})
    cached_answers(collect, {"pci": []}, fresh=True)
    assert len(calls) == 4


def test_no_cache_setting_always_asks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("MFU_ADVISOR_NO_CACHE", "1")
    calls: list[int] = []

    def collect() -> dict[str, Any]:
        calls.append(1)
        return {"version": "x", "num_threads": 1}

    cached_answers(collect, None)
    cached_answers(collect, None)
    assert len(calls) == 2 and list(tmp_path.iterdir()) == []


def test_a_corrupt_cache_file_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFU_ADVISOR_CACHE_DIR", str(tmp_path))
    cached_answers(lambda: {"version": "x", "num_threads": 1}, None)
    (cache_file,) = tmp_path.glob("torch-*.json")
    cache_file.write_text("{garbage")
    answers, how = cached_answers(lambda: {"version": "y", "num_threads": 1}, None)
    assert answers["version"] == "y" and how == "asked torch now"


def test_absurd_torch_device_numbers_become_unknown_with_a_warning() -> None:
    from mfu_advisor.probe.torch_build import torch_facts_from_answers

    answers = {
        "version": "2.13.0+cu128",
        "cuda_version": "12.8",
        "num_threads": 8,
        "devices": [
            {"device": "cpu", "name": "cpu"},
            {
                "device": "cuda:0",
                "name": "NVIDIA H100 80GB HBM3",
                "pci_bus_id": "0000:1a:00.0",
                "multiprocessor_count": 10**9,
                "total_memory_bytes": -1,
            },
        ],
    }
    warnings: list[str] = []
    facts = torch_facts_from_answers(answers, "recorded in the snapshot", warnings)
    assert not isinstance(facts, Unavailable)
    (gpu,) = [d for d in facts.device_details if d.device == "cuda:0"]
    assert (gpu.multiprocessor_count, gpu.total_memory_bytes) == (None, None)
    assert sum("plausible range" in w for w in warnings) == 2
