"""A training config that cannot run here is refused in one line before any chipping."""

from __future__ import annotations

import dataclasses
import errno
from pathlib import Path
from typing import Any

import pytest

from sarslide.errors import ConfigError
from sarslide.training import load_train_config, preflight, train


@pytest.fixture
def no_chipping(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("chipped before the cheap checks")

    monkeypatch.setattr("sarslide.training.run.build_chip_splits", never)


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ("trainer.accelerator=tpux", "Invalid trainer.accelerator 'tpux'"),
        ("trainer.precision=banana", "Invalid trainer.precision 'banana'"),
        ("model.name=nosuch", "Unknown model name 'nosuch'"),
        ("trainer.devices=99", "Invalid trainer.devices 99: this machine has 2 CPU core(s)"),
        ("trainer.devices=0", "Use a number from 1 to 2"),
    ],
)
def test_bad_settings_are_refused_before_chipping_and_leave_no_folder(
    tiny_config_values: dict[str, Any],
    no_chipping: None,
    monkeypatch: pytest.MonkeyPatch,
    override: str,
    words: str,
) -> None:
    monkeypatch.setattr(preflight, "available_cpus", lambda: 2)
    cfg = load_train_config(tiny_config_values, [override])
    with pytest.raises(ConfigError) as caught:
        train(cfg)
    assert words in str(caught.value)
    assert not Path(cfg.output_dir).exists()


def test_gpu_without_a_gpu_is_refused_before_chipping(
    tiny_config_values: dict[str, Any], no_chipping: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    cfg = load_train_config(tiny_config_values, ["trainer.accelerator=gpu"])
    with pytest.raises(ConfigError, match=r"no usable CUDA GPU.*--accelerator cpu"):
        train(cfg)
    assert not Path(cfg.output_dir).exists()


def test_offline_pretrained_weights_are_refused_before_chipping(
    tiny_config_values: dict[str, Any], no_chipping: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import urllib.error

    def offline(**_: object) -> None:
        raise urllib.error.URLError(OSError(errno.ENETUNREACH, "Network is unreachable"))

    from sarslide.models import registry

    spec = registry.get_model_spec("unet-resnet18")
    monkeypatch.setitem(registry._REGISTRY, spec.name, dataclasses.replace(spec, builder=offline))
    overrides = ["model.name=unet-resnet18", "model.encoder_weights=imagenet", "model.kwargs={}"]
    cfg = load_train_config(tiny_config_values, overrides)
    with pytest.raises(ConfigError, match=r"Cannot get the 'imagenet' encoder weights.*null"):
        train(cfg)


def test_output_under_a_file_is_refused_before_chipping(
    tiny_config_values: dict[str, Any], no_chipping: None, tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("")
    cfg = load_train_config(tiny_config_values, [f"output_dir={tmp_path / 'afile' / 'run'}"])
    with pytest.raises(OSError, match="regular file"):
        train(cfg)


def test_device_counts_that_fit_pass() -> None:
    preflight.check_devices("auto", "cpu")
    preflight.check_devices(1, "cpu")
    preflight.check_devices([0], "cpu")
