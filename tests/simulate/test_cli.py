from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from typer.testing import CliRunner

from sarslide import conventions as cv
from sarslide.cli.main import app

runner = CliRunner()


def test_cube_simulate_writes_a_store_plain_xarray_opens(tmp_path: Path) -> None:
    store = tmp_path / "cube.zarr"
    args = [
        "cube",
        "simulate",
        "-o",
        str(store),
        "--size",
        "40",
        "--timesteps",
        "4",
        "--seed",
        "5",
        "--orbit",
        "descending",
        "--no-progress",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "SIMULATED" in result.output and "landslide pixels" in result.output
    ds = xr.open_zarr(store)
    assert ds.sizes[cv.DIM_Y] == 40 and ds.sizes[cv.DIM_TIMESTEP] == 4
    assert set(np.asarray(ds[cv.COORD_ORBIT_STATE].values)) == {"d"}  # as published
    assert ds.attrs[cv.ATTR_SIMULATED] == "true"

    again = runner.invoke(app, args)
    assert again.exit_code == 1
    assert "exists" in again.output and "--overwrite" in again.output


def test_cube_simulate_reports_bad_options_without_traceback(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["cube", "simulate", "-o", str(tmp_path / "c.zarr"), "--orbit", "sideways"]
    )
    assert result.exit_code == 1
    assert "orbit" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "c.zarr").exists()


def test_cube_simulate_reads_a_yaml_config_that_options_override(tmp_path: Path) -> None:
    config = tmp_path / "spec.yaml"
    config.write_text("height_px: 24\nwidth_px: 32\ntimesteps: 4\nseed: 9\n")
    store = tmp_path / "cube.zarr"
    result = runner.invoke(
        app,
        [
            "cube",
            "simulate",
            "-o",
            str(store),
            "--config",
            str(config),
            "--seed",
            "2",
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    ds = xr.open_zarr(store)
    assert dict(ds.sizes)["x"] == 32 and ds.attrs["simulation_seed"] == 2

    config.write_text("heigth_px: 24\n")
    bad = runner.invoke(
        app, ["cube", "simulate", "-o", str(tmp_path / "b.zarr"), "--config", str(config)]
    )
    assert bad.exit_code == 1 and "heigth_px" in bad.output
