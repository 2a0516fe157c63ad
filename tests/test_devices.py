"""Device and precision resolution, with CUDA and MPS mocked where they are absent."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch

from sarslide import devices
from sarslide.devices import (
    list_available_devices,
    resolve_device,
    resolve_lightning_device,
    resolve_precision,
)
from sarslide.errors import ConfigError, DeviceError


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(devices, "_mps_usable", lambda: False)


@pytest.fixture
def two_gpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two fake CUDA GPUs; the first supports bf16."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    props = SimpleNamespace(name="Fake H100", total_memory=80 * 2**30)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: props)
    monkeypatch.setattr(devices, "_mps_usable", lambda: False)


def test_auto_is_cpu_without_gpu_and_says_so(no_gpu: None, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.INFO, logger="sarslide.devices"):
        assert resolve_device("auto") == torch.device("cpu")
    assert "Running on cpu" in caplog.text
    assert list_available_devices() == ["cpu"]


@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "cuda:1", "gpu"])
def test_missing_cuda_is_one_clear_error(no_gpu: None, spec: str):
    with pytest.raises(DeviceError, match=r"not available.*available: cpu\. Use --device auto"):
        resolve_device(spec)


def test_missing_mps_is_one_clear_error(no_gpu: None):
    with pytest.raises(DeviceError, match=r"MPS.*available: cpu"):
        resolve_device("mps")


@pytest.mark.parametrize("spec", ["tpu", "cuda:x", "cpu:1", "", "cuda:-1"])
def test_invalid_device_names(no_gpu: None, spec: str):
    if spec == "":
        assert resolve_device(spec) == torch.device("cpu")  # empty = auto
        return
    with pytest.raises(ConfigError, match="Invalid device"):
        resolve_device(spec)


def test_auto_picks_first_gpu_and_index_is_checked(two_gpus: None):
    assert resolve_device("auto") == torch.device("cuda", 0)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    assert list_available_devices() == ["cpu", "cuda:0", "cuda:1"]
    with pytest.raises(DeviceError, match=r"cuda:2.*available: cpu, cuda:0, cuda:1"):
        resolve_device("cuda:2")


def test_auto_prefers_mps_over_cpu(no_gpu: None, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(devices, "_mps_usable", lambda: True)
    assert resolve_device("auto") == torch.device("mps")
    assert list_available_devices() == ["cpu", "mps"]


def test_precision_auto_per_device(two_gpus: None, monkeypatch: pytest.MonkeyPatch):
    cpu, gpu = torch.device("cpu"), torch.device("cuda", 0)
    assert resolve_precision("auto", cpu).name == "fp32"
    assert resolve_precision("auto", torch.device("mps")).name == "fp32"
    plan = resolve_precision("auto", gpu)
    assert (plan.name, plan.lightning, plan.needs_grad_scaler) == ("bf16", "bf16-mixed", False)
    assert plan.autocast_dtype == torch.bfloat16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)  # e.g. a V100
    plan = resolve_precision("auto", gpu)
    assert (plan.name, plan.lightning, plan.needs_grad_scaler) == ("fp16", "16-mixed", True)
    with pytest.raises(DeviceError, match=r"does not support bf16.*--precision fp16"):
        resolve_precision("bf16", gpu)


@pytest.mark.parametrize(
    ("setting", "name"),
    [("32-true", "fp32"), ("32", "fp32"), ("FP32", "fp32"), ("bf16-mixed", "bf16"), (None, "fp32")],
)
def test_precision_aliases_on_cpu(setting: str | None, name: str):
    assert resolve_precision(setting, torch.device("cpu")).name == name


def test_precision_errors_on_cpu():
    with pytest.raises(ConfigError, match="'fp16' is for GPUs"):
        resolve_precision("fp16", torch.device("cpu"))
    with pytest.raises(ConfigError, match="Invalid precision 'half'"):
        resolve_precision("half", torch.device("cpu"))


def test_autocast_context_runs_bf16_on_cpu():
    conv = torch.nn.Conv2d(2, 2, 3)
    with resolve_precision("bf16", torch.device("cpu")).autocast(torch.device("cpu")):
        assert conv(torch.ones(1, 2, 8, 8)).dtype == torch.bfloat16
    with resolve_precision("fp32", torch.device("cpu")).autocast(torch.device("cpu")):
        assert conv(torch.ones(1, 2, 8, 8)).dtype == torch.float32


def test_lightning_device_settings(two_gpus: None):
    assert resolve_lightning_device("auto")[1:] == ("gpu", 1)
    assert resolve_lightning_device("cuda:1")[1:] == ("gpu", [1])
    assert resolve_lightning_device("cpu")[1:] == ("cpu", 1)
    # an explicit accelerator keeps the devices (several GPUs with DDP)
    assert resolve_lightning_device("auto", "gpu", 2)[1:] == ("gpu", 2)
    assert resolve_lightning_device("auto", "cpu", 2)[1:] == ("cpu", 2)


def test_lightning_gpu_accelerator_without_gpu(no_gpu: None):
    with pytest.raises(DeviceError, match="available: cpu"):
        resolve_lightning_device("auto", "gpu")
    with pytest.raises(ConfigError, match="Invalid accelerator 'tpu'"):
        resolve_lightning_device("auto", "tpu")


def test_device_wins_over_the_accelerator(two_gpus: None):
    assert resolve_lightning_device("cpu", "gpu")[1:] == ("cpu", 1)
    assert resolve_lightning_device("cuda:1", "cpu")[1:] == ("gpu", [1])
