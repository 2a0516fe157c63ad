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
