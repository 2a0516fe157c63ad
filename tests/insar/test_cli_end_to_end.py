"""CLI and the whole chain on a tiny simulated ISSLIDE (one fast tiny model; five slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.insar.interferometry import simulate_slc_pair
from sarslide.insar.readers import write_complex_geotiff
from sarslide.insar.run import (
    ISSLIDE_MODELS,
    IsslideRunConfig,
    build_datamodule,
    load_test_predictor,
    run_isslide,
    train_isslide,
)
from sarslide.models.checkpoints import read_model_bundle

runner = CliRunner()


def test_cli_interferogram_from_complex_geotiffs(tmp_path: Path) -> None:
    from affine import Affine

    _, cols = np.mgrid[0:64, 0:128]
    s1, s2 = simulate_slc_pair(0.05 * cols, 0.8, rng=np.random.default_rng(0))
    profile = {"crs": "EPSG:32632", "transform": Affine(2.5, 0, 300000, 0, -14.0, 5000000)}
    ref = write_complex_geotiff(tmp_path / "ref.tif", s1, profile)
    sec = write_complex_geotiff(tmp_path / "sec.tif", s2, profile)
    result = runner.invoke(
        app, ["insar", "interferogram", str(ref), str(sec), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    import rasterio

    with rasterio.open(tmp_path / "out" / "coherence.tif") as src:
        assert src.shape == (32, 16) and src.transform.a == 20.0 and src.transform.e == -28.0
        assert 0.7 < float(np.mean(src.read(1))) < 0.9
    with rasterio.open(tmp_path / "out" / "features.tif") as src:
        assert src.count == 3


def test_cli_errors_are_clean(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["insar", "patches", str(tmp_path / "nowhere"), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code != 0
    result = runner.invoke(app, ["insar", "evaluate", str(tmp_path)])
    assert result.exit_code == 1 and "config.json" in result.output


def test_end_to_end_tiny_model(tiny_ready: Path, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    cfg = IsslideRunConfig(
        ready_dir=str(tiny_ready),
        output_dir=str(tmp_path / "runs"),
        models=["isslide-unet"],
        val_zones=["ecrins"],
        max_epochs=1,
        batch_size=8,
        accelerator="cpu",
        model_kwargs={"isslide-unet": {"base_filters": 4, "depth": 1}},
    )
    train_isslide(cfg)
    bundle = read_model_bundle(tmp_path / "runs" / "isslide-unet" / "checkpoints" / "best.ckpt")
    threshold = {"chosen_on": bundle.extra["threshold_chosen_on"], "threshold": bundle.threshold}
    assert threshold["chosen_on"] == "val"
    # the fixed default (--threads 2, whatever the load) and the count it ran on
    record = bundle.extra["reproducibility"]
    assert record["threads_setting"] == record["torch_threads"] == 2
    assert record["seed"] == cfg.seed and record["torch"] == torch.__version__
    assert not (tmp_path / "runs" / "isslide-unet" / "threshold.json").exists()
    result = runner.invoke(app, ["insar", "evaluate", str(tmp_path / "runs"), "--no-figure"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "runs" / "isslide-unet" / "test_metrics.json").read_text())
    assert metrics["test_zones"] == "queyras" and metrics["threshold"] == threshold["threshold"]
    assert (
        0 <= metrics["f1"] <= 1
        and "isslide-unet" in (tmp_path / "runs" / "comparison.md").read_text()
    )
    # the CPU's default engine is ONNX Runtime, recorded; torch gives the same probabilities
    assert metrics["engine"] == "onnx" and metrics["engine_version"] and metrics["device"] == "cpu"
    assert "engine" in (tmp_path / "runs" / "comparison.csv").read_text().splitlines()[0]
    datamodule = build_datamodule(cfg)
    run_dir = tmp_path / "runs" / "isslide-unet"
    features = datamodule.datasets["test"].features.numpy()
    on = {e: load_test_predictor(run_dir, datamodule, engine=e)[1] for e in ("torch", "onnx")}
    difference = np.abs(on["onnx"].predict(features) - on["torch"].predict(features))
    assert float(difference.max()) <= 1e-5


@pytest.mark.slow
def test_all_five_baselines(tiny_ready: Path, tmp_path: Path) -> None:
    cfg = IsslideRunConfig(
        ready_dir=str(tiny_ready),
        output_dir=str(tmp_path / "runs"),
        val_zones=["ecrins"],
        max_epochs=1,
        heavy_limit_train_batches=1,
        accelerator="cpu",
    )
    outputs = run_isslide(cfg)
    text = outputs["table_md"].read_text()
    assert all(f"| {name} |" in text for name in ISSLIDE_MODELS)
    assert outputs["figure_png"].stat().st_size > 0


def test_two_models_are_scored_once_each(tiny_ready: Path, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    tiny = {"base_filters": 4, "depth": 1}
    cfg = IsslideRunConfig(
        ready_dir=str(tiny_ready),
        output_dir=str(tmp_path / "runs"),
        models=["isslide-unet", "isslide-resunet"],
        val_zones=["ecrins"],
        max_epochs=1,
        batch_size=8,
        accelerator="cpu",
        model_kwargs={"isslide-unet": tiny, "isslide-resunet": tiny},
    )
    outputs = run_isslide(cfg, figure=False)  # the figure zips models with their scores
    rows = outputs["table_csv"].read_text().splitlines()[1:]
    assert sorted(row.split(",")[0] for row in rows) == ["isslide-resunet", "isslide-unet"]
