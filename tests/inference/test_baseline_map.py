"""A landslide map without a model: the log-ratio baseline through predict's writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
    from sarslide.inference.baseline_map import map_log_ratio
    from sarslide.inference.config import LogRatioMapConfig

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


def test_cli_map_flags_reach_the_map_config(tmp_path: Path, monkeypatch: Any) -> None:
    """Each map flag sets its LogRatioMapConfig key; scoring-only flags stay out of it."""
    import sarslide.inference.baseline_map as baseline_map

    seen: list[Any] = []
    monkeypatch.setattr(baseline_map, "map_log_ratio", lambda cfg, **_: seen.append(cfg))
    args = ["baseline", "log-ratio", "--cube", "c.zarr", "-o", str(tmp_path / "m"), "-k", "3"]
    args += ["--pol", "vh", "--change-db", "6", "--threshold", "0.4", "--sign", "abs"]
    args += ["--event-start", "2020-01-02", "--set", "min_area_m2=50"]
    result = CliRunner().invoke(app, args)
    assert len(seen) == 1, result.output  # the stub returns no outputs to print
    cfg = seen[0]
    assert (cfg.cube, cfg.timesteps_k, cfg.polarisations) == ("c.zarr", 3, "vh")
    assert (cfg.change_db, cfg.threshold, cfg.min_area_m2) == (6.0, 0.4, 50.0)
    assert cfg.event_start.isoformat().startswith("2020-01-02")
    result = CliRunner().invoke(app, [*args[:6], "-k", "1,2"])
    assert "-k '1,2': a map takes one number of timesteps" in result.output
    result = CliRunner().invoke(app, ["baseline", "log-ratio", "--cube", "c.zarr"])
    assert "A log-ratio map needs --cube CUBE and -o MAP_FOLDER" in result.output
