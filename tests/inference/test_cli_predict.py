"""``sarslide predict`` end to end on a tiny Zarr cube, and its clean errors."""

from __future__ import annotations

from pathlib import Path

import rasterio
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.datacube import write_cube
from tests.factories import make_minimal_cube


def test_predict_command_writes_outputs_and_refuses_existing(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    cube_path = write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")
    args = [
        "predict",
        str(fake_checkpoint),
        "--cube",
        str(cube_path),
        "-o",
        str(tmp_path / "map"),
        "--tile-size",
        "32",
        "--overlap",
        "8",
        "--no-figures",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "landslide map written" in result.output
    with rasterio.open(tmp_path / "map" / "probability.tif") as src:
        assert src.crs.to_epsg() == 32654 and src.shape == (40, 50)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert "exists" in again.output and "--overwrite" in again.output
    assert "Traceback" not in again.output


def test_predict_saves_its_resolved_config_and_reruns_from_it(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    import yaml

    cube_path = write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")
    first = [
        "predict",
        str(fake_checkpoint),
        "--cube",
        str(cube_path),
        "--out",  # the old spelling of -o/--output still works
        str(tmp_path / "map"),
        "--set",
        "tile_size_px=32",
        "--set",
        "overlap_px=8",
        "--no-figures",
    ]
    result = CliRunner().invoke(app, first)
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((tmp_path / "map" / "config.yaml").read_text())
    assert saved["tile_size_px"] == 32 and saved["figures"] is False
    assert saved["threshold"] is None and saved["cube"] == str(cube_path)

    config = tmp_path / "map" / "config.yaml"
    again = ["predict", "--config", str(config), "-o", str(tmp_path / "map2")]
    result = CliRunner().invoke(app, again)
    assert result.exit_code == 0, result.output
    resaved = yaml.safe_load((tmp_path / "map2" / "config.yaml").read_text())
    assert resaved == {**saved, "output_dir": str(tmp_path / "map2")}


def test_predict_refuses_bad_settings_in_one_line_before_any_work(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    base = ["predict", str(fake_checkpoint), "--cube", "x.zarr", "-o", str(tmp_path / "m")]
    cases = {
        "--threshold=2": "threshold: Input should be less than or equal to 1 (got 2.0)",
        "--event-start=notadate": "Invalid --event-start 'notadate'",
        "--set=tile_size=64": "unknown key 'tile_size' (got 64). Did you mean 'tile_size_px'?",
    }
    for option, message in cases.items():
        result = CliRunner().invoke(app, [*base, option])
        assert result.exit_code == 1, result.output
        assert message in " ".join(result.output.split())
        assert "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


def test_predict_on_a_missing_gpu_is_one_line_naming_the_devices(
    tmp_path: Path, fake_checkpoint: Path, monkeypatch
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for command in (
        ["predict", str(fake_checkpoint), "--cube", "no.zarr", "-o", str(tmp_path / "m")],
        ["evaluate", str(fake_checkpoint)],
        ["train", "quick", "--cube", "no.zarr", "-o", str(tmp_path / "run")],
    ):
        result = CliRunner().invoke(app, [*command, "--device", "cuda"])
        assert result.exit_code == 1, result.output
        assert "'cuda' is not available" in result.output
        assert "available: cpu" in result.output and "Traceback" not in result.output
        assert not (tmp_path / "m").exists() and not (tmp_path / "run").exists()


def test_predict_device_auto_runs_on_the_cpu_and_records_it(
    tmp_path: Path, fake_checkpoint: Path, monkeypatch
) -> None:

    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cube_path = write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")
    args = ["predict", str(fake_checkpoint), "--cube", str(cube_path), "-o", str(tmp_path / "map")]
    args += ["--tile-size", "32", "--overlap", "8", "--no-figures", "--device", "auto"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    found = "".join(p.read_text() for p in (tmp_path / "map").glob("*.json"))
    found += (tmp_path / "map" / "config.yaml").read_text()
    assert '"device": "cpu"' in found and '"precision": "fp32"' in found
    assert "batch_size: 2" in found
