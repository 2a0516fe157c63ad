from __future__ import annotations

import logging

import numpy as np
import pytest
import xarray as xr
from pyproj import Geod, Proj, Transformer

from sarslide.errors import CrsError, RasterGridError
from sarslide.terrain import compute_aspect, compute_slope, resolve_pixel_spacing
from tests.terrain.helpers import make_dem, make_rough_dem


def make_geographic_grid(ny: int = 21, nx: int = 25, step_deg: float = 0.0005) -> xr.DataArray:
    lat = 60.0 - step_deg * np.arange(ny)  # north-up
    lon = 14.9 + step_deg * np.arange(nx)
    return xr.DataArray(
        np.zeros((ny, nx)), dims=("y", "x"), coords={"y": lat, "x": lon}
    ).rio.write_crs("EPSG:4326")


def test_geographic_spacing_matches_geodesic_distances() -> None:
    grid = make_geographic_grid()
    spacing = resolve_pixel_spacing(grid)
    assert spacing.per_row
    geod = Geod(ellps="WGS84")
    lat = grid["y"].values
    lon = grid["x"].values
    _, _, ns = geod.inv(
        np.full(lat.size - 1, lon[0]), lat[:-1], np.full(lat.size - 1, lon[0]), lat[1:]
    )
    _, _, ew = geod.inv(np.full(lat.size, lon[0]), lat, np.full(lat.size, lon[1]), lat)
    y_m = np.asarray(spacing.y_m)[:, 0]
    x_m = np.asarray(spacing.x_m)[:, 0]
    np.testing.assert_allclose(-(y_m[:-1] + y_m[1:]) / 2, ns, rtol=1e-6)  # north-up: negative
    np.testing.assert_allclose(x_m, ew, rtol=1e-6)


def test_slope_on_lat_lon_grid_equals_slope_in_metres() -> None:
    # The same tilted plane, sampled on a lon/lat grid; UTM 33N grid metres are true
    # metres times the scale factor k (~0.9996 near the central meridian 15 E).
    grid = make_geographic_grid()
    lon, lat = np.meshgrid(grid["x"].values, grid["y"].values)
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32633", always_xy=True)
    easting, northing = to_utm.transform(lon, lat)
    dem = grid.copy(data=0.3 * easting + 0.4 * northing)
    k = Proj("EPSG:32633").get_factors(lon, lat).meridional_scale[1:-1, 1:-1]
    for method in ("horn", "zevenbergen_thorne"):
        tan = compute_slope(dem, method=method, units="riserun").values[1:-1, 1:-1]  # type: ignore[arg-type]
        np.testing.assert_allclose(tan, 0.5 * k, rtol=2e-4)
    # falls towards south-west: faces azimuth atan2(-0.3, -0.4) = 216.87 deg (+ grid convergence)
    aspect = compute_aspect(dem).values[1:-1, 1:-1]
    np.testing.assert_allclose(aspect, np.degrees(np.arctan2(-0.3, -0.4)) % 360, atol=0.2)


def test_geographic_dask_path_is_identical() -> None:
    grid = make_geographic_grid()
    dem = grid.copy(data=make_rough_dem(21, 25).values)
    eager = compute_slope(dem)
    lazy = compute_slope(dem.chunk({"y": 6, "x": 7}))
    np.testing.assert_array_equal(lazy.values, eager.values)


def test_no_crs_with_lat_lon_looking_coords_is_refused() -> None:
    grid = make_geographic_grid().drop_vars("spatial_ref")
    with pytest.raises(CrsError, match=r"no CRS.*write_crs\('EPSG:4326'\)"):
        compute_slope(grid)


def test_no_crs_metric_coords_are_used_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    dem = make_dem(np.zeros((5, 5)), spacing_x_m=20.0, spacing_y_m=-30.0, crs=None)
    with caplog.at_level(logging.WARNING, logger="sarslide.terrain.spacing"):
        spacing = resolve_pixel_spacing(dem)
    assert (spacing.x_m, spacing.y_m) == (20.0, -30.0)
    assert "no CRS" in caplog.text


def test_resolution_m_overrides_and_is_validated() -> None:
    grid = make_geographic_grid().drop_vars("spatial_ref")
    spacing = resolve_pixel_spacing(grid, resolution_m=(30.0, 20.0))
    assert (spacing.x_m, spacing.y_m) == (30.0, -20.0)  # signs from the coordinates
    bare = xr.DataArray(np.zeros((4, 4)), dims=("y", "x"))
    assert resolve_pixel_spacing(bare, resolution_m=10).y_m == -10.0  # north-up assumed
    with pytest.raises(RasterGridError, match="resolution_m=-5"):
        resolve_pixel_spacing(grid, resolution_m=-5)
    with pytest.raises(RasterGridError, match="pass resolution_m"):
        compute_slope(bare)


def test_irregular_coordinates_are_refused() -> None:
    dem = make_rough_dem(6, 6)
    dem = dem.assign_coords(x=dem["x"].values + np.array([0, 0, 0, 3.0, 0, 0]))
    with pytest.raises(RasterGridError, match="'x' coordinate is not a regular grid"):
        compute_slope(dem)


def test_polar_latitudes_are_refused() -> None:
    grid = make_geographic_grid().assign_coords(y=np.linspace(90, 89.99, 21))
    with pytest.raises(CrsError, match="polar stereographic"):
        compute_slope(grid)


def test_projected_crs_in_feet_is_converted_to_metres() -> None:
    dem = make_dem(np.zeros((4, 4)), spacing_x_m=10.0, spacing_y_m=-10.0, crs="EPSG:2263")
    spacing = resolve_pixel_spacing(dem)  # EPSG:2263 axes are US survey feet
    assert spacing.x_m == pytest.approx(10 * 1200 / 3937)


def test_geographic_row_strips_use_their_own_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from sarslide.terrain import derivatives

    dem = make_geographic_grid().copy(data=make_rough_dem(21, 25).values)
    one_pass = compute_slope(dem).values
    monkeypatch.setattr(derivatives, "STRIP_CELLS", 1)
    np.testing.assert_array_equal(compute_slope(dem).values, one_pass)
