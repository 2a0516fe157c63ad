"""Cubes sarslide writes open in the tools around it: the paper's loader and GDAL.

``paper_loader_steps`` re-does, from reading landslide-sar-unet ``src/datamodule.py``
(``before_after_ds``), the steps that pick acquisitions: ``xr.open_zarr``, the orbit
filter ``ds.where(ds['sat:orbit_state'] == letter, drop=True)`` (on the computed
coordinate: xarray >= 2023.04 refuses ``drop=True`` with a lazy condition),
``drop_dims('timepair')`` and the before/after ``sel`` by the event dates. Before
sarslide wrote the published dialect, the filter kept 0 acquisitions ('ascending' is
not 'a') and a cube without InSAR had no ``timepair`` to drop.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from pyproj import CRS

from sarslide import conventions as cv
from sarslide.datacube import open_cube
from sarslide.datacube.dialect import to_published_dialect
from sarslide.datacube.io import write_cube
from sarslide.simulate.event_cube import simulate_event_cube
from tests.sources.stac_fixtures import THIRD_PARTY_WARNINGS

pytestmark = [pytest.mark.filterwarnings(spec) for spec in THIRD_PARTY_WARNINGS]

DATA = Path(__file__).parents[1] / "data"
OPERA = DATA / "s1-rtc-opera-enga" / "T009_019294_IW2_cropped_tv"
# 2024-01-23, 02-04 (before) and 02-16, 02-28 (after the window below); all ascending
OPERA_GLOB = "OPERA_L2_RTC-S1_T009-019294-IW2_20240[12]*.tif"
WINDOW = ("2024-02-05", "2024-02-06")


def paper_loader_steps(path: Path, letter: str, start: str, end: str) -> dict[str, xr.Dataset]:
    """The acquisitions the paper's ``before_after_ds`` would keep from the store."""
    ds = xr.open_zarr(path)
    orbit = ds["sat:orbit_state"].compute()
    ds = ds.where(orbit == letter, drop=True)
    kept = ds.drop_dims("timepair")
    return {
        "kept": kept,
        "before": kept.sel(timestep=slice(None, start)),
        "after": kept.sel(timestep=slice(end, None)),
    }


@pytest.fixture(scope="module")
def built_cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sarslide cube build`` from four real OPERA RTC files (no InSAR pairs)."""
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    out = tmp_path_factory.mktemp("built") / "enga.zarr"
    args = ["cube", "build", "--rtc", str(OPERA / OPERA_GLOB)]
    args += ["--dem", str(DATA / "synthetic" / "enga_dem_3arcsec.tif")]
    args += ["--event-start", WINDOW[0], "--event-end", WINDOW[1], "--resolution-m", "30"]
    result = CliRunner().invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def simulated_cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated cube with alternating orbits and InSAR pairs, written by write_cube."""
    ds = simulate_event_cube(height_px=48, width_px=64, timesteps=8, orbit="both", seed=3)
    return write_cube(ds, tmp_path_factory.mktemp("sim") / "sim.zarr")


def test_paper_loader_keeps_the_built_cubes_acquisitions(built_cube: Path) -> None:
    stamps = pd.to_datetime(["2024-01-23T08:47:48", "2024-02-04T08:47:47"])
    later = pd.to_datetime(["2024-02-16T08:47:47", "2024-02-28T08:47:47"])
    steps = paper_loader_steps(built_cube, "a", *WINDOW)
    assert "timepair" not in steps["kept"].dims
    np.testing.assert_array_equal(steps["before"].timestep.values, stamps.values)
    np.testing.assert_array_equal(steps["after"].timestep.values, later.values)
    assert steps["before"]["vv"].sizes["timestep"] == 2
    # no descending pass in the files: the paper's 'd' filter rightly keeps none
    assert paper_loader_steps(built_cube, "d", *WINDOW)["kept"].sizes["timestep"] == 0


def test_built_cube_without_insar_has_an_empty_timepair(built_cube: Path) -> None:
    raw = xr.open_zarr(built_cube)
    assert raw.sizes["timepair"] == 0
    assert raw["timepair_start"].dtype.kind == "M"
    assert set(raw["sat:orbit_state"].values) == {"a"}
    assert set(open_cube(built_cube)[cv.COORD_ORBIT_STATE].values) == {"ascending"}


def test_paper_loader_selects_the_simulated_descending_passes(simulated_cube: Path) -> None:
    cube = open_cube(simulated_cube)
    start, end = cube.attrs[cv.ATTR_EVENT_START], cube.attrs[cv.ATTR_EVENT_END]
    states = cube[cv.COORD_ORBIT_STATE].values
    times = cube[cv.DIM_TIMESTEP].values
    descending = times[states == cv.ORBIT_DESCENDING]
    steps = paper_loader_steps(simulated_cube, "d", start, end)
    np.testing.assert_array_equal(steps["kept"].timestep.values, descending)
    np.testing.assert_array_equal(
        steps["before"].timestep.values, descending[descending <= np.datetime64(start)]
    )
    np.testing.assert_array_equal(
        steps["after"].timestep.values, descending[descending >= np.datetime64(end)]
    )
    assert len(descending) == 4 and steps["before"].sizes["timestep"] > 0
    np.testing.assert_array_equal(
        steps["kept"]["vv"].isel(timestep=0).values,
        cube["vv"].sel(timestep=descending[0]).values,
    )


def test_every_orbit_spelling_is_written_as_letters_and_read_as_words(tmp_path: Path) -> None:
    ds = simulate_event_cube(height_px=32, width_px=32, timesteps=4, orbit="both")
    spellings = np.array(["ASC", "d", "Ascending", "DESC"])
    ds = ds.assign_coords({cv.COORD_ORBIT_STATE: (cv.DIM_TIMESTEP, spellings)})
    path = write_cube(ds, tmp_path / "c.zarr")
    assert list(xr.open_zarr(path)["sat:orbit_state"].values) == ["a", "d", "a", "d"]
    assert list(open_cube(path)[cv.COORD_ORBIT_STATE].values) == [
        "ascending",
        "descending",
        "ascending",
        "descending",
    ]
    assert list(ds[cv.COORD_ORBIT_STATE].values) == list(spellings)  # input untouched


def test_written_attributes_follow_cf(simulated_cube: Path) -> None:
    raw = xr.open_zarr(simulated_cube, decode_coords=False)
    assert raw.attrs["Conventions"] == "CF-1.8"
    assert raw["x"].attrs["standard_name"] == "projection_x_coordinate"
    assert raw["y"].attrs["standard_name"] == "projection_y_coordinate"
    assert (raw["x"].attrs["units"], raw["y"].attrs["units"]) == ("m", "m")
    assert (raw["x"].attrs["axis"], raw["y"].attrs["axis"]) == ("X", "Y")
    assert raw["timestep"].attrs["standard_name"] == "time"
    spatial = [n for n in raw.data_vars if {"y", "x"} <= set(raw[n].dims)]
    assert {"vv", "vh", "dem", "landslides", "coherence", "interferogram"} <= set(spatial)
    crs = CRS.from_wkt(raw["spatial_ref"].attrs["crs_wkt"])
    for name in spatial:
        assert raw[name].attrs["grid_mapping"] == "spatial_ref", name
        assert CRS.from_wkt(raw[name].attrs["_CRS"]["wkt"]) == crs, name
    assert "_CRS" not in open_cube(simulated_cube)["dem"].attrs  # in memory: spatial_ref


@pytest.mark.parametrize("name", ["dem", "vv"])
def test_gdal_reads_the_cubes_crs_and_transform(simulated_cube: Path, name: str) -> None:
    cube = open_cube(simulated_cube)
    with rasterio.open(f'ZARR:"{simulated_cube}":/{name}') as src:
        assert src.crs == cube.rio.crs
        assert src.transform.almost_equals(cube.rio.transform(), precision=1e-9)
        assert (src.height, src.width) == (cube.sizes["y"], cube.sizes["x"])
        assert src.count == (cube.sizes["timestep"] if name == "vv" else 1)
        band = src.read(1)
    expected = cube[name].values if name == "dem" else cube[name].isel(timestep=0).values
    np.testing.assert_array_equal(band, expected)


def test_gdal_reads_a_built_cubes_crs(built_cube: Path) -> None:
    cube = open_cube(built_cube)
    with rasterio.open(f'ZARR:"{built_cube}":/dem') as src:
        assert src.crs.to_epsg() == cube.rio.crs.to_epsg() == 32754
        assert src.transform.almost_equals(cube.rio.transform(), precision=1e-9)


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="the GDAL CLI is not installed")
def test_gdalinfo_cli_reports_the_crs(simulated_cube: Path) -> None:
    """The CLI's GDAL may be older than rasterio's (3.6 in Debian 12 reads only _CRS)."""
    out = subprocess.run(
        ["gdalinfo", "-json", f'ZARR:"{simulated_cube}":/dem'],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(out.stdout)
    cube = open_cube(simulated_cube)
    assert CRS.from_wkt(info["coordinateSystem"]["wkt"]) == cube.rio.crs
    np.testing.assert_allclose(info["geoTransform"], cube.rio.transform().to_gdal(), rtol=1e-12)


def test_dialect_is_idempotent_and_leaves_the_input_alone(minimal_cube: xr.Dataset) -> None:
    once = to_published_dialect(minimal_cube)
    twice = to_published_dialect(once)
    xr.testing.assert_identical(once, twice)
    assert "Conventions" not in minimal_cube.attrs
    assert "grid_mapping" not in minimal_cube["dem"].attrs
