"""The real run function's pieces that need no training: config and metric mapping."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sarslide.evaluation.evaluate import EvaluationResult
from sarslide.experiments.grid import RunSpec
from sarslide.experiments.records import INTERVAL_KEYS, METRIC_KEYS, RunOutput
from sarslide.experiments.train_run import (
    build_run_train_config,
    extract_metrics,
)
from sarslide.metrics.thresholds import compute_split_metrics


def make_evaluation(*, whole_region: bool = True) -> EvaluationResult:
    rng = np.random.default_rng(0)
    y_chips = rng.random(400) < 0.25
    p_chips = np.clip(0.6 * y_chips + 0.5 * rng.random(400), 0.0, 1.0)
    y_region = rng.random(2000) < 0.05
    p_region = np.clip(0.3 * y_region + 0.7 * rng.random(2000), 0.0, 1.0)
    return EvaluationResult(
        checkpoint="run/train/checkpoints/best.ckpt",
        model_name="unet-tiny",
        channel_names=["vv_before", "vv_after"],
        split="test",
        split_method="spatial",
        threshold=0.5,
        threshold_source="validation chips, best checkpoint",
        chips=compute_split_metrics(
            y_chips, p_chips, threshold=0.5, block_ids=np.arange(400) // 100, tile_px=16
        ),
        region=(
            compute_split_metrics(
                y_region, p_region, threshold=0.5, block_ids=np.arange(2000) // 200, tile_px=16
            )
            if whole_region
            else None
        ),
        n_chips=4,
    )


def test_extract_metrics_maps_chips_and_region_blocks_of_a_real_evaluation() -> None:
    evaluation = make_evaluation()
    metrics = extract_metrics(evaluation)
    assert tuple(metrics) == (*METRIC_KEYS, *INTERVAL_KEYS)
    assert evaluation.chips.intervals is not None
    low, high = evaluation.chips.intervals["auprc"]
    assert (metrics["auprc_chips_low"], metrics["auprc_chips_high"]) == (low, high)
    assert metrics["auprc_region_low"] < metrics["auprc_region"] < metrics["auprc_region_high"]
    for where, block in (("chips", evaluation.chips), ("region", evaluation.region)):
        assert block is not None
        assert metrics[f"auprc_{where}"] == block.auprc
        assert metrics[f"auroc_{where}"] == block.auroc
        assert metrics[f"f1_{where}"] == block.f1
        assert metrics[f"baseline_auprc_{where}"] == block.baseline_auprc
    # The two blocks really differ (chips: 25% positives, region: 5%).
    assert metrics["baseline_auprc_chips"] == pytest.approx(0.25, abs=0.05)
    assert metrics["baseline_auprc_region"] == pytest.approx(0.05, abs=0.02)
    assert metrics["auprc_chips"] > metrics["baseline_auprc_chips"]
    output = RunOutput(channel_names=evaluation.channel_names, metrics=metrics)
    assert RunOutput.model_validate_json(output.model_dump_json()).metrics == metrics


def test_extract_metrics_gives_nan_region_when_the_region_was_not_evaluated() -> None:
    metrics = extract_metrics(make_evaluation(whole_region=False))
    assert tuple(metrics) == (*METRIC_KEYS, *INTERVAL_KEYS)
    assert math.isnan(metrics["auprc_region_low"]) and math.isfinite(metrics["auprc_chips_low"])
    assert all(math.isnan(metrics[f"{m}_region"]) for m in ("auprc", "auroc", "f1"))
    assert math.isfinite(metrics["auprc_chips"])


def test_run_train_config_gets_the_run_channels_k_seed_and_directory(tmp_path: Path) -> None:
    base = {
        "data": {"cube": "cube.zarr", "chip_size_px": 32, "timesteps_k": 1},
        "model": {"name": "unet-tiny"},
        "trainer": {"seed": 0, "max_epochs": 1},
    }
    spec = RunSpec("sar+dem", 3, 7, tmp_path / "runs" / "sar_dem-k3-s7", data_k=3, train=base)
    config = build_run_train_config(spec)
    assert config["data"]["channels"] == "sar+dem"
    assert config["data"]["timesteps_k"] == 3
    assert config["trainer"]["seed"] == 7
    assert config["output_dir"] == str(tmp_path / "runs" / "sar_dem-k3-s7" / "train")
    assert config["data"]["chip_size_px"] == 32 and config["trainer"]["max_epochs"] == 1
    # The base config shared by every run is not mutated.
    assert base["data"]["timesteps_k"] == 1 and base["trainer"]["seed"] == 0
    assert "channels" not in base["data"] and "output_dir" not in base
