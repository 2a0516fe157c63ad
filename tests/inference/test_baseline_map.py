"""A landslide map without a model: the log-ratio baseline through predict's writer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
from typer.testing import CliRunner

from sarslide import conventions as cv
from sarslide.chips import DataConfig, build_composite_stack
from sarslide.cli.main import app
from sarslide.datacube import write_cube
from sarslide.inference.baseline_map import score_to_probability
from tests.factories import make_minimal_cube


def test_cli_maps_a_cube_without_labels_or_model(tmp_path: Path) -> None:
    cube = make_minimal_cube(height=40, width=48).drop_vars(cv.VAR_LANDSLIDES)
    store = write_cube(cube, tmp_path / "c.zarr")
    out = tmp_path / "map"
    result = CliRunner().invoke(
        app, ["baseline", "log-ratio", "--cube", str(store), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"probability.tif", "landslides.tif", "landslides.gpkg", "report.html"} <= names
    assert "quicklook.png" in names and "metrics.json" not in names  # no labels: no metrics
    # the score is the documented function of the log10 composites (k = 2 per side)
    stack = build_composite_stack(cube, DataConfig(cube="c", channels="vv+vh", timesteps_k=2))
    c = {str(n): stack.sel(channel=n).values for n in stack.channel.values}
    score = np.abs(c["vv_after"] - c["vv_before"]) + np.abs(c["vh_after"] - c["vh_before"])
    with rasterio.open(out / "probability.tif") as src:
        probability = src.read(1)
    np.testing.assert_allclose(probability, score_to_probability(score, 3.0), rtol=1e-5)
    with rasterio.open(out / "landslides.tif") as src:
        binary = src.read(1)
    np.testing.assert_array_equal(binary == 1, probability >= 0.5)
    run = json.loads((out / "run_config.json").read_text())
    assert run["model_name"] == "log-ratio baseline (no model)" and run["threshold"] == 0.5


def test_a_cube_with_labels_gets_metrics(tmp_path: Path) -> None:
    from sarslide.inference.baseline_map import LogRatioMapConfig, map_log_ratio

    store = write_cube(make_minimal_cube(height=40, width=48), tmp_path / "c.zarr")
    cfg = LogRatioMapConfig(cube=str(store), output_dir=str(tmp_path / "m"), figures=False)
    outputs = map_log_ratio(cfg, progress=False)
    assert outputs.metrics_json is not None and outputs.metrics_json.exists()


def test_score_to_probability_is_half_at_the_change() -> None:
    assert score_to_probability(np.array([0.0, 0.3, 3.0]), 3.0).tolist() == [
        0.0,
        0.5,
        np.float32(3.0) / np.float32(3.3),
    ]
