"""A replica of a published cube ('a'/'d' orbit states, extra variables, NaN labels)
goes through open -> validate -> train -> evaluate -> predict (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from typer.testing import CliRunner

from sarslide import conventions as cv
from sarslide.cli.main import app
from sarslide.datacube import open_cube, validate_cube
from tests.zenodo_replica import write_zenodo_replica


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_zenodo_replica(tmp_path_factory.mktemp("zenodo") / "hokkaido_japan.zarr")


def test_replica_opens_with_letters_normalised_and_the_store_untouched(replica: Path) -> None:
    before = (replica / ".zmetadata").read_bytes()
    ds = open_cube(replica, task="detection")
    assert list(ds[cv.COORD_ORBIT_STATE].values[:3]) == ["ascending", "descending", "descending"]
    validate_cube(ds, task="detection", required_vars=list(cv.DEM_VARS))
    for extra in ("dem_slope_riserun", "extraction_mask", "old_landslides"):
        assert extra in ds.data_vars
    assert np.isnan(ds[cv.VAR_LANDSLIDES].values).any()
    assert (replica / ".zmetadata").read_bytes() == before
    raw = open_cube(replica, validate=False)
    assert raw[cv.COORD_ORBIT_STATE].values.tolist() == ds[cv.COORD_ORBIT_STATE].values.tolist()


def test_replica_trains_evaluates_and_predicts(replica: Path, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    run = tmp_path / "run"
    sets = {
        "data.chip_size_px": 16,
        "data.split_block_px": 32,
        "data.split_buffer_px": 0,
        "data.timesteps_k": 1,
        "data.positive_only": "false",
        "data.orbit": "descending",
        "data.split_fractions": "[0.5, 0.25, 0.25]",
        "model.name": "unet-tiny",
        "trainer.batch_size": 4,
    }
    args = ["train", "quick", "--cube", str(replica), "-o", str(run), "--epochs", "1"]
    args += ["--accelerator", "cpu", "--no-progress"]
    for key, value in sets.items():
        args += ["--set", f"{key}={value}"]
    trained = CliRunner().invoke(app, args)
    assert trained.exit_code == 0, trained.output
    checkpoint = run / "checkpoints" / "best.ckpt"
    assert checkpoint.exists()

    evaluated = CliRunner().invoke(
        app, ["evaluate", str(checkpoint), "--tile-size", "64", "--no-progress"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    metrics_file = next(run.glob("evaluation-*/metrics.json"))
    metrics = json.loads(metrics_file.read_text())
    assert 0.0 <= metrics["chips"]["auprc"] <= 1.0

    out = tmp_path / "map"
    predicted = CliRunner().invoke(
        app,
        [
            "predict",
            str(checkpoint),
            "--cube",
            str(replica),
            "--out",
            str(out),
            "--tile-size",
            "64",
            "--overlap",
            "8",
            "--no-figures",
        ],
    )
    assert predicted.exit_code == 0, predicted.output
    with rasterio.open(out / "probability.tif") as src:
        assert src.crs.to_epsg() == 32654 and src.shape == (96, 96)
