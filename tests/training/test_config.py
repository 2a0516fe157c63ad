"""Training config: typed YAML, clear errors, overrides, round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sarslide.errors import ConfigError
from sarslide.training.config import TrainConfig, apply_overrides, load_train_config


def test_defaults_follow_the_paper(tiny_config_values: dict[str, Any]) -> None:
    cfg = load_train_config({"data": {"cube": "x.zarr"}})
    assert (cfg.optim.lr, cfg.optim.weight_decay) == (0.01, 1e-4)
    assert (cfg.optim.plateau_factor, cfg.optim.plateau_patience) == (0.1, 10)
    assert cfg.optim.plateau_threshold == 1e-4
    assert cfg.loss.name == "ce" and cfg.loss.num_classes == 2
    assert cfg.trainer.max_epochs == 100 and cfg.trainer.batch_size == 16
    assert cfg.model.encoder_weights is None


def test_unknown_key_names_key_and_valid_keys(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"data": {"cube": "x"}, "trainer": {"epochs": 3}}))
    with pytest.raises(ConfigError) as info:
        load_train_config(path)
    message = str(info.value)
    assert "unknown key 'trainer.epochs'" in message
    assert "max_epochs" in message and "batch_size" in message
    assert str(path) in message


def test_unknown_data_key_and_bad_value_are_both_listed() -> None:
    with pytest.raises(ConfigError, match=r"2 problem") as info:
        load_train_config({"data": {"cube": "x", "chanels": "vv"}, "loss": {"name": "l1"}})
    assert "unknown key 'data.chanels'" in str(info.value)
    assert "loss.name" in str(info.value)


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_train_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_train_config(bad)


def test_overrides_parse_yaml_values(tiny_config_values: dict[str, Any]) -> None:
    cfg = load_train_config(
        tiny_config_values,
        ["model.name=unet-small", "trainer.max_epochs=7", "data.split_fractions=[0.6,0.2,0.2]"],
    )
    assert cfg.model.name == "unet-small"
    assert cfg.trainer.max_epochs == 7
    assert cfg.data.split_fractions == (0.6, 0.2, 0.2)
    with pytest.raises(ConfigError, match=r"section\.key=value"):
        apply_overrides({}, ["trainer.max_epochs"])


def test_yaml_round_trip(tiny_config_values: dict[str, Any], tmp_path: Path) -> None:
    cfg = load_train_config(tiny_config_values)
    path = tmp_path / "resolved.yaml"
    path.write_text(cfg.to_yaml())
    assert load_train_config(path) == cfg
    assert isinstance(cfg, TrainConfig)
