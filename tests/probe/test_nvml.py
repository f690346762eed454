"""The NVML wrapper: every failure becomes a reason, renamed getters fall back, nothing is set."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from mfu_advisor.facts import Unavailable
from mfu_advisor.probe.facts import NvidiaFacts
from mfu_advisor.probe.nvml import (
    collect_nvml_answers,
    cuda_version_text,
    decode_clock_event_reasons,
    device_getters,
    nvidia_facts_from_answers,
    nvml_reason,
)


def test_clock_event_reason_bits_decode_to_the_nvml_h_names() -> None:
    assert decode_clock_event_reasons(0) == ()
    assert decode_clock_event_reasons(0x4) == ("sw_power_cap",)
    assert decode_clock_event_reasons(0x1 | 0x40 | 0x80) == (
        "gpu_idle",
        "hw_thermal_slowdown",
        "hw_power_brake_slowdown",
    )
    assert decode_clock_event_reasons(0x100 | 0x1000) == ("display_clock_setting", "bit_0x1000")


def test_cuda_driver_version_is_written_major_dot_minor() -> None:
    assert cuda_version_text(12040) == "12.4"
    assert cuda_version_text(11080) == "11.8"


@pytest.mark.parametrize(
    ("error", "words"),
    [
        ("NVML_ERROR_LIBRARY_NOT_FOUND", "not found"),
        ("NVML_ERROR_DRIVER_NOT_LOADED", "driver not loaded"),
        ("NVML_ERROR_NO_PERMISSION", "no permission"),
        ("NVML_ERROR_NOT_SUPPORTED", "not supported"),
        ("NVML_ERROR_GPU_IS_LOST", "GPU is lost"),
        ("NVML_ERROR_UNINITIALIZED", "not initialized"),
        ("NVML_ERROR_SOMETHING_NEW", "NVML_ERROR_SOMETHING_NEW"),
    ],
)
def test_each_nvml_error_reads_as_a_reason(error: str, words: str) -> None:
    assert words in nvml_reason(error)
    assert nvml_reason(error).startswith("NVML: ")


@pytest.mark.parametrize(
    "answers",
    [
        "garbage",
        ["a", "list"],
        {"no_init": True},
        {"init": 42},
        {"init": "ok", "devices": "not a list"},
        {"init": "ok", "devices": ["not an object"]},
    ],
)
def test_garbled_nvml_answers_give_a_reason_and_a_warning_not_a_crash(answers: Any) -> None:
    warnings: list[str] = []
    devices, status = nvidia_facts_from_answers(answers, warnings=warnings)
    assert devices == () or all(isinstance(d.facts, NvidiaFacts) for d in devices)
    assert warnings, "a garbled answer must be reported"
    if isinstance(status, Unavailable):
        assert "malformed" in status.reason


def test_a_field_of_the_wrong_type_is_unavailable_with_a_warning() -> None:
    warnings: list[str] = []
    answers = {
        "init": "ok",
        "driver_version": "550.54.15",
        "cuda_driver_version": 12040,
        "devices": [{"index": 0, "name": 7, "memory_total_bytes": "lots", "mig_mode": [1]}],
    }
    (device,), status = nvidia_facts_from_answers(answers, warnings=warnings)
    assert status == "550.54.15"
    assert isinstance(device.facts, NvidiaFacts)
    assert isinstance(device.facts.name, Unavailable)
    assert isinstance(device.facts.memory_total_bytes, Unavailable)
    assert isinstance(device.facts.mig_mode, Unavailable)
    assert isinstance(device.facts.sm_count, Unavailable)  # absent: "not recorded"
    assert len(warnings) == 3


def test_own_process_is_not_counted_as_another_process() -> None:
    answers = {
        "init": "ok",
        "devices": [{"index": 0, "compute_processes": [{"pid": 10}, {"pid": 11}]}],
    }
    (device,), _ = nvidia_facts_from_answers(answers, own_pid=10)
    assert isinstance(device.facts, NvidiaFacts) and device.facts.other_processes == 1


# -- the live wrapper, against a stand-in pynvml module --------------------------------


#: An answer the fake gives as NVMLError(NVML_ERROR_NOT_SUPPORTED), as real drivers do.
NVML_NOT_SUPPORTED = object()


class FakeNvml(types.ModuleType):
    """A pynvml stand-in: one GPU, configurable failures, and a record of calls."""

    NVML_ERROR_NOT_SUPPORTED = 3
    NVML_ERROR_NO_PERMISSION = 4
    NVML_ERROR_DRIVER_NOT_LOADED = 9
    NVML_ERROR_LIBRARY_NOT_FOUND = 12
    NVML_ERROR_FUNCTION_NOT_FOUND = 13
    NVML_ERROR_GPU_IS_LOST = 15
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25

    def __init__(
        self,
        init_error: int | None = None,
        failing: dict[str, int] | None = None,
        missing: tuple[str, ...] = (),
    ) -> None:
        super().__init__("pynvml")
        for name in dir(type(self)):
            if name.startswith("NVML_ERROR_"):
                setattr(self, name, getattr(type(self), name))  # dir(module) shows __dict__ only
        self.calls: list[str] = []
        self.init_error = init_error
        self.failing = failing or {}
        outer = self

        class NVMLError(Exception):
            def __init__(self, value: int) -> None:
                super().__init__(value)
                self.value = value

        self.NVMLError = NVMLError
        for name in missing:
            outer.__dict__.pop(name, None)
        self._missing = set(missing)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("nvml") and name not in self._missing:

            def call(*args: Any) -> Any:
                self.calls.append(name)
                if name in self.failing:
                    raise self.NVMLError(self.failing[name])
                answer = self._answer(name, *args)
                if answer is NVML_NOT_SUPPORTED:
                    raise self.NVMLError(self.NVML_ERROR_NOT_SUPPORTED)
                return answer

            return call
        raise AttributeError(name)

    def _answer(self, name: str, *args: Any) -> Any:
        if name == "nvmlInit":
            if self.init_error is not None:
                raise self.NVMLError(self.init_error)
            return None
        values: dict[str, Any] = {
            "nvmlShutdown": None,
            "nvmlSystemGetDriverVersion": b"550.54.15",
            "nvmlSystemGetCudaDriverVersion_v2": 12040,
            "nvmlDeviceGetCount": 1,
            "nvmlDeviceGetHandleByIndex": "handle0",
            "nvmlDeviceGetPciInfo": types.SimpleNamespace(
                busId=b"00000000:01:00.0", pciDeviceId=0x278210DE
            ),
            "nvmlDeviceGetName": "NVIDIA GeForce RTX 4070 Ti",
            "nvmlDeviceGetUUID": "GPU-1234",
            "nvmlDeviceGetSerial": "0",
            "nvmlDeviceGetMemoryInfo": types.SimpleNamespace(total=12 * 2**30, used=2**30),
            "nvmlDeviceGetCudaComputeCapability": (8, 9),
            # NVML answers nvmlDeviceGetAttributes only for MIG device handles
            # (NVML API reference); nvidia-smi shows no SM count for a whole GPU.
            "nvmlDeviceGetAttributes_v2": NVML_NOT_SUPPORTED,
            # GeForce: nvidia-smi -q prints "Max Customer Boost Clocks: N/A".
            "nvmlDeviceGetMaxCustomerBoostClock": NVML_NOT_SUPPORTED,
            "nvmlDeviceGetMaxClockInfo": 3105,
            "nvmlDeviceGetClockInfo": 2520,
            "nvmlDeviceGetEnforcedPowerLimit": 285000,
            "nvmlDeviceGetPowerUsage": 35000,
            "nvmlDeviceGetCurrPcieLinkGeneration": 4,
            "nvmlDeviceGetMaxPcieLinkGeneration": 4,
            "nvmlDeviceGetCurrPcieLinkWidth": 16,
            "nvmlDeviceGetMaxPcieLinkWidth": 16,
            "nvmlDeviceGetCurrentClocksEventReasons": 0x4,
            "nvmlDeviceGetCurrentClocksThrottleReasons": 0x4,
            "nvmlDeviceGetMigMode": (0, 0),
            "nvmlDeviceGetUtilizationRates": types.SimpleNamespace(gpu=97),
            "nvmlDeviceGetComputeRunningProcesses": [
                types.SimpleNamespace(pid=4242, usedGpuMemory=None)
            ],
        }
        return values[name]


def _with_fake(monkeypatch: pytest.MonkeyPatch, fake: FakeNvml) -> FakeNvml:
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    return fake


def test_live_answers_have_the_documented_shape_and_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _with_fake(monkeypatch, FakeNvml())
    answers = collect_nvml_answers()
    assert answers["init"] == "ok" and answers["driver_version"] == "550.54.15"
    (device,) = answers["devices"]
    assert set(device_getters()) <= set(device)
    assert device["pci_bus_id"] == "00000000:01:00.0"
    assert device["compute_processes"] == [{"pid": 4242, "used_memory_bytes": None}]
    (parsed,), status = nvidia_facts_from_answers(answers)
    assert status == "550.54.15" and parsed.pci_bus_id == "0000:01:00.0"
    assert parsed.pci_device_id == 0x2782
    assert isinstance(parsed.facts, NvidiaFacts)
    assert parsed.facts.clock_event_reasons == ("sw_power_cap",)
    assert parsed.facts.compute_capability == "8.9"
    # As on a real whole GPU, NVML gives no SM count and GeForce no rated boost.
    assert parsed.facts.sm_count == Unavailable("NVML: not supported on this GPU")
    assert parsed.facts.sm_clock_boost_mhz == Unavailable("NVML: not supported on this GPU")
    assert "nvmlShutdown" in fake.calls


def test_the_probe_never_changes_a_gpu_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _with_fake(monkeypatch, FakeNvml())
    collect_nvml_answers()
    assert not [c for c in fake.calls if c.startswith("nvmlDeviceSet") or "Reset" in c]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (12, "NVML_ERROR_LIBRARY_NOT_FOUND"),
        (9, "NVML_ERROR_DRIVER_NOT_LOADED"),
        (4, "NVML_ERROR_NO_PERMISSION"),
    ],
)
def test_init_failure_is_recorded_by_name(
    monkeypatch: pytest.MonkeyPatch, code: int, name: str
) -> None:
    _with_fake(monkeypatch, FakeNvml(init_error=code))
    assert collect_nvml_answers() == {"init": {"error": name}}


def test_one_failing_getter_fails_only_its_field(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fake(monkeypatch, FakeNvml(failing={"nvmlDeviceGetPowerUsage": 3}))
    (device,) = collect_nvml_answers()["devices"]
    assert device["power_usage_mw"] == {"error": "NVML_ERROR_NOT_SUPPORTED"}
    assert device["power_limit_mw"] == 285000


def test_a_lost_gpu_is_recorded_on_its_device(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_fake(monkeypatch, FakeNvml(failing={"nvmlDeviceGetHandleByIndex": 15}))
    assert collect_nvml_answers()["devices"] == [{"index": 0, "error": "NVML_ERROR_GPU_IS_LOST"}]


def test_older_bindings_fall_back_to_the_throttle_reasons_getter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = _with_fake(
        monkeypatch,
        FakeNvml(
            missing=(
                "nvmlDeviceGetCurrentClocksEventReasons",
                "nvmlDeviceGetAttributes_v2",
                "nvmlDeviceGetAttributes",
            )
        ),
    )
    (device,) = collect_nvml_answers()["devices"]
    assert device["clock_event_reasons"] == 0x4
    assert "nvmlDeviceGetCurrentClocksThrottleReasons" in fake.calls
    assert device["multiprocessor_count"] == {"error": "NVML_ERROR_FUNCTION_NOT_FOUND"}


def test_a_driver_without_the_new_call_falls_back_too(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _with_fake(monkeypatch, FakeNvml(failing={"nvmlDeviceGetCurrentClocksEventReasons": 13}))
    (device,) = collect_nvml_answers()["devices"]
    assert device["clock_event_reasons"] == 0x4
    assert "nvmlDeviceGetCurrentClocksThrottleReasons" in fake.calls


def test_every_getter_names_its_nvidia_smi_query() -> None:
    for field, getter in device_getters().items():
        assert getter.__doc__ and "nvidia-smi" in getter.__doc__, field


# -- odd answers: bounded decoding and plausible ranges (issue 12, finding 11) ----------


def test_a_negative_clock_event_mask_decodes_in_bounded_time() -> None:
    from mfu_advisor.probe.nvml import decode_clock_event_reasons

    words = decode_clock_event_reasons(-1)  # the old loop never ended on a negative mask
    assert words[:2] == ("gpu_idle", "applications_clocks_setting")
    assert len(words) == 64
    assert decode_clock_event_reasons(1 << 200) == ()


def test_absurd_nvml_values_become_reasons_with_a_warning() -> None:
    from mfu_advisor.probe.nvml import nvidia_facts_from_answers

    device = {
        "index": 0,
        "pci_bus_id": "00000000:01:00.0",
        "pci_device_id": 0x233010DE,
        "name": "NVIDIA H100 80GB HBM3",
        "multiprocessor_count": 10**9,
        "max_sm_clock_mhz": 2**40,
        "memory_total_bytes": 2**80,
        "clock_event_reasons": -5,
        "utilization_gpu_percent": 250,
    }
    warnings: list[str] = []
    (parsed,), _ = nvidia_facts_from_answers(
        {"init": "ok", "driver_version": "550.54.15", "devices": [device]}, None, warnings
    )
    facts = parsed.facts
    assert isinstance(facts, NvidiaFacts)
    for value in (
        facts.sm_count,
        facts.sm_clock_max_mhz,
        facts.memory_total_bytes,
        facts.clock_event_reasons,
        facts.utilization_gpu_percent,
    ):
        assert isinstance(value, Unavailable) and "plausible range" in value.reason
    assert len(warnings) == 5
