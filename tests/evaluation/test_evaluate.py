"""evaluate_checkpoint on a tiny trained run: chips + whole region, labelled outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from sarslide.evaluation.config import EvaluateConfig
from sarslide.evaluation.evaluate import evaluate_checkpoint
from sarslide.models import precision_check
from sarslide.models.checkpoints import read_model_bundle
from sarslide.training import load_train_config, train
from tests.factories import make_minimal_cube

torch.set_num_threads(1)


@pytest.mark.slow
def test_evaluate_checkpoint_writes_labelled_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(precision_check, "cpu_has_bf16_units", lambda: True)
    cube = make_minimal_cube(height=64, width=64, timesteps=4, seed=5)
    cfg = load_train_config(
        {
            "data": {
                "cube": "mem",
                "timesteps_k": 1,
                "chip_size_px": 16,
                "positive_only": False,
                "split": "random",
            },
            "model": {"name": "unet-tiny", "kwargs": {"base_filters": 4, "depth": 2}},
            "trainer": {"max_epochs": 1, "batch_size": 8, "accelerator": "cpu"},
            "output_dir": str(tmp_path / "run"),
        }
    )
    paths = train(cfg, progress=False, cube=cube)
    settings = EvaluateConfig(
        checkpoint=str(paths.best_checkpoint), output_dir=str(tmp_path / "eval")
    )
    result = evaluate_checkpoint(settings, cube=cube)
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    for block in ("chips", "region"):
        assert metrics[block]["split_method"] == "random"
        assert metrics[block]["split"] == "test"
        assert 0.0 <= metrics[block]["auprc"] <= 1.0
        assert metrics[block]["baseline_auprc"] == pytest.approx(
            metrics[block]["n_positive"] / metrics[block]["n_pixels"]
        )
        intervals = metrics[block]["intervals"]
        assert intervals["tile_px"] == 16 and intervals["n_resamples"] == 1000
        assert intervals["n_blocks"] > 1  # 16 px chips of a 64 px scene: several tiles
        assert intervals["auprc"][0] <= intervals["auprc"][1]
    # Random split: the test region is the union of the test chips' footprints.
    assert result.region is not None and result.region.n_pixels == result.chips.n_pixels
    assert result.threshold == metrics["threshold"]
    summary = (tmp_path / "eval" / "summary.md").read_text()
    assert "random split" in summary and "baseline AUPRC" in summary
    assert "spatial block bootstrap interval" in summary and "not the variance" in summary
    engine = metrics["engine"]  # what ran is named in the summary too
    ran = f"- ran on: {engine['engine']} {engine['engine_version']} on cpu, "
    ran += f"precision {engine['precision']}"
    assert ran in summary
    assert (tmp_path / "eval" / "pr_curve.png").stat().st_size > 0
    # --precision auto followed the bf16 check training recorded, and says so
    check = read_model_bundle(paths.best_checkpoint).extra["precision_check"]
    ran = "bf16" if check.get("results", {}).get("bf16", {}).get("passed") else "fp32"
    assert metrics["engine"]["precision"] == ran
    assert metrics["engine"]["precision_chosen_by"].startswith(ran)
    resolved = EvaluateConfig.from_yaml(tmp_path / "eval" / "config.yaml")
    assert resolved == settings.model_copy(update={"cube": "mem"})


def test_evaluate_missing_checkpoint_is_clear(tmp_path: Path) -> None:
    from sarslide.errors import CheckpointError

    with pytest.raises(CheckpointError, match="does not exist"):
        evaluate_checkpoint(EvaluateConfig(checkpoint=str(tmp_path / "nope.ckpt")))
