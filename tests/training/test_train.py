"""An end-to-end tiny training run: resume, checkpoint contents, scheduler on val loss."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from sarslide.errors import CheckpointError, ConfigError
from sarslide.models import precision_check
from sarslide.models.checkpoints import (
    load_model_from_checkpoint,
    read_checkpoint,
    read_model_bundle,
)
from sarslide.models.precision_check import AUPRC_TOLERANCE
from sarslide.training import load_train_config, train
from sarslide.training.task import SegmentationTask


def read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_train_resume_and_checkpoint_contents(
    tiny_cube: Any, tiny_config_values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the bf16 check runs where the CPU has bf16 units (autocast works, slowly, on any)
    monkeypatch.setattr(precision_check, "cpu_has_bf16_units", lambda: True)
    cfg = load_train_config(tiny_config_values)
    first = train(cfg, progress=False, cube=tiny_cube)
    assert read_checkpoint(first.last_checkpoint)["epoch"] == 0
    step_after_first = read_checkpoint(first.last_checkpoint)["global_step"]

    # "Interrupted" after one epoch: the same run continues from last.ckpt.
    cfg2 = load_train_config(tiny_config_values, ["trainer.max_epochs=2"])
    paths = train(cfg2, progress=False, cube=tiny_cube)
    last = read_checkpoint(paths.last_checkpoint)
    assert last["epoch"] == 1
    assert last["global_step"] == 2 * step_after_first
    epochs = {row["epoch"] for row in read_rows(paths.metrics_csv)}
    assert epochs == {"0", "1"}
    for path in (paths.curve_png, paths.config_yaml, paths.split_json, paths.best_checkpoint):
        assert path is not None and path.is_file()

    # The checkpoint alone is enough for inference.
    model, bundle = load_model_from_checkpoint(paths.best_checkpoint)
    stored = json.loads((paths.run_dir / "normalisation.json").read_text())
    assert bundle.channel_names == ["vv_before", "vv_after", "vh_before", "vh_after"]
    np.testing.assert_allclose(bundle.normalisation.mean, stored["mean"])
    np.testing.assert_allclose(bundle.normalisation.std, stored["std"])
    # orbit 'auto' is resolved at training and recorded: this cube's passes are ascending
    assert cfg.data.orbit == "auto"
    assert bundle.data_config == cfg.data.model_copy(update={"orbit": "ascending"})
    assert bundle.split_method == "random" and bundle.split_plan is not None
    assert 0.0 <= bundle.threshold <= 1.0
    assert bundle.extra["threshold_metric"] == "f1"
    # the training pixel size (10 m UTM cube), checked by predict and respond
    assert bundle.extra["training_resolution"] == {
        "pixel_size": 10.0,
        "unit": "m",
        "crs_kind": "projected",
    }
    assert bundle.extra["training_simulated"] is False  # shown on the model card
    with torch.no_grad():
        assert model(torch.zeros(1, 4, 16, 16)).shape == (1, 2, 16, 16)
    # bf16 against fp32 on the validation chips with the best model, in best.ckpt only
    check = bundle.extra["precision_check"]
    n_val = json.loads((paths.run_dir / "chips.json").read_text())["val"]["n_chips"]
    assert (check["split"], check["chips"], check["checked_at"]) == ("val", n_val, "training end")
    assert check["tolerance_auprc"] == AUPRC_TOLERANCE and check["pixels"] > 0
    bf16 = check["results"]["bf16"]
    assert bf16["auprc_change"] == pytest.approx(bf16["auprc"] - check["fp32_auprc"], abs=1e-12)
    assert bf16["passed"] == (abs(bf16["auprc_change"]) < AUPRC_TOLERANCE)
    assert "precision_check" not in read_model_bundle(paths.last_checkpoint).extra

    # The LR scheduler follows the VALIDATION loss: its best is the lowest val/loss.
    scheduler_state = last["plateau_scheduler"]
    val_losses = [float(r["val/loss"]) for r in read_rows(paths.metrics_csv) if r["val/loss"]]
    assert scheduler_state["best"] == pytest.approx(min(val_losses), rel=1e-5)
    assert scheduler_state["last_epoch"] == 2  # one step per epoch survived the resume


def test_resume_with_changed_data_settings_is_refused(
    tiny_cube: Any, tiny_config_values: dict[str, Any], tmp_path: Path
) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"x")
    (run / "config.yaml").write_text(load_train_config(tiny_config_values).to_yaml())
    changed = load_train_config(tiny_config_values, ["data.timesteps_k=2"])
    expected = r"other settings \(data\.timesteps_k: 1 in the run, 2 now"
    with pytest.raises(ConfigError, match=expected):
        train(changed, progress=False, cube=tiny_cube)


def test_scheduler_is_configured_with_paper_values() -> None:
    task = SegmentationTask("unet-tiny", in_channels=2, model_kwargs={"depth": 1})
    optimizer = task.configure_optimizers()
    assert optimizer.defaults["lr"] == 0.01 and optimizer.defaults["weight_decay"] == 1e-4
    assert task.plateau is not None
    assert (task.plateau.factor, task.plateau.patience, task.plateau.threshold) == (0.1, 10, 1e-4)
    assert task.plateau.mode == "min"


def test_missing_and_corrupt_checkpoints_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model_from_checkpoint(tmp_path / "missing.ckpt")
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_model_from_checkpoint(corrupt)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {}}, foreign)
    with pytest.raises(CheckpointError, match="not written by 'sarslide train'"):
        load_model_from_checkpoint(foreign)
