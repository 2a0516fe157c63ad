"""Ablation configuration, presets and grid expansion."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarslide.errors import ConfigError
from sarslide.experiments.config import (
    PAPER_INPUT_SETS,
    AblationConfig,
    dump_ablation_config,
    load_ablation_config,
    resolve_train_config,
)
from sarslide.experiments.grid import EXPECTED_CHANNELS, expand_grid, make_run_id


def test_defaults_are_the_papers_grid() -> None:
    cfg = AblationConfig(train={"x": 1})
    assert tuple(cfg.input_sets) == PAPER_INPUT_SETS
    assert cfg.timesteps_k == [1, 2, 3, 4]
    specs = expand_grid(cfg)
    assert len(specs) == 4 * 4 * 3 + 3
    dem = [s for s in specs if s.input_set == "dem"]
    assert [s.run_id for s in dem] == ["dem-s0", "dem-s1", "dem-s2"]
    assert all(s.timesteps_k is None and s.data_k == 1 for s in dem)


def test_run_ids_are_stable_and_unique() -> None:
    assert make_run_id("vv+vh", 2, 1) == "vv_vh-k2-s1"
    assert make_run_id("sar+dem", 4, 0) == "sar_dem-k4-s0"
    assert make_run_id("dem", None, 3) == "dem-s3"
    specs = expand_grid(AblationConfig(train={}, dem_per_k=True, output_dir=Path("out")))
    ids = [s.run_id for s in specs]
    assert len(set(ids)) == len(ids) == 5 * 4 * 3
    assert specs[0].run_dir == Path("out/runs/vv-k1-s0")


def test_growing_the_grid_keeps_existing_run_ids() -> None:
    small = expand_grid(AblationConfig(train={}, seeds=[0], timesteps_k=[1, 2]))
    big = expand_grid(AblationConfig(train={}, seeds=[0, 1], timesteps_k=[1, 2, 3]))
    assert {s.run_id for s in small} <= {s.run_id for s in big}


def test_expected_channels_per_input_set() -> None:
    counts = {name: len(channels) for name, channels in EXPECTED_CHANNELS.items()}
    assert counts == {"vv": 2, "vh": 2, "vv+vh": 4, "sar+dem": 8, "dem": 4}
    assert not any(c.startswith("vh") for c in EXPECTED_CHANNELS["vv"])
    assert not any(c.startswith("vv") for c in EXPECTED_CHANNELS["vh"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"train": {}, "input_sets": ["vv", "hh"]}, "input_sets"),
        ({"train": {}, "timesteps_k": [0, 1]}, "k must be >= 1"),
        ({"train": {}, "seeds": [1, 1]}, "lists a value twice"),
        ({"train": {}, "epochs": 3}, "Extra inputs are not permitted"),
        ({"train": {}, "workers": 0}, "workers"),
    ],
)
def test_invalid_config_is_a_clear_error(tmp_path: Path, values: dict, message: str) -> None:
    import yaml

    path = tmp_path / "ablation.yaml"
    path.write_text(yaml.safe_dump(values))
    with pytest.raises(ConfigError, match=message):
        load_ablation_config(path)


def test_missing_file_and_unknown_preset(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_ablation_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="Must be one of \\['quick', 'paper'\\]"):
        load_ablation_config(preset="fast")
    with pytest.raises(ConfigError, match="Give an ablation config file or a preset"):
        load_ablation_config()


def test_yaml_round_trip(tmp_path: Path) -> None:
    cfg = AblationConfig(train={"model": {"arch": "unet"}}, seeds=[3], output_dir=tmp_path)
    path = tmp_path / "a.yaml"
    path.write_text(dump_ablation_config(cfg))
    assert load_ablation_config(path) == cfg


def test_file_overrides_preset(tmp_path: Path) -> None:
    path = tmp_path / "over.yaml"
    path.write_text("seeds: [7]\noutput_dir: elsewhere\n")
    cfg = load_ablation_config(path, preset="quick")
    assert cfg.seeds == [7]
    assert cfg.output_dir == Path("elsewhere")
    assert cfg.train == load_ablation_config(preset="quick").train


def test_overrides_edit_the_resolved_training_config(tmp_path: Path) -> None:
    """``train: quick`` (a preset name) takes ``train.trainer.max_epochs=3`` as the CLI's
    --set does: the overrides apply to the resolved training config (a name before)."""
    path = tmp_path / "a.yaml"
    path.write_text(f"train: quick\noutput_dir: {tmp_path / 'out'}\n")
    cfg = load_ablation_config(path, overrides=["train.trainer.max_epochs=3", "seeds=[5]"])
    assert isinstance(cfg.train, dict) and cfg.train["trainer"]["max_epochs"] == 3
    assert cfg.train["model"] == resolve_train_config("quick")["model"]
    assert cfg.seeds == [5]
    assert load_ablation_config(path).train == "quick"  # no overrides: as written


def test_quick_studies_do_not_oversubscribe_the_cores() -> None:
    """The quick ablation and transfer run 2 workers; each run trains on one torch
    thread (trainer.threads), so 2 workers fill 2 cores instead of asking for 4."""
    from sarslide.experiments.config import TransferConfig

    ablation = load_ablation_config(None, preset="quick")
    train = resolve_train_config(ablation.train)
    assert ablation.workers * train["trainer"]["threads"] == 2
    transfer = TransferConfig(events=[{"name": "a", "cube": "a"}, {"name": "b", "cube": "b"}])
    assert transfer.train["trainer"]["threads"] == 1
