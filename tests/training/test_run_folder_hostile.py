"""Hostile run folders (issue 23): lost configs, lost or truncated checkpoints, a
user's config.yaml, a run inside its own input cube, a folder of someone's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sarslide.datacube import write_cube
from sarslide.errors import CheckpointError, ConfigError, OutputExistsError
from sarslide.models.checkpoints import read_checkpoint
from sarslide.training import load_train_config, train


@pytest.fixture
def trained_run(tiny_cube: Any, tiny_config_values: dict[str, Any]) -> Path:
    """A finished tiny run (one epoch) in ``tiny_config_values``' output_dir."""
    return train(load_train_config(tiny_config_values), progress=False, cube=tiny_cube).run_dir


def test_resume_without_config_yaml_refuses_other_data_settings_naming_both(
    trained_run: Path, tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    run = trained_run
    (run / "config.yaml").unlink()  # lost
    other_k = load_train_config(tiny_config_values, ["data.timesteps_k=2"])
    with pytest.raises(ConfigError, match=r"data\.timesteps_k: 1 in the run, 2 now") as info:
        train(other_k, progress=False, resume=True, cube=tiny_cube)
    assert "last.ckpt" in str(info.value)
    assert read_checkpoint(run / "checkpoints" / "last.ckpt")["epoch"] == 0  # untouched


def test_a_lost_last_ckpt_resumes_from_best_as_the_disk_full_message_says(
    trained_run: Path, tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    run = trained_run
    (run / "checkpoints" / "last.ckpt").unlink()  # its write failed: disk full
    longer = load_train_config(tiny_config_values, ["trainer.max_epochs=2"])
    resumed = train(longer, progress=False, cube=tiny_cube)
    assert read_checkpoint(resumed.last_checkpoint)["epoch"] == 1  # continued, epoch 2


def test_a_truncated_last_ckpt_is_named_with_the_fix(
    trained_run: Path, tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    run = trained_run
    last = run / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:5000])
    cfg = load_train_config(tiny_config_values)
    with pytest.raises(CheckpointError) as info:
        train(cfg, progress=False, cube=tiny_cube)
    message = str(info.value)
    assert str(last) in message and "truncated" in message and "best.ckpt" in message
    last.unlink()  # the fix given: resume from best.ckpt
    assert train(cfg, progress=False, cube=tiny_cube).last_checkpoint.is_file()


def test_a_users_config_yaml_in_the_run_folder_is_never_replaced(
    tiny_cube: Any, tiny_config_values: dict[str, Any], tmp_path: Path
) -> None:
    folder = Path(tiny_config_values["output_dir"])
    folder.mkdir()
    users = "# my commented config\n" + yaml.safe_dump(tiny_config_values)
    (folder / "config.yaml").write_text(users)
    paths = train(load_train_config(tiny_config_values), progress=False, cube=tiny_cube)
    assert (folder / "config.yaml").read_text() == users
    assert paths.config_yaml == folder / "config.resolved.yaml"
    assert (
        load_train_config(paths.config_yaml).model
        == load_train_config(folder / "config.yaml").model
    )
    # and the same command resumes that run (not refused, not replaced)
    again = load_train_config(tiny_config_values, ["trainer.max_epochs=2"])
    assert (
        read_checkpoint(train(again, progress=False, cube=tiny_cube).last_checkpoint)["epoch"] == 1
    )
    assert (folder / "config.yaml").read_text() == users


def test_a_folder_of_other_files_says_what_is_there_and_what_would_be_replaced(
    tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    folder = Path(tiny_config_values["output_dir"])
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "metrics.csv").write_text("mine too")
    with pytest.raises(OutputExistsError) as info:
        train(load_train_config(tiny_config_values), progress=False, cube=tiny_cube)
    message = str(info.value)
    assert "metrics.csv, notes.txt" in message and "overwrite ['metrics.csv']" in message
    assert (folder / "metrics.csv").read_text() == "mine too"


def test_train_refuses_a_run_folder_inside_its_input_cube(
    tiny_cube: Any, tiny_config_values: dict[str, Any], tmp_path: Path
) -> None:
    store = write_cube(tiny_cube, tmp_path / "c.zarr")
    cfg = load_train_config(
        tiny_config_values, [f"data.cube={store}", f"output_dir={store / 'run'}"]
    )
    with pytest.raises(OutputExistsError, match="lies inside the input"):
        train(cfg, progress=False)
    assert not (store / "run").exists()


def test_resume_without_config_yaml_and_the_same_settings_continues(
    trained_run: Path, tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    (trained_run / "config.yaml").unlink()  # lost; the checkpoint has orbit resolved
    longer = load_train_config(tiny_config_values, ["trainer.max_epochs=2"])
    resumed = train(longer, progress=False, cube=tiny_cube)
    assert read_checkpoint(resumed.last_checkpoint)["epoch"] == 1
